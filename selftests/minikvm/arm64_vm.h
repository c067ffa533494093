/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the arm64 KVM_RUN selftests share: the guest memory layout (RAM at 1 GiB with a
 * page per guest program, MMIO below it), a VM holding one guest program, made through
 * the guest set-up library that minikvm-run uses too (tools/lib/kvm_util.h): each step
 * ASSERTed by GUEST_SETUP() in the fixture, or guest_vm_create() for helpers that report
 * failure instead; ONE_REG access by set_reg() and get_reg(), the checks for an MMIO
 * exit and for PSCI SYSTEM_OFF, and a run that collects the guest's MMIO stores. The
 * fixture is defined here, not declared, so one C file per binary includes it.
 */
#ifndef MINIKVM_ARM64_VM_H
#define MINIKVM_ARM64_VM_H

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/psci.h>

#include "kselftest_harness.h"
#include "kvm_util.h"
#include "minikvm_util.h"
#include "arm64_guest.h"

/* Guest memory: 1 MiB at 1 GiB; MMIO below it, where no memslot is. */
#define RAM_GPA		0x40000000UL
#define RAM_SIZE	0x100000UL
#define MMIO_GPA	0x10000000UL
/* Guest code, one page per guest program (see guest_code_gpa()), and a data page. */
#define CODE_OFFSET	0x1000UL
#define DATA_OFFSET	0x80000UL

/* What KVM answers to PSCI_VERSION for a vCPU with KVM_ARM_VCPU_PSCI_0_2. */
#define PSCI_VERSION_1_1		PSCI_VERSION(1, 1)

/* Each guest program at a page of its own: see lab-notes on QEMU TCG's stale code. */
enum guest_prog {
	PROG_MMIO, PROG_PSCI, PROG_SPIN, PROG_STORE, PROG_FPSIMD, PROG_LOAD_STORE, PROG_WFI,
	PROG_MMIO_LOOP, PROG_IRQ, PROG_CPU_ON, PROG_SECONDARY, PROG_CPU_OFF, PROG_SYSREGS,
	PROG_ID_REGS, PROG_FPSIMD_COUNT, PROG_STATE, PROG_HOST_REGS, PROG_SMCCC, PROG_MMU_RO,
	PROG_SERROR, PROG_LOAD_LOOP,
};

static inline __u64 guest_code_gpa(enum guest_prog prog)
{
	return RAM_GPA + CODE_OFFSET * (1 + prog);
}

/* get_reg()'s answer when KVM_GET_ONE_REG fails: no register a test expects holds it. */
#define GET_REG_FAILED		0xbad0bad0bad0bad0ULL

/* Copies guest program @prog, @start to @end, to its page of guest memory. */
static inline void guest_load(struct vm *vm, enum guest_prog prog, const char *start,
			      const char *end)
{
	memcpy(vm->mem + (guest_code_gpa(prog) - RAM_GPA), start, end - start);
}

/*
 * A VM on a device fd of its own, RAM_SIZE of memory at RAM_GPA holding guest program
 * @prog, and vCPU 0 initialised with PSCI 0.2. Returns 0, or -1 with errno set;
 * guest_vm_destroy() releases it either way.
 */
static inline int guest_vm_create(struct vm *vm, enum guest_prog prog, const char *start,
				  const char *end)
{
	int kvm = open_kvm_dev();

	memset(vm, 0, sizeof(*vm));
	vm->kvm = vm->vm = vm->vcpu = -1;
	if (kvm < 0 || vm_create(vm, kvm, RAM_GPA, RAM_SIZE))
		return -1;
	guest_load(vm, prog, start, end);
	if (vcpu_create(vm, 0))
		return -1;
	return arm64_vcpu_init(vm->vm, vm->vcpu, 0);
}

/* Releases a VM of guest_vm_create() or GUEST_SETUP(), with its device fd. */
static inline void guest_vm_destroy(struct vm *vm)
{
	vm_destroy(vm);
	if (vm->kvm >= 0)
		close(vm->kvm);
	vm->kvm = -1;
}

