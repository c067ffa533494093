// SPDX-License-Identifier: GPL-2.0-only
/*
 * arm64 guests run by KVM_RUN: MMIO loads and stores of every size with sign extension,
 * PSCI (VERSION, SYSTEM_OFF, CPU_ON, AFFINITY_INFO), ONE_REG and KVM_GET_REG_LIST,
 * immediate_exit, a signal out of a spinning guest, WFI, KVM_IRQ_LINE into the guest's
 * vectors, an ioeventfd hit, memslots written, read-only and deleted, the host's FP/SIMD
 * registers across a guest that clobbers them, two vCPUs at once, many VM lifetimes and a
 * module reload. Each guest is real AArch64 code (assembled into this binary, copied into
 * guest memory at an address of its own) run at EL1 by the hypervisor under test:
 * minikvm, or real KVM in the reference host. Both must agree, or the test says why not.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
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
	PROG_ID_REGS, PROG_FPSIMD_COUNT,
};

static __u64 guest_code_gpa(enum guest_prog prog)
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

static int vm_create(struct vm *vm, enum guest_prog prog, const char *start, const char *end)
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

static void vm_destroy(struct vm *vm)
{
	if (vm->run && vm->run != MAP_FAILED)
		munmap(vm->run, sizeof(*vm->run));
	if (vm->mem && vm->mem != MAP_FAILED)
		munmap(vm->mem, RAM_SIZE);
	close(vm->vcpu);
	close(vm->vm);
	close(vm->kvm);
}

static int set_reg(struct vm *vm, __u64 id, __u64 val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (unsigned long)&val };

	return ioctl(vm->vcpu, KVM_SET_ONE_REG, &reg);
}

static __u64 get_reg(struct vm *vm, __u64 id)
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
static int is_system_off(struct vm *vm)
{
	return vm->run->exit_reason == KVM_EXIT_SYSTEM_EVENT &&
	       vm->run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN;
}

static struct timespec signal_time;

static void record_signal(int sig)
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

TEST(run_before_vcpu_init_is_enoexec)
{
	int kvm = open_kvm_dev(), vm, vcpu;

	ASSERT_LE(0, kvm);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, vcpu);
	EXPECT_EQ(-1, ioctl(vcpu, KVM_RUN, 0));
	EXPECT_EQ(ENOEXEC, errno);
	close(vcpu);
	close(vm);
	close(kvm);
}

TEST_F(guest, one_reg_round_trip)
{
	struct kvm_one_reg reg;
	__u64 val;

	GUEST_SETUP(PROG_PSCI, guest_psci);
	EXPECT_EQ(guest_code_gpa(PROG_PSCI), get_reg(&self->vm, REG_PC));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(0), 0x0123456789abcdefULL));
	EXPECT_EQ(0x0123456789abcdefULL, get_reg(&self->vm, REG_X(0)));
	/* KVM's reset state: x1 zero, PSTATE EL1h with DAIF masked. */
	EXPECT_EQ(0ULL, get_reg(&self->vm, REG_X(1)));
	EXPECT_EQ(0x3c5ULL, get_reg(&self->vm, CORE_REG(regs.pstate, KVM_REG_SIZE_U64)));
	/* A wrong size is EINVAL, an offset past struct kvm_regs ENOENT. */
	reg.id = CORE_REG(regs.pc, KVM_REG_SIZE_U32);
	reg.addr = (unsigned long)&val;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_GET_ONE_REG, &reg));
	EXPECT_EQ(EINVAL, errno);
	reg.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | 0x1000;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_GET_ONE_REG, &reg));
	EXPECT_EQ(ENOENT, errno);
}

/* KVM_GET_REG_LIST: E2BIG with the count, then ids that ONE_REG each accepts. */
TEST_F(guest, reg_list_names_gettable_registers)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;
	__uint128_t val;
	struct kvm_one_reg reg = { .addr = (unsigned long)&val };
	int has_pc = 0;
	__u64 i;

	GUEST_SETUP(PROG_PSCI, guest_psci);
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_GET_REG_LIST, &probe));
	EXPECT_EQ(E2BIG, errno);
	ASSERT_LT(32ULL, probe.n);
	list = calloc(1, sizeof(*list) + probe.n * sizeof(list->reg[0]));
	ASSERT_NE(NULL, list);
	list->n = probe.n;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REG_LIST, list));
	EXPECT_EQ(probe.n, list->n);
	for (i = 0; i < list->n; i++) {
		reg.id = list->reg[i];
		has_pc |= reg.id == REG_PC;
		EXPECT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_ONE_REG, &reg))
			TH_LOG("id 0x%llx: %s", (unsigned long long)reg.id, strerror(errno));
	}
	EXPECT_TRUE(has_pc);
	free(list);
}

TEST_F(guest, psci_version_and_unknown_call)
{
	GUEST_SETUP(PROG_PSCI, guest_psci);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0)) TH_LOG("KVM_RUN: %s", strerror(errno));
	ASSERT_TRUE(is_system_off(&self->vm))
		TH_LOG("exit_reason %u", self->vm.run->exit_reason);
	EXPECT_EQ(PSCI_VERSION_1_1, get_reg(&self->vm, REG_X(19)));
	/* SMCCC_RET_NOT_SUPPORTED, all 64 bits, and x1-x3 cleared. */
	EXPECT_EQ(~0ULL, get_reg(&self->vm, REG_X(20)));
	EXPECT_EQ(0ULL, get_reg(&self->vm, REG_X(21)));
	EXPECT_EQ(0ULL, get_reg(&self->vm, REG_X(22)));
	EXPECT_EQ(0ULL, get_reg(&self->vm, REG_X(23)));
}

/* After SYSTEM_OFF, as on KVM, the vCPU does not run again: KVM_RUN sleeps to a signal. */
TEST_F(guest, system_off_stops_the_vcpu)
{
	struct sigaction sa = { .sa_handler = record_signal };
	struct itimerval timer = { .it_value = { .tv_usec = 20000 } };

	GUEST_SETUP(PROG_PSCI, guest_psci);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	ASSERT_TRUE(is_system_off(&self->vm));
	ASSERT_EQ(0, set_reg(&self->vm, REG_PC, guest_code_gpa(PROG_PSCI)));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &timer, NULL));
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ((__u32)KVM_EXIT_INTR, self->vm.run->exit_reason);
	/* The guest did not run: the PC is where it was set. */
	EXPECT_EQ(guest_code_gpa(PROG_PSCI), get_reg(&self->vm, REG_PC));
	signal(SIGALRM, SIG_DFL);
}

