/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the arm64 KVM_RUN selftests share: the guest memory layout (RAM at 1 GiB with a
 * page per guest program, MMIO below it), struct vm with vm_create() and vm_destroy(),
 * ONE_REG access by set_reg() and get_reg(), the fixture that holds one VM, and the
 * checks for an MMIO exit and for PSCI SYSTEM_OFF. The fixture is defined here, not
 * declared, so one C file per binary includes it.
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

struct vm {
	int kvm;
	int vm;
	int vcpu;
	struct kvm_run *run;
	void *mem;
};

static inline int vm_create(struct vm *vm, enum guest_prog prog, const char *start, const char *end)
{
	struct kvm_userspace_memory_region region = {
		.guest_phys_addr = RAM_GPA,
		.memory_size = RAM_SIZE,
	};
	struct kvm_vcpu_init init;
	int mmap_size;

	memset(vm, 0, sizeof(*vm));
	vm->kvm = open_kvm_dev();
	if (vm->kvm < 0)
		return -1;
	vm->vm = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->vm < 0)
		return -1;
	vm->mem = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (vm->mem == MAP_FAILED)
		return -1;
	memcpy((char *)vm->mem + (guest_code_gpa(prog) - RAM_GPA), start, end - start);
	region.userspace_addr = (unsigned long)vm->mem;
	if (ioctl(vm->vm, KVM_SET_USER_MEMORY_REGION, &region))
		return -1;
	vm->vcpu = ioctl(vm->vm, KVM_CREATE_VCPU, 0);
	if (vm->vcpu < 0)
		return -1;
	mmap_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	if (vm->run == MAP_FAILED)
		return -1;
	if (ioctl(vm->vm, KVM_ARM_PREFERRED_TARGET, &init))
		return -1;
	init.features[0] |= 1U << KVM_ARM_VCPU_PSCI_0_2;
	if (ioctl(vm->vcpu, KVM_ARM_VCPU_INIT, &init))
		return -1;
	return 0;
}

static inline void vm_destroy(struct vm *vm)
{
	if (vm->run && vm->run != MAP_FAILED)
		munmap(vm->run, sizeof(*vm->run));
	if (vm->mem && vm->mem != MAP_FAILED)
		munmap(vm->mem, RAM_SIZE);
	close(vm->vcpu);
	close(vm->vm);
	close(vm->kvm);
}

static inline int set_reg(struct vm *vm, __u64 id, __u64 val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (unsigned long)&val };

	return ioctl(vm->vcpu, KVM_SET_ONE_REG, &reg);
}

static inline __u64 get_reg(struct vm *vm, __u64 id)
{
	struct kvm_one_reg reg;
	__u64 val = 0xdeadbeef;

	reg.id = id;
	reg.addr = (unsigned long)&val;
	if (ioctl(vm->vcpu, KVM_GET_ONE_REG, &reg))
		return 0xbad0bad0bad0bad0ULL;
	return val;
}

/* Expects the guest's PSCI SYSTEM_OFF: KVM_EXIT_SYSTEM_EVENT of type SHUTDOWN. */
static inline int is_system_off(struct vm *vm)
{
	return vm->run->exit_reason == KVM_EXIT_SYSTEM_EVENT &&
	       vm->run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN;
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

FIXTURE_SETUP(guest)
{
}

FIXTURE_TEARDOWN(guest)
{
	vm_destroy(&self->vm);
}

#define GUEST_SETUP(prog, name) do {						\
	ASSERT_EQ(0, vm_create(&self->vm, prog, name##_start, name##_end))	\
		TH_LOG("VM setup: %s", strerror(errno));			\
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
