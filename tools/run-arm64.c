// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm-run, arm64: starts the vCPU at EL1 with PSCI 0.2, and plays the transmit side of a
 * PL011 UART at QEMU virt's address, 0x09000000, and a null device at 0x0a000000: a page
 * where writes are ignored, but for one at offset 0xff8 that ends this vCPU's run. PSCI
 * SYSTEM_OFF ends the run (of every vCPU).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "minikvm-run.h"

/* Guest RAM where QEMU's virt machine has it, so guests can be written for both. */
const uint64_t arch_default_mem_base = 0x40000000;
const char *const arch_default_mode = "el1";

#define PL011_BASE	0x09000000
#define PL011_DR	(PL011_BASE + 0x00)	/* data register */
#define PL011_FR	(PL011_BASE + 0x18)	/* flag register: 0 = room to send */
#define NULL_DEV	0x0a000000
#define NULL_DEV_END	(NULL_DEV + 0xff8)

/* guests/arm64/bench.S: ioeventfd at the page after the null device, touches at +128 MiB. */
const struct arch_bench arch_bench = {
	.mode = "el1", .bus_addr = NULL_DEV + 0x1000, .bus_len = 4, .touch_gpa = 0x48000000,
};

static void set_core_reg(struct vm *vm, uint64_t id, uint64_t value)
{
	if (vcpu_set_reg(vm->vcpu, id, value))
		die("KVM_SET_ONE_REG 0x%llx: %s", (unsigned long long)id, strerror(errno));
}

int arch_setup_vcpu(struct vm *vm, const char *mode, uint64_t entry)
{
	if (strcmp(mode, "el1"))
		die("unknown mode '%s' (el1)", mode);
	if (arm64_vcpu_init(vm->vm, vm->vcpu, 0))
		die("KVM_ARM_VCPU_INIT: %s", strerror(errno));
	/* The reset state is EL1h with DAIF masked: only the PC and a stack are ours to set. */
	set_core_reg(vm, REG_PC, entry);
	set_core_reg(vm, REG_SP_EL1, vm->mem_base + vm->mem_size);
	return 0;
}

/* The bench guest's arguments, in x0, x1 and x2 as for a C function. */
void arch_set_guest_args(struct vm *vm, uint64_t a0, uint64_t a1, uint64_t a2)
{
	set_core_reg(vm, REG_X(0), a0);
	set_core_reg(vm, REG_X(1), a1);
	set_core_reg(vm, REG_X(2), a2);
}

/* Exactly 2 * @n instructions (@n > 0), for the bench's instruction clock. */
void arch_spin(uint64_t n)
{
	asm volatile("1: subs %0, %0, #1\n\tb.ne 1b" : "+r" (n) : : "cc");
}

static enum run_verdict handle_mmio(struct vm *vm)
{
	struct kvm_run *run = vm->run;
	uint64_t addr = run->mmio.phys_addr;

	if (trace_exits)
		printf("trace: exit mmio %s addr 0x%llx len %u data 0x%x -> userspace\n",
		       run->mmio.is_write ? "write" : "read", (unsigned long long)addr,
		       run->mmio.len, run->mmio.is_write ? run->mmio.data[0] : 0);
	if (run->mmio.is_write && addr == NULL_DEV_END)
		return RUN_DONE;
	if (run->mmio.is_write && addr >= NULL_DEV && addr < NULL_DEV + 0x1000)
		return RUN_CONTINUE;
	if (run->mmio.is_write && addr == PL011_DR) {
		console_putc(run->mmio.data[0]);
		return RUN_CONTINUE;
	}
	if (!run->mmio.is_write && addr == PL011_FR) {
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		return RUN_CONTINUE;
	}
	fprintf(stderr, "minikvm-run: unexpected MMIO %s of %u bytes at 0x%llx\n",
		run->mmio.is_write ? "write" : "read", run->mmio.len, (unsigned long long)addr);
	return RUN_FAILED;
}

enum run_verdict arch_handle_exit(struct vm *vm)
{
	struct kvm_run *run = vm->run;

	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		return handle_mmio(vm);
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
			if (trace_exits)
				printf("trace: exit system_event shutdown -> userspace: the guest is done\n");
			return RUN_DONE;
		}
		fprintf(stderr, "minikvm-run: the guest asked for system event %u\n",
			run->system_event.type);
		return RUN_FAILED;
	case KVM_EXIT_INTERNAL_ERROR:
		fprintf(stderr, "minikvm-run: internal error, suberror %u\n",
			run->internal.suberror);
		return RUN_FAILED;
	default:
		fprintf(stderr, "minikvm-run: unexpected exit reason %u\n", run->exit_reason);
		return RUN_FAILED;
	}
}

/*
 * Exception classes of ESR_EL2 by the kernel's names (ESR_ELx_EC_*, Arm ARM D13.2.37), for
 * those a guest can trap with; the others print as numbers.
 */
static const char *const exception_classes[] = {
	[0x00] = "UNKNOWN",	[0x01] = "WFx",		[0x03] = "CP15_32",
	[0x04] = "CP15_64",	[0x05] = "CP14_MR",	[0x06] = "CP14_LS",
	[0x07] = "FP_ASIMD",	[0x0c] = "CP14_64",	[0x0e] = "ILL",
	[0x11] = "SVC32",	[0x12] = "HVC32",	[0x13] = "SMC32",
	[0x15] = "SVC64",	[0x16] = "HVC64",	[0x17] = "SMC64",
	[0x18] = "SYS64",	[0x19] = "SVE",		[0x1a] = "ERET",
	[0x1c] = "FPAC",	[0x1d] = "SME",		[0x20] = "IABT_LOW",
	[0x21] = "IABT_CUR",	[0x22] = "PC_ALIGN",	[0x24] = "DABT_LOW",
	[0x25] = "DABT_CUR",	[0x26] = "SP_ALIGN",	[0x28] = "FP_EXC32",
	[0x2c] = "FP_EXC64",	[0x2f] = "SERROR",	[0x30] = "BREAKPT_LOW",
	[0x32] = "SOFTSTP_LOW",	[0x34] = "WATCHPT_LOW",	[0x38] = "BKPT32",
	[0x3c] = "BRK64",
};

const char *arch_exit_reason_name(unsigned int reason)
{
	if (reason >= ARRAY_SIZE(exception_classes))
		return NULL;
	return exception_classes[reason];
}