/* Runs to the next exit, which must be an MMIO access of @len at MMIO_GPA + @off. */
static int run_to_mmio(struct vm *vm, __u64 off, __u32 len, __u8 is_write)
{
	if (ioctl(vm->vcpu, KVM_RUN, 0))
		return -1;
	return vm->run->exit_reason == KVM_EXIT_MMIO &&
	       vm->run->mmio.phys_addr == MMIO_GPA + off && vm->run->mmio.len == len &&
	       vm->run->mmio.is_write == is_write ? 0 : -1;
}

TEST_F(guest, mmio_every_size_with_sign_extension)
{
	static const struct {
		__u64 off;
		__u32 len;
		__u64 data;
	} stores[] = {
		{ 0x00, 1, 0xa1 },
		{ 0x08, 2, 0xb2b1 },
		{ 0x10, 4, 0xc4c3c2c1 },
		{ 0x18, 8, 0xd8d7d6d5d4d3d2d1ULL },
	}, loads[] = {
		{ 0x20, 1, 0x80 },
		{ 0x28, 2, 0x8001 },
		{ 0x30, 4, 0x80000002 },
		{ 0x38, 8, 0x8877665544332211ULL },
		{ 0x40, 1, 0xf0 },
		{ 0x48, 1, 0x81 },
	};
	/* What x5-x10 must hold: ldrsb x, ldrsh x, ldrsw x, ldr x, ldrb w, ldrsb w. */
	static const __u64 sign_extended[] = {
		0xffffffffffffff80ULL, 0xffffffffffff8001ULL, 0xffffffff80000002ULL,
		0x8877665544332211ULL, 0xf0, 0xffffff81,
	};
	/*
	 * What real KVM (6.1 and 6.12, measured in the reference hosts) puts there: its
	 * kvm_handle_mmio_return() sign-extends the data, then vcpu_data_host_to_guest()
	 * masks it back to the access size. minikvm follows the architecture instead.
	 */
	static const __u64 kvm_truncated[] = {
		0x80, 0x8001, 0x80000002, 0x8877665544332211ULL, 0xf0, 0x81,
	};
	const __u64 *expect = kvm_dev_is_minikvm() ? sign_extended : kvm_truncated;
	__u64 data;
	size_t i;

	GUEST_SETUP(PROG_MMIO, guest_mmio);
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(0), MMIO_GPA));
	/* Register bits beyond each store's size must not reach the bus. */
	for (i = 0; i < ARRAY_SIZE(stores); i++) {
		data = stores[i].data;
		if (stores[i].len < 8)
			data |= ~0ULL << 8 * stores[i].len;
		ASSERT_EQ(0, set_reg(&self->vm, REG_X(1 + i), data));
	}

	for (i = 0; i < ARRAY_SIZE(stores); i++) {
		ASSERT_EQ(0, run_to_mmio(&self->vm, stores[i].off, stores[i].len, 1))
			TH_LOG("store %zu: exit_reason %u addr 0x%llx len %u", i,
			       self->vm.run->exit_reason, self->vm.run->mmio.phys_addr,
			       self->vm.run->mmio.len);
		data = 0;
		memcpy(&data, self->vm.run->mmio.data, stores[i].len);
		EXPECT_EQ(stores[i].data, data);
	}
	for (i = 0; i < ARRAY_SIZE(loads); i++) {
		ASSERT_EQ(0, run_to_mmio(&self->vm, loads[i].off, loads[i].len, 0))
			TH_LOG("load %zu: exit_reason %u addr 0x%llx len %u", i,
			       self->vm.run->exit_reason, self->vm.run->mmio.phys_addr,
			       self->vm.run->mmio.len);
		memcpy(self->vm.run->mmio.data, &loads[i].data, loads[i].len);
	}
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	ASSERT_TRUE(is_system_off(&self->vm));
	for (i = 0; i < ARRAY_SIZE(sign_extended); i++)
		EXPECT_EQ(expect[i], get_reg(&self->vm, REG_X(5 + i)))
			TH_LOG("load %zu, into x%zu", i, 5 + i);
}

TEST_F(guest, immediate_exit_completes_a_pending_load)
{
	__u64 data = 0x7f, pc;

	GUEST_SETUP(PROG_MMIO, guest_mmio);
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(0), MMIO_GPA));
	self->vm.run->immediate_exit = 1;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_EQ(EINTR, errno);
	self->vm.run->immediate_exit = 0;
	/* Four stores, then the first load. */
	for (int i = 0; i < 5; i++)
		ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	ASSERT_EQ((__u32)KVM_EXIT_MMIO, self->vm.run->exit_reason);
	ASSERT_EQ(0, self->vm.run->mmio.is_write);
	pc = get_reg(&self->vm, REG_PC);
	memcpy(self->vm.run->mmio.data, &data, 1);
	self->vm.run->immediate_exit = 1;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ((__u32)KVM_EXIT_MMIO, self->vm.run->exit_reason);
	EXPECT_EQ(0x7fULL, get_reg(&self->vm, REG_X(5)));
	EXPECT_EQ(pc + 4, get_reg(&self->vm, REG_PC));
}

TEST_F(guest, signal_ends_a_spinning_guest_within_10ms)
{
	struct sigaction sa = { .sa_handler = record_signal };
	struct itimerval timer = { .it_value = { .tv_usec = 50000 } };
	struct timespec back;
	long latency_us;

	GUEST_SETUP(PROG_SPIN, guest_spin);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &timer, NULL));
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_RUN, 0));
	clock_gettime(CLOCK_MONOTONIC, &back);
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ((__u32)KVM_EXIT_INTR, self->vm.run->exit_reason);
	/* The guest really ran: its counter moved. */
	EXPECT_NE(0ULL, get_reg(&self->vm, REG_X(0)));
	latency_us = (back.tv_sec - signal_time.tv_sec) * 1000000 +
		     (back.tv_nsec - signal_time.tv_nsec) / 1000;
	EXPECT_GT(10000, latency_us) TH_LOG("KVM_RUN returned %ld us after the signal",
					    latency_us);
	printf("# %s: KVM_RUN returned %ld us after the signal\n", kvm_dev_path(), latency_us);
	/* The harness runs each test in a child that leaves by _exit(). */
	fflush(stdout);
	signal(SIGALRM, SIG_DFL);
}