static inline int set_reg(struct vm *vm, __u64 id, __u64 val)
{
	return vcpu_set_reg(vm->vcpu, id, val);
}

static inline __u64 get_reg(struct vm *vm, __u64 id)
{
	uint64_t val;

	if (vcpu_get_reg(vm->vcpu, id, &val))
		return GET_REG_FAILED;
	return val;
}

/* Expects the guest's PSCI SYSTEM_OFF: KVM_EXIT_SYSTEM_EVENT of type SHUTDOWN. */
static inline int is_system_off(struct vm *vm)
{
	return vm->run->exit_reason == KVM_EXIT_SYSTEM_EVENT &&
	       vm->run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN;
}

/*
 * Runs @vm to its SYSTEM_OFF, putting each 8-byte MMIO store at MMIO_GPA + 8 * i into
 * @slots[i]. Returns 0, or -1 on any other exit.
 */
static inline int run_collecting_stores(struct vm *vm, __u64 *slots, unsigned int nr_slots)
{
	__u64 off;

	memset(slots, 0xee, nr_slots * sizeof(slots[0]));
	if (set_reg(vm, REG_X(0), MMIO_GPA))
		return -1;
	while (!ioctl(vm->vcpu, KVM_RUN, 0)) {
		if (is_system_off(vm))
			return 0;
		off = vm->run->mmio.phys_addr - MMIO_GPA;
		if (vm->run->exit_reason != KVM_EXIT_MMIO || !vm->run->mmio.is_write ||
		    off % 8 || off / 8 >= nr_slots)
			return -1;
		memcpy(&slots[off / 8], vm->run->mmio.data, sizeof(slots[0]));
	}
	return -1;
}

/* A SIGALRM handler, so that the signal ends KVM_RUN with EINTR, noting when it came. */
static struct timespec signal_time;

static inline void record_signal(int sig)
{
	clock_gettime(CLOCK_MONOTONIC, &signal_time);
}

FIXTURE(guest) {
	struct vm vm;
};

/* No VM yet: each test makes its own, with GUEST_SETUP() or guest_vm_create(). */
FIXTURE_SETUP(guest)
{
	self->vm.kvm = self->vm.vm = self->vm.vcpu = -1;
}

FIXTURE_TEARDOWN(guest)
{
	guest_vm_destroy(&self->vm);
}

/*
 * The fixture's VM, as guest_vm_create() makes it, each step ASSERTed, with guest program
 * @prog (name##_start to name##_end) loaded and the vCPU's PC at it.
 */
#define GUEST_SETUP(prog, name) do {						\
	self->vm.kvm = open_kvm_dev();						\
	ASSERT_LE(0, self->vm.kvm)						\
		TH_LOG("open %s: %s", kvm_dev_path(), strerror(errno));		\
	ASSERT_EQ(0, vm_create(&self->vm, self->vm.kvm, RAM_GPA, RAM_SIZE))	\
		TH_LOG("a VM with its memory: %s", strerror(errno));		\
	guest_load(&self->vm, prog, name##_start, name##_end);			\
	ASSERT_EQ(0, vcpu_create(&self->vm, 0)) TH_LOG("vCPU 0: %s", strerror(errno)); \
	ASSERT_EQ(0, arm64_vcpu_init(self->vm.vm, self->vm.vcpu, 0))		\
		TH_LOG("KVM_ARM_VCPU_INIT: %s", strerror(errno));		\
	ASSERT_EQ(0, set_reg(&self->vm, REG_PC, guest_code_gpa(prog)));	\
} while (0)

/* Runs to the next exit, which must be an MMIO access of @len at MMIO_GPA + @off. */
static inline int run_to_mmio(struct vm *vm, __u64 off, __u32 len, __u8 is_write)
{
	if (ioctl(vm->vcpu, KVM_RUN, 0))
		return -1;
	return vm->run->exit_reason == KVM_EXIT_MMIO &&
	       vm->run->mmio.phys_addr == MMIO_GPA + off && vm->run->mmio.len == len &&
	       vm->run->mmio.is_write == is_write ? 0 : -1;
}

#endif /* MINIKVM_ARM64_VM_H */
