// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm-run, x86: puts the vCPU in the guest mode asked (real, protected, paged, long)
 * by setting its registers directly, as a boot loader would have left them, and plays a
 * 16550 UART's transmit side on port 0x3f8 (and the 0xe9 debug port), and a null device
 * on port 0x80 (where PCs have their POST code port): writes ignored. HLT ends the run.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/ioctl.h>
#include <asm/vmx.h>

#include "minikvm-run.h"

const uint64_t arch_default_mem_base;
const char *const arch_default_mode = "real";

/* guests/x86/bench.S: long mode, ioeventfd on port 0x81, first touches from 64 MiB. */
const struct arch_bench arch_bench = {
	.mode = "long", .bus_addr = 0x81, .bus_len = 1, .bus_flags = KVM_IOEVENTFD_FLAG_PIO,
	.touch_gpa = 64 << 20,
};

#define COM1_PORT	0x3f8
#define COM1_LSR	(COM1_PORT + 5)	/* line status register */
#define LSR_THRE_TEMT	0x60		/* transmitter empty: the guest may send */
#define DEBUG_PORT	0xe9
#define NULL_PORT	0x80

/* Page tables live in the guest's first pages, below the default load address. */
#define PAGE_TABLES	0x1000
/* What long mode maps to itself: the first GiB. */
#define LONG_MAPPED	(1ULL << 30)
/* Real mode: the stack at the top of the one 64 KiB segment. */
#define REAL_MODE_STACK	0xfff0

/* @pages pages of guest memory at PAGE_TABLES, for the page tables. */
static void *page_tables(struct vm *vm, unsigned int pages)
{
	void *tables = guest_ptr(vm, PAGE_TABLES, pages * X86_PAGE_SIZE);

	if (!tables)
		die("no guest memory at 0x%x for the page tables", PAGE_TABLES);
	return tables;
}

int arch_setup_vcpu(struct vm *vm, const char *mode, uint64_t entry)
{
	uint64_t rip = entry, rsp = vm->mem_base + vm->mem_size - 8;
	struct kvm_sregs sregs;

	if (ioctl(vm->vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS: %s", strerror(errno));
	if (!strcmp(mode, "real")) {
		/* The code's segment starts at the load address: 64 KiB of code, data, stack. */
		uint64_t seg = entry & ~0xfULL;

		if (seg >= 1 << 20)
			die("real mode: entry 0x%llx is beyond 1 MiB", (unsigned long long)entry);
		x86_real_mode_segments(&sregs, seg);
		rip = entry - seg;
		rsp = REAL_MODE_STACK;
	} else {
		x86_protected_mode(&sregs, !strcmp(mode, "long"));
		sregs.cr0 |= CR0_WP;
		if (!strcmp(mode, "paged"))
			x86_paged_tables(page_tables(vm, 1), PAGE_TABLES, &sregs);
		else if (!strcmp(mode, "long"))
			x86_long_tables(page_tables(vm, X86_LONG_TABLE_PAGES), PAGE_TABLES,
					LONG_MAPPED, &sregs);
		else if (strcmp(mode, "protected"))
			die("unknown mode '%s' (real, protected, paged or long)", mode);
	}
	if (x86_set_supported_cpuid(vm->kvm, vm->vcpu))
		die("KVM_SET_CPUID2: %s", strerror(errno));
	if (ioctl(vm->vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS (%s mode): %s", mode, strerror(errno));
	if (x86_set_start_regs(vm->vcpu, rip, rsp))
		die("KVM_SET_REGS: %s", strerror(errno));
	return 0;
}

/* The bench guest's arguments, in RDI, RSI and RDX as for a C function. */
void arch_set_guest_args(struct vm *vm, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct kvm_regs regs;

	if (ioctl(vm->vcpu, KVM_GET_REGS, &regs))
		die("KVM_GET_REGS: %s", strerror(errno));
	regs.rdi = a0;
	regs.rsi = a1;
	regs.rdx = a2;
	if (ioctl(vm->vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS: %s", strerror(errno));
}

/* Exactly 2 * @n instructions (@n > 0), for the bench's instruction clock. */
void arch_spin(uint64_t n)
{
	asm volatile("1: dec %0\n\tjnz 1b" : "+r" (n) : : "cc");
}

static enum run_verdict handle_io(struct vm *vm)
{
	struct kvm_run *run = vm->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	uint32_t i, n = run->io.size * run->io.count;

	if (trace_exits)
		printf("trace: exit io %s port 0x%x size %u count %u data 0x%x -> userspace\n",
		       out ? "out" : "in", run->io.port, run->io.size, run->io.count,
		       out ? data[0] : 0);
	if (out && run->io.port == NULL_PORT)
		return RUN_CONTINUE;
	if (out && (run->io.port == COM1_PORT || run->io.port == DEBUG_PORT)) {
		for (i = 0; i < n; i++)
			console_putc(data[i]);
		return RUN_CONTINUE;
	}
	if (!out && run->io.port == COM1_LSR) {
		memset(data, LSR_THRE_TEMT, n);
		return RUN_CONTINUE;
	}
	fprintf(stderr, "minikvm-run: unexpected %s of %u bytes at port 0x%x\n",
		out ? "OUT" : "IN", run->io.size, run->io.port);
	return RUN_FAILED;
}

enum run_verdict arch_handle_exit(struct vm *vm)
{
	struct kvm_run *run = vm->run;
	struct kvm_regs regs;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return handle_io(vm);
	case KVM_EXIT_HLT:
		if (trace_exits)
			printf("trace: exit hlt -> userspace: the guest is done\n");
		return RUN_DONE;
	case KVM_EXIT_SHUTDOWN:
		fprintf(stderr, "minikvm-run: the guest shut down (triple fault)\n");
		break;
	case KVM_EXIT_MMIO:
		fprintf(stderr, "minikvm-run: unexpected MMIO %s of %u bytes at 0x%llx\n",
			run->mmio.is_write ? "write" : "read", run->mmio.len,
			(unsigned long long)run->mmio.phys_addr);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		fprintf(stderr, "minikvm-run: VM entry failed, reason 0x%llx\n",
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		fprintf(stderr, "minikvm-run: internal error, suberror %u\n",
			run->internal.suberror);
		break;
	default:
		fprintf(stderr, "minikvm-run: unexpected exit reason %u\n", run->exit_reason);
		break;
	}
	if (!ioctl(vm->vcpu, KVM_GET_REGS, &regs))
		fprintf(stderr, "minikvm-run: guest rip 0x%llx rsp 0x%llx rax 0x%llx\n",
			(unsigned long long)regs.rip, (unsigned long long)regs.rsp,
			(unsigned long long)regs.rax);
	return RUN_FAILED;
}

/* The VMX basic exit reasons by name (SDM Appendix C), as the kernel's uapi lists them. */
static const struct {
	unsigned int reason;
	const char *name;
} exit_reasons[] = { VMX_EXIT_REASONS };

const char *arch_exit_reason_name(unsigned int reason)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(exit_reasons); i++)
		if (exit_reasons[i].reason == reason)
			return exit_reasons[i].name;
	return NULL;
}