TEST_F(guest, guest_writes_reach_memslot_and_ioeventfd)
{
	struct kvm_ioeventfd ioeventfd = { .addr = MMIO_GPA + 0x100, .len = 4 };
	__u64 count = 0;
	int efd;

	GUEST_SETUP(PROG_STORE, guest_store);
	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ioeventfd.fd = efd;
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_IOEVENTFD, &ioeventfd))
		TH_LOG("KVM_IOEVENTFD: %s", strerror(errno));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(1), 0x1122334455667788ULL));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(2), RAM_GPA + DATA_OFFSET));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(3), 42));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(4), MMIO_GPA + 0x100));
	/* The MMIO store goes to the eventfd: the next exit is the SYSTEM_OFF. */
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_TRUE(is_system_off(&self->vm)) TH_LOG("exit_reason %u",
						     self->vm.run->exit_reason);
	EXPECT_EQ(0x1122334455667788ULL, *(__u64 *)((char *)self->vm.mem + DATA_OFFSET));
	EXPECT_EQ(8, read(efd, &count, sizeof(count)));
	EXPECT_EQ(1ULL, count);
	close(efd);
}

TEST_F(guest, wfi_blocks_until_a_signal)
{
	struct sigaction sa = { .sa_handler = record_signal };
	struct itimerval timer = { .it_value = { .tv_usec = 50000 } };

	GUEST_SETUP(PROG_WFI, guest_wfi);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &timer, NULL));
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ((__u32)KVM_EXIT_INTR, self->vm.run->exit_reason);
	/* Nothing woke the WFI: the guest never got to count. */
	EXPECT_EQ(0ULL, get_reg(&self->vm, REG_X(0)));
	EXPECT_EQ(guest_code_gpa(PROG_WFI) + 4, get_reg(&self->vm, REG_PC));
	signal(SIGALRM, SIG_DFL);
}

/* Userspace MMIO exits, round trips through KVM_RUN: at least this many per second. */
#define EXIT_RATE_EXITS		2000
#define EXIT_RATE_MIN		100

TEST_F(guest, mmio_exit_rate)
{
	struct timespec t0, t1;
	double secs;
	int i;

	GUEST_SETUP(PROG_MMIO_LOOP, guest_mmio_loop);
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(0), MMIO_GPA));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < EXIT_RATE_EXITS; i++)
		ASSERT_EQ(0, run_to_mmio(&self->vm, 0, 4, 1));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# %s: %d MMIO exits to userspace in %.3f s: %.0f exits/s\n", kvm_dev_path(),
	       EXIT_RATE_EXITS, secs, EXIT_RATE_EXITS / secs);
	fflush(stdout);
	EXPECT_LT(EXIT_RATE_MIN * secs, EXIT_RATE_EXITS);
}

struct smp_vcpu {
	struct vm *vm;
	int fd;
	struct kvm_run *run;
	__u64 mmio_gpa;
	int exits;
};

/* Runs one vCPU of the MMIO loop guest, checking that each exit is its own store. */
static void *smp_vcpu_thread(void *arg)
{
	struct smp_vcpu *v = arg;

	for (v->exits = 0; v->exits < EXIT_RATE_EXITS / 4; v->exits++)
		if (ioctl(v->fd, KVM_RUN, 0) || v->run->exit_reason != KVM_EXIT_MMIO ||
		    v->run->mmio.phys_addr != v->mmio_gpa)
			break;
	return NULL;
}

/* Two vCPUs of one VM in the guest at the same time, one thread each. */
TEST_F(guest, two_vcpus_run_at_once)
{
	struct kvm_vcpu_init init;
	struct smp_vcpu v[2];
	pthread_t thread[2];
	int i;

	GUEST_SETUP(PROG_MMIO_LOOP, guest_mmio_loop);
	v[0] = (struct smp_vcpu){ .fd = self->vm.vcpu, .run = self->vm.run };
	v[1].fd = ioctl(self->vm.vm, KVM_CREATE_VCPU, 1);
	ASSERT_LE(0, v[1].fd);
	v[1].run = mmap(NULL, sizeof(*v[1].run), PROT_READ | PROT_WRITE, MAP_SHARED,
			v[1].fd, 0);
	ASSERT_NE(MAP_FAILED, v[1].run);
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_ARM_PREFERRED_TARGET, &init));
	init.features[0] |= 1U << KVM_ARM_VCPU_PSCI_0_2;
	ASSERT_EQ(0, ioctl(v[1].fd, KVM_ARM_VCPU_INIT, &init));
	for (i = 0; i < 2; i++) {
		struct vm one = { .vcpu = v[i].fd };

		v[i].mmio_gpa = MMIO_GPA + 0x1000 * i;
		ASSERT_EQ(0, set_reg(&one, REG_PC, guest_code_gpa(PROG_MMIO_LOOP)));
		ASSERT_EQ(0, set_reg(&one, REG_X(0), v[i].mmio_gpa));
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&thread[i], NULL, smp_vcpu_thread, &v[i]));
	for (i = 0; i < 2; i++) {
		pthread_join(thread[i], NULL);
		EXPECT_EQ(EXIT_RATE_EXITS / 4, v[i].exits) TH_LOG("vCPU %d", i);
	}
	munmap(v[1].run, sizeof(*v[1].run));
	close(v[1].fd);
}

#define SECONDARY_MMIO		(MMIO_GPA + 0x100)

struct secondary {
	int fd;
	struct kvm_run *run;
	int r;
};

/* The second vCPU's thread: KVM_RUN sleeps until CPU_ON, then runs to its MMIO store. */
static void *run_secondary(void *arg)
{
	struct secondary *s = arg;

	s->r = ioctl(s->fd, KVM_RUN, 0);
	return NULL;
}

/* vCPU 0 starts vCPU 1 (created powered off) with PSCI CPU_ON, as a guest OS boots. */
TEST_F(guest, psci_cpu_on_starts_a_stopped_vcpu)
{
	static const __u64 results[] = {
		PSCI_RET_SUCCESS, PSCI_0_2_AFFINITY_LEVEL_ON, (__u64)(__s64)PSCI_RET_ALREADY_ON,
	};
	struct kvm_vcpu_init init;
	struct secondary sec;
	pthread_t thread;
	__u64 data;
	size_t i;

	GUEST_SETUP(PROG_CPU_ON, guest_cpu_on);
	memcpy((char *)self->vm.mem + (guest_code_gpa(PROG_SECONDARY) - RAM_GPA),
	       guest_secondary_start, guest_secondary_end - guest_secondary_start);
	sec.fd = ioctl(self->vm.vm, KVM_CREATE_VCPU, 1);
	ASSERT_LE(0, sec.fd);
	sec.run = mmap(NULL, sizeof(*sec.run), PROT_READ | PROT_WRITE, MAP_SHARED, sec.fd, 0);
	ASSERT_NE(MAP_FAILED, sec.run);
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_ARM_PREFERRED_TARGET, &init));
	init.features[0] |= 1U << KVM_ARM_VCPU_PSCI_0_2 | 1U << KVM_ARM_VCPU_POWER_OFF;
	ASSERT_EQ(0, ioctl(sec.fd, KVM_ARM_VCPU_INIT, &init));
	/* vCPU 1's MPIDR affinity, as KVM gives it: Aff0 = 1. */
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(20), 1));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(21), guest_code_gpa(PROG_SECONDARY)));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(22), 0xc0ffee));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(23), MMIO_GPA));
	ASSERT_EQ(0, pthread_create(&thread, NULL, run_secondary, &sec));

	for (i = 0; i < ARRAY_SIZE(results); i++) {
		ASSERT_EQ(0, run_to_mmio(&self->vm, 8 * i, 8, 1)) TH_LOG("result %zu", i);
		memcpy(&data, self->vm.run->mmio.data, sizeof(data));
		EXPECT_EQ(results[i], data) TH_LOG("result %zu", i);
	}
	pthread_join(thread, NULL);
	ASSERT_EQ(0, sec.r);
	ASSERT_EQ((__u32)KVM_EXIT_MMIO, sec.run->exit_reason);
	EXPECT_EQ(SECONDARY_MMIO, sec.run->mmio.phys_addr);
	memcpy(&data, sec.run->mmio.data, sizeof(data));
	EXPECT_EQ(0xc0ffeeULL, data);
	munmap(sec.run, sizeof(*sec.run));
	close(sec.fd);
}

struct irq_line_args {
	int vm;
	__u32 irq;
};

/* Raises the line while the vCPU thread sleeps in the guest's WFI. */
static void *raise_irq_line(void *arg)
{
	struct irq_line_args *a = arg;
	struct kvm_irq_level level = { .irq = a->irq, .level = 1 };

	usleep(20000);
	ioctl(a->vm, KVM_IRQ_LINE, &level);
	return NULL;
}

/* KVM_IRQ_LINE on vCPU 0's IRQ line wakes its WFI and enters its IRQ vector. */
TEST_F(guest, irq_line_wakes_wfi_into_the_irq_vector)
{
	struct irq_line_args args;
	struct kvm_irq_level bad;
	pthread_t thread;
	__u64 data = 0;

	GUEST_SETUP(PROG_IRQ, guest_irq);
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(2), MMIO_GPA));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(3), 0x1e9));
	args.vm = self->vm.vm;
	args.irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT | KVM_ARM_IRQ_CPU_IRQ;
	/* No such line, no such vCPU, no in-kernel GIC for a PPI. */
	bad.level = 1;
	bad.irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT | 2;
	EXPECT_EQ(-1, ioctl(self->vm.vm, KVM_IRQ_LINE, &bad));
	EXPECT_EQ(EINVAL, errno);
	bad.irq = args.irq | 1 << KVM_ARM_IRQ_VCPU_SHIFT;
	EXPECT_EQ(-1, ioctl(self->vm.vm, KVM_IRQ_LINE, &bad));
	EXPECT_EQ(EINVAL, errno);
	bad.irq = KVM_ARM_IRQ_TYPE_PPI << KVM_ARM_IRQ_TYPE_SHIFT | 27;
	EXPECT_EQ(-1, ioctl(self->vm.vm, KVM_IRQ_LINE, &bad));
	EXPECT_EQ(ENXIO, errno);

	ASSERT_EQ(0, pthread_create(&thread, NULL, raise_irq_line, &args));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0)) TH_LOG("KVM_RUN: %s", strerror(errno));
	pthread_join(thread, NULL);
	ASSERT_EQ((__u32)KVM_EXIT_MMIO, self->vm.run->exit_reason);
	EXPECT_EQ(MMIO_GPA, self->vm.run->mmio.phys_addr);
	memcpy(&data, self->vm.run->mmio.data, 4);
	EXPECT_EQ(0x1e9ULL, data);
	/* Taken from EL1h: the handler's ELR_EL1 is the WFI loop's branch. */
	EXPECT_EQ(guest_code_gpa(PROG_IRQ) + 0x14,
		  get_reg(&self->vm, CORE_REG(elr_el1, KVM_REG_SIZE_U64)));
}

/* A read-only slot above the RAM: loads read it, stores are MMIO exits, as on KVM. */
#define ROM_GPA		(RAM_GPA + RAM_SIZE)
#define ROM_SIZE	0x1000UL

TEST_F(guest, readonly_slot_reads_and_traps_writes)
{
	struct kvm_userspace_memory_region region = {
		.slot = 1,
		.flags = KVM_MEM_READONLY,
		.guest_phys_addr = ROM_GPA,
		.memory_size = ROM_SIZE,
	};
	__u64 data = 0;
	void *rom;

	GUEST_SETUP(PROG_LOAD_STORE, guest_load_store);
	rom = mmap(NULL, ROM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rom);
	*(__u64 *)rom = 0x0badc0dedeadbeefULL;
	region.userspace_addr = (unsigned long)rom;
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_SET_USER_MEMORY_REGION, &region));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(1), 0x1234));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(2), ROM_GPA));

	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	ASSERT_EQ((__u32)KVM_EXIT_MMIO, self->vm.run->exit_reason);
	EXPECT_EQ(ROM_GPA, self->vm.run->mmio.phys_addr);
	EXPECT_EQ(1, self->vm.run->mmio.is_write);
	EXPECT_EQ(8U, self->vm.run->mmio.len);
	memcpy(&data, self->vm.run->mmio.data, sizeof(data));
	EXPECT_EQ(0x1234ULL, data);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_TRUE(is_system_off(&self->vm));
	EXPECT_EQ(0x0badc0dedeadbeefULL, get_reg(&self->vm, REG_X(5)));
	EXPECT_EQ(0x0badc0dedeadbeefULL, *(__u64 *)rom);
	munmap(rom, ROM_SIZE);
}

/*
 * A page the guest wrote is mapped in stage 2; deleting its slot must unmap it (and
 * flush the TLBs), so that the same store then finds no memory: an MMIO exit.
 */
#define DATA_SLOT_GPA	(ROM_GPA + ROM_SIZE)

TEST_F(guest, deleted_slot_is_unmapped)
{
	struct kvm_userspace_memory_region region = {
		.slot = 2,
		.guest_phys_addr = DATA_SLOT_GPA,
		.memory_size = ROM_SIZE,
	};
	void *data;

	GUEST_SETUP(PROG_STORE, guest_store);
	data = mmap(NULL, ROM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, data);
	region.userspace_addr = (unsigned long)data;
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_SET_USER_MEMORY_REGION, &region));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(1), 0x600d));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(2), DATA_SLOT_GPA));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(4), MMIO_GPA));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	ASSERT_EQ((__u32)KVM_EXIT_MMIO, self->vm.run->exit_reason);
	EXPECT_EQ(MMIO_GPA, self->vm.run->mmio.phys_addr);
	EXPECT_EQ(0x600dULL, *(__u64 *)data);
	/* Complete the store without running on: the next PC set must stay as set. */
	self->vm.run->immediate_exit = 1;
	ASSERT_EQ(-1, ioctl(self->vm.vcpu, KVM_RUN, 0));
	self->vm.run->immediate_exit = 0;

	region.memory_size = 0;
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_SET_USER_MEMORY_REGION, &region));
	ASSERT_EQ(0, set_reg(&self->vm, REG_PC, guest_code_gpa(PROG_STORE)));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	ASSERT_EQ((__u32)KVM_EXIT_MMIO, self->vm.run->exit_reason);
	EXPECT_EQ(DATA_SLOT_GPA, self->vm.run->mmio.phys_addr);
	EXPECT_EQ(1, self->vm.run->mmio.is_write);
	munmap(data, ROM_SIZE);
}

static int get_mp_state(struct vm *vm)
{
	struct kvm_mp_state mp_state = { .mp_state = ~0U };

	if (ioctl(vm->vcpu, KVM_GET_MP_STATE, &mp_state))
		return -1;
	return mp_state.mp_state;
}

static int set_mp_state(struct vm *vm, __u32 state)
{
	struct kvm_mp_state mp_state = { .mp_state = state };

	return ioctl(vm->vcpu, KVM_SET_MP_STATE, &mp_state);
}

/* KVM_RUN of a vCPU that must not enter the guest: it sleeps until a signal 20 ms on. */
static int run_sleeps_until_a_signal(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = record_signal };
	struct itimerval timer = { .it_value = { .tv_usec = 20000 } };
	int r, err;

	if (sigaction(SIGALRM, &sa, NULL) || setitimer(ITIMER_REAL, &timer, NULL))
		return -1;
	r = ioctl(vm->vcpu, KVM_RUN, 0);
	err = errno;
	signal(SIGALRM, SIG_DFL);
	return r == -1 && err == EINTR && vm->run->exit_reason == KVM_EXIT_INTR ? 0 : -1;
}

/* arm64 KVM has KVM_CAP_MP_STATE; a vCPU initialised with POWER_OFF is STOPPED. */
TEST_F(guest, mp_state_at_init)
{
	struct kvm_vcpu_init init;
	struct vm off;

	GUEST_SETUP(PROG_PSCI, guest_psci);
	EXPECT_EQ(1, ioctl(self->vm.kvm, KVM_CHECK_EXTENSION, KVM_CAP_MP_STATE));
	EXPECT_EQ(1, ioctl(self->vm.vm, KVM_CHECK_EXTENSION, KVM_CAP_MP_STATE));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, get_mp_state(&self->vm));
	off.vcpu = ioctl(self->vm.vm, KVM_CREATE_VCPU, 1);
	ASSERT_LE(0, off.vcpu);
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_ARM_PREFERRED_TARGET, &init));
	init.features[0] |= 1U << KVM_ARM_VCPU_PSCI_0_2 | 1U << KVM_ARM_VCPU_POWER_OFF;
	ASSERT_EQ(0, ioctl(off.vcpu, KVM_ARM_VCPU_INIT, &init));
	EXPECT_EQ(KVM_MP_STATE_STOPPED, get_mp_state(&off));
	close(off.vcpu);
}

/*
 * STOPPED from userspace: KVM_RUN sleeps until a signal without running the guest;
 * RUNNABLE again: the guest runs. Other states are refused.
 */
TEST_F(guest, mp_state_stopped_then_runnable)
{
	GUEST_SETUP(PROG_PSCI, guest_psci);
	ASSERT_EQ(0, set_mp_state(&self->vm, KVM_MP_STATE_STOPPED));
	EXPECT_EQ(KVM_MP_STATE_STOPPED, get_mp_state(&self->vm));
	EXPECT_EQ(0, run_sleeps_until_a_signal(&self->vm));
	EXPECT_EQ(guest_code_gpa(PROG_PSCI), get_reg(&self->vm, REG_PC));

	ASSERT_EQ(0, set_mp_state(&self->vm, KVM_MP_STATE_RUNNABLE));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, get_mp_state(&self->vm));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_TRUE(is_system_off(&self->vm));
	EXPECT_EQ(PSCI_VERSION_1_1, get_reg(&self->vm, REG_X(19)));
	/* SYSTEM_OFF stops every vCPU. */
	EXPECT_EQ(KVM_MP_STATE_STOPPED, get_mp_state(&self->vm));

	EXPECT_EQ(-1, set_mp_state(&self->vm, KVM_MP_STATE_HALTED));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, set_mp_state(&self->vm, 42));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(KVM_MP_STATE_STOPPED, get_mp_state(&self->vm));
}

/*
 * PSCI CPU_OFF stops the vCPU; made RUNNABLE by userspace, it goes on after the call,
 * which returned SUCCESS with x1-x3 zeroed.
 */
TEST_F(guest, mp_state_after_psci_cpu_off)
{
	__u64 data = ~0ULL;

	GUEST_SETUP(PROG_CPU_OFF, guest_cpu_off);
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(4), MMIO_GPA));
	EXPECT_EQ(0, run_sleeps_until_a_signal(&self->vm));
	EXPECT_EQ(KVM_MP_STATE_STOPPED, get_mp_state(&self->vm));
	ASSERT_EQ(0, set_mp_state(&self->vm, KVM_MP_STATE_RUNNABLE));
	ASSERT_EQ(0, run_to_mmio(&self->vm, 0, 8, 1))
		TH_LOG("exit_reason %u addr 0x%llx", self->vm.run->exit_reason,
		       self->vm.run->mmio.phys_addr);
	memcpy(&data, self->vm.run->mmio.data, sizeof(data));
	EXPECT_EQ((__u64)PSCI_RET_SUCCESS, data);
	EXPECT_EQ(0ULL, get_reg(&self->vm, REG_X(1)));
}

/*
 * SUSPENDED (KVM 5.19 and later): KVM_RUN waits as in WFI; an interrupt wakes it to
 * userspace with KVM_SYSTEM_EVENT_WAKEUP, still SUSPENDED until userspace says RUNNABLE.
 */
TEST_F(guest, mp_state_suspended_wakes_on_irq)
{
	struct kvm_irq_level level = {
		.irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT | KVM_ARM_IRQ_CPU_IRQ,
		.level = 1,
	};

	GUEST_SETUP(PROG_PSCI, guest_psci);
	ASSERT_EQ(0, set_mp_state(&self->vm, KVM_MP_STATE_SUSPENDED))
		TH_LOG("KVM_SET_MP_STATE: %s", strerror(errno));
	EXPECT_EQ(KVM_MP_STATE_SUSPENDED, get_mp_state(&self->vm));
	EXPECT_EQ(0, run_sleeps_until_a_signal(&self->vm));
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_IRQ_LINE, &level));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_EQ((__u32)KVM_EXIT_SYSTEM_EVENT, self->vm.run->exit_reason);
	EXPECT_EQ((__u32)KVM_SYSTEM_EVENT_WAKEUP, self->vm.run->system_event.type);
	EXPECT_EQ(KVM_MP_STATE_SUSPENDED, get_mp_state(&self->vm));
	EXPECT_EQ(guest_code_gpa(PROG_PSCI), get_reg(&self->vm, REG_PC));
	level.level = 0;
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_IRQ_LINE, &level));
	ASSERT_EQ(0, set_mp_state(&self->vm, KVM_MP_STATE_RUNNABLE));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_TRUE(is_system_off(&self->vm));
}

/* MDSCR_EL1.TDCC: a bit the guest may set without enabling any debug event. */
#define MDSCR_TDCC		(1ULL << 12)
/* What an UNDEFINED MRS/MSR leaves in ESR_EL1: EC 0 (Unknown reason), IL (32-bit). */
#define ESR_EL1_UNDEF		(1ULL << 25)
/* OSLSR_EL1: the OS Lock is implemented (OSLM = 0b10), and locked (OSLK). */
#define OSLSR_OSLM_IMPLEMENTED	(1ULL << 3)
#define OSLSR_OSLK		(1ULL << 1)

/*
 * Runs @vm to its SYSTEM_OFF, putting each 8-byte MMIO store at MMIO_GPA + 8 * i into
 * @slots[i]. Returns 0, or -1 on any other exit.
 */
static int run_collecting_stores(struct vm *vm, __u64 *slots, unsigned int nr_slots)
{
	__u64 off;

	memset(slots, 0xee, nr_slots * sizeof(slots[0]));
	set_reg(vm, REG_X(0), MMIO_GPA);
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

/*
 * Runs the sysregs guest in a fresh VM to its SYSTEM_OFF, with @bvr to write to
 * DBGBVR0_EL1; fills @slots with what it stored. Returns 0, or -1 on any other exit.
 */
static int run_sysregs_guest(__u64 bvr, __u64 slots[SYSREG_SLOTS])
{
	struct vm vm;
	int r = -1;

	if (!vm_create(&vm, PROG_SYSREGS, guest_sysregs_start, guest_sysregs_end) &&
	    !set_reg(&vm, REG_PC, guest_code_gpa(PROG_SYSREGS)) &&
	    !set_reg(&vm, REG_X(1), bvr) && !set_reg(&vm, REG_X(3), MDSCR_TDCC) &&
	    !set_reg(&vm, REG_X(4), 1))
		r = run_collecting_stores(&vm, slots, SYSREG_SLOTS);
	vm_destroy(&vm);
	return r;
}

/*
 * The host's PMU and debug registers are out of the guest's reach: with no PMU feature
 * asked at KVM_ARM_VCPU_INIT, every PMU register is UNDEFINED (a read of PMCR_EL0 would
 * show the host's, a write stop its counters); the debug registers are the vCPU's own,
 * zero at reset. Two VMs in turn on one CPU: the second does not see the breakpoint
 * value the first wrote.
 */
TEST(pmu_and_debug_registers_are_not_the_hosts)
{
	static const char *const names[SYSREG_SLOTS] = {
		"PMCR_EL0", "PMCCNTR_EL0", "PMEVCNTR0_EL0", "PMCR_EL0 write", "DBGBVR0_EL1",
		"DBGBVR0_EL1 written", "MDSCR_EL1 written", "OSLSR_EL1", "OSLSR_EL1 locked",
	};
	const __u64 undef = SYSREG_UNDEF_MARK | ESR_EL1_UNDEF;
	__u64 expect[SYSREG_SLOTS] = {
		undef, undef, undef, undef, 0, 0x40001000, MDSCR_TDCC,
		OSLSR_OSLM_IMPLEMENTED, OSLSR_OSLM_IMPLEMENTED | OSLSR_OSLK,
	};
	__u64 slots[SYSREG_SLOTS];
	cpu_set_t cpu0;
	int run, i;

	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu0), &cpu0));
	for (run = 0; run < 2; run++) {
		expect[SYSREG_SLOT_DBGBVR0_WRITTEN / 8] = 0x40001000 + 0x1000 * run;
		ASSERT_EQ(0, run_sysregs_guest(expect[SYSREG_SLOT_DBGBVR0_WRITTEN / 8], slots))
			TH_LOG("run %d: the guest did not reach SYSTEM_OFF", run);
		for (i = 0; i < SYSREG_SLOTS; i++) {
			const char *name = names[i];
			__u64 got = slots[i];

			EXPECT_EQ(expect[i], got)
				TH_LOG("run %d: %s: 0x%llx", run, name, (unsigned long long)got);
		}
	}
}

/* A 4-bit ID register field at @shift. */
#define ID_FIELD(shift)		(0xfULL << (shift))

/*
 * The ID registers hide what the vCPU does not have, as KVM hides it from a vCPU without
 * the matching KVM_ARM_VCPU_INIT feature: SVE, SME, the PMU, statistical profiling,
 * pointer authentication, AMU, MPAM, MTE (QEMU's -cpu max has most of them). What is
 * left is the host's: the guest still sees an AArch64 EL1 and the Armv8.0 debug
 * architecture.
 */
TEST_F(guest, id_registers_hide_what_the_vcpu_lacks)
{
	static const struct {
		const char *name;
		__u64 hidden;
	} regs[] = {
		/* SVE, MPAM, AMU. */
		{ "ID_AA64PFR0_EL1", ID_FIELD(32) | ID_FIELD(40) | ID_FIELD(44) },
		/* MTE, SME. */
		{ "ID_AA64PFR1_EL1", ID_FIELD(8) | ID_FIELD(24) },
		/* PMUVer, PMSVer. */
		{ "ID_AA64DFR0_EL1", ID_FIELD(8) | ID_FIELD(32) },
		/* APA, API, GPA, GPI. */
		{ "ID_AA64ISAR1_EL1", ID_FIELD(4) | ID_FIELD(8) | ID_FIELD(24) | ID_FIELD(28) },
		{ "ID_AA64ZFR0_EL1", ~0ULL },
	};
	__u64 val[ARRAY_SIZE(regs)];
	size_t i;

	GUEST_SETUP(PROG_ID_REGS, guest_id_regs);
	ASSERT_EQ(0, run_collecting_stores(&self->vm, val, ARRAY_SIZE(val)));
	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		const char *name = regs[i].name;
		__u64 got = val[i];

		EXPECT_EQ(0ULL, got & regs[i].hidden)
			TH_LOG("%s: 0x%llx", name, (unsigned long long)got);
	}
	/* ID_AA64PFR0_EL1.EL1: AArch64 at EL1; ID_AA64DFR0_EL1.DebugVer: Armv8.0 (6). */
	EXPECT_NE(0ULL, val[0] & ID_FIELD(4));
	EXPECT_EQ(6ULL, val[2] & ID_FIELD(0));
}

/* The IPA size: KVM's default of 40 bits, and a 32-bit VM whose slots end at 4 GiB. */
TEST(ipa_size_bounds_memslots)
{
	struct kvm_userspace_memory_region region = {
		.guest_phys_addr = 1ULL << 32,
		.memory_size = RAM_SIZE,
	};
	int kvm = open_kvm_dev(), vm;
	void *mem;

	ASSERT_LE(0, kvm);
	EXPECT_LE(40, ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE));
	EXPECT_EQ(1, ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PSCI_0_2));
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_TYPE_ARM_IPA_SIZE(32));
	ASSERT_LE(0, vm);
	mem = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	region.userspace_addr = (unsigned long)mem;
	EXPECT_EQ(-1, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region));
	EXPECT_EQ(EFAULT, errno);
	region.guest_phys_addr -= RAM_SIZE;
	EXPECT_EQ(0, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region));
	munmap(mem, RAM_SIZE);
	close(vm);
	close(kvm);
}

/*
 * KVM_RUN by a raw "svc", with every V register loaded before and stored after, so that
 * nothing in between (no libc) may use them. Returns the syscall's result.
 */
static long run_with_vregs(int vcpu, const __uint128_t in[32], __uint128_t out[32])
{
	register long x0 asm("x0") = vcpu;
	register long x1 asm("x1") = KVM_RUN;
	register long x2 asm("x2") = 0;
	register long x8 asm("x8") = __NR_ioctl;
	register const __uint128_t *x9 asm("x9") = in;
	register __uint128_t *x10 asm("x10") = out;

	asm volatile(
		"ldp	q0, q1, [x9, #0]\n	ldp	q2, q3, [x9, #32]\n"
		"ldp	q4, q5, [x9, #64]\n	ldp	q6, q7, [x9, #96]\n"
		"ldp	q8, q9, [x9, #128]\n	ldp	q10, q11, [x9, #160]\n"
		"ldp	q12, q13, [x9, #192]\n	ldp	q14, q15, [x9, #224]\n"
		"ldp	q16, q17, [x9, #256]\n	ldp	q18, q19, [x9, #288]\n"
		"ldp	q20, q21, [x9, #320]\n	ldp	q22, q23, [x9, #352]\n"
		"ldp	q24, q25, [x9, #384]\n	ldp	q26, q27, [x9, #416]\n"
		"ldp	q28, q29, [x9, #448]\n	ldp	q30, q31, [x9, #480]\n"
		"svc	#0\n"
		"stp	q0, q1, [x10, #0]\n	stp	q2, q3, [x10, #32]\n"
		"stp	q4, q5, [x10, #64]\n	stp	q6, q7, [x10, #96]\n"
		"stp	q8, q9, [x10, #128]\n	stp	q10, q11, [x10, #160]\n"
		"stp	q12, q13, [x10, #192]\n	stp	q14, q15, [x10, #224]\n"
		"stp	q16, q17, [x10, #256]\n	stp	q18, q19, [x10, #288]\n"
		"stp	q20, q21, [x10, #320]\n	stp	q22, q23, [x10, #352]\n"
		"stp	q24, q25, [x10, #384]\n	stp	q26, q27, [x10, #416]\n"
		"stp	q28, q29, [x10, #448]\n	stp	q30, q31, [x10, #480]\n"
		: "+r" (x0)
		: "r" (x1), "r" (x2), "r" (x8), "r" (x9), "r" (x10)
		: "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10",
		  "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21",
		  "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
	return x0;
}

TEST_F(guest, host_fpsimd_intact_after_guest_clobbers_it)
{
	__uint128_t in[32], out[32];
	__uint128_t v;
	struct kvm_one_reg reg = { .addr = (unsigned long)&v };
	int i;

	GUEST_SETUP(PROG_FPSIMD, guest_fpsimd);
	for (i = 0; i < 32; i++)
		in[i] = ((__uint128_t)0x0123456789abcdefULL << 64 | 0xfedcba9876543210ULL) + i;
	ASSERT_EQ(0, run_with_vregs(self->vm.vcpu, in, out));
	ASSERT_TRUE(is_system_off(&self->vm));
	for (i = 0; i < 32; i++)
		EXPECT_TRUE(in[i] == out[i]) TH_LOG("host V%d changed", i);
	/* The guest's own values were kept for it. */
	for (i = 0; i < 32; i++) {
		__uint128_t want = 0;

		memset(&want, 0xa0 + i, sizeof(want));
		reg.id = REG_V(i);
		ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_ONE_REG, &reg));
		EXPECT_TRUE(v == want) TH_LOG("guest V%d lost", i);
	}
}

/*
 * The guest's V0 is the one KVM_SET_ONE_REG gave, not the host's (the first KVM_RUN is
 * made with other values in every V register, which it must keep), and it survives an
 * exit the hypervisor handles and the KVM_RUNs that follow.
 */
TEST_F(guest, guest_fpsimd_kept_across_exits)
{
	__uint128_t in[32], out[32], v = 41;
	struct kvm_one_reg reg = { .id = REG_V(0), .addr = (unsigned long)&v };
	__u64 data = 0;
	int i;

	GUEST_SETUP(PROG_FPSIMD_COUNT, guest_fpsimd_count);
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(4), MMIO_GPA));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_ONE_REG, &reg));
	for (i = 0; i < 32; i++)
		in[i] = ((__uint128_t)0x5555aaaa5555aaaaULL << 64) + 1000 + i;
	ASSERT_EQ(0, run_with_vregs(self->vm.vcpu, in, out));
	for (i = 0; i < 32; i++)
		EXPECT_TRUE(in[i] == out[i]) TH_LOG("host V%d changed", i);
	for (i = 0; i < 4; i++) {
		if (i)
			ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
		ASSERT_EQ((__u32)KVM_EXIT_MMIO, self->vm.run->exit_reason);
		ASSERT_EQ(8U, self->vm.run->mmio.len);
		memcpy(&data, self->vm.run->mmio.data, sizeof(data));
		EXPECT_EQ(41ULL + i, data) TH_LOG("exit %d", i);
	}
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_ONE_REG, &reg));
	EXPECT_TRUE(v == 44) TH_LOG("V0 is 0x%llx after the guest's last exit", (__u64)v);
}

/* The count: each of the 255 VMIDs used about four times. */
#define VM_CYCLES	1000
/* Real KVM took 53 s for them in the reference host (minikvm 13 s), past the default 30. */
#define VM_CYCLES_TIMEOUT_S	180

/* Each VM lives in self->vm until the next replaces it; the teardown ends the last. */
TEST_F_TIMEOUT(guest, many_vm_lifetimes, VM_CYCLES_TIMEOUT_S)
{
	struct timespec t0, t1;
	struct vm *vm = &self->vm;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < VM_CYCLES; i++) {
		if (i)
			vm_destroy(vm);
		ASSERT_EQ(0, vm_create(vm, PROG_STORE, guest_store_start, guest_store_end))
			TH_LOG("cycle %d: %s", i, strerror(errno));
		ASSERT_EQ(0, set_reg(vm, REG_PC, guest_code_gpa(PROG_STORE)));
		ASSERT_EQ(0, set_reg(vm, REG_X(1), i));
		ASSERT_EQ(0, set_reg(vm, REG_X(2), RAM_GPA + DATA_OFFSET));
		ASSERT_EQ(0, set_reg(vm, REG_X(4), MMIO_GPA));
		ASSERT_EQ(0, ioctl(vm->vcpu, KVM_RUN, 0));
		ASSERT_EQ((__u32)KVM_EXIT_MMIO, vm->run->exit_reason);
		ASSERT_EQ(0, ioctl(vm->vcpu, KVM_RUN, 0));
		ASSERT_TRUE(is_system_off(vm));
		ASSERT_EQ((__u64)i, *(__u64 *)((char *)vm->mem + DATA_OFFSET));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %s: %d VMs created, run and destroyed in %ld ms\n", kvm_dev_path(), VM_CYCLES,
	       (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	fflush(stdout);
}

/* Runs the PSCI guest in a fresh VM to its SYSTEM_OFF. */
static int run_psci_guest(void)
{
	struct vm vm;
	int r = -1;

	if (!vm_create(&vm, PROG_PSCI, guest_psci_start, guest_psci_end) &&
	    !set_reg(&vm, REG_PC, guest_code_gpa(PROG_PSCI)) &&
	    !ioctl(vm.vcpu, KVM_RUN, 0) && is_system_off(&vm) &&
	    get_reg(&vm, REG_X(19)) == PSCI_VERSION_1_1)
		r = 0;
	vm_destroy(&vm);
	return r;
}

/*
 * The module gives EL2 back (nVHE: the stub's vectors) at unload and takes it again at
 * load: a guest runs before and after. The module file is MINIKVM_KO, as in module_test.
 */
TEST(guest_runs_across_module_reload)
{
	const char *ko = getenv("MINIKVM_KO");
	int fd;

	if (!kvm_dev_is_minikvm())
		SKIP(return, "real KVM is part of the kernel: nothing to reload");
	if (!ko || !*ko)
		ko = "/lib/minikvm/minikvm.ko";
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, "no module file %s", ko);
	ASSERT_EQ(0, run_psci_guest());
	ASSERT_EQ(0, syscall(__NR_delete_module, "minikvm", O_NONBLOCK))
		TH_LOG("delete_module: %s", strerror(errno));
	ASSERT_EQ(0, syscall(__NR_finit_module, fd, "", 0))
		TH_LOG("finit_module: %s", strerror(errno));
	close(fd);
	EXPECT_EQ(0, run_psci_guest());
}

#define HARDWARE_FILE	"/sys/kernel/debug/minikvm/hardware"

/* nVHE: every CPU's EL2 runs minikvm's code with its own stage 1 on (SCTLR_EL2.M). */
TEST(nvhe_el2_runs_with_its_mmu_on)
{
	char line[256];
	int nvhe = 0;
	FILE *f;

	if (!kvm_dev_is_minikvm())
		SKIP(return, "real KVM has no %s", HARDWARE_FILE);
	f = fopen(HARDWARE_FILE, "r");
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", HARDWARE_FILE, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "mode=nvhe"))
			continue;
		nvhe++;
		EXPECT_NE(NULL, strstr(line, "el2_mmu=on")) TH_LOG("%s", line);
	}
	fclose(f);
	if (!nvhe)
		SKIP(return, "a VHE host: EL2 is the kernel's");
}

TEST_HARNESS_MAIN
