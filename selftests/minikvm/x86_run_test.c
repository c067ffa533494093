// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_RUN's contract on x86, with guests that loop: two vCPUs of one VM in two threads
 * at once, a signal that ends KVM_RUN out of a spinning guest (interrupts on and off),
 * the rate of exits to userspace, the vCPU's exit counter in its binary stats, and many
 * VMs created, run and destroyed. Run against minikvm and real KVM; where they differ,
 * the test says so and skips.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include "x86_vm.h"

/* A vCPU run in its own thread until HLT, counting its OUTs to port 0x50. */
struct vcpu_thread {
	int vcpu;
	struct kvm_run *run;
	int outs;
	int status;	/* 0, or the exit reason / errno that stopped it */
};

static void *run_vcpu_thread(void *arg)
{
	struct vcpu_thread *t = arg;

	for (;;) {
		if (ioctl(t->vcpu, KVM_RUN, 0)) {
			t->status = -errno;
			break;
		}
		if (t->run->exit_reason == KVM_EXIT_HLT)
			break;
		if (t->run->exit_reason != KVM_EXIT_IO || t->run->io.port != 0x50) {
			t->status = t->run->exit_reason;
			break;
		}
		t->outs++;
	}
	return NULL;
}

TEST_F(x86, two_vcpus_at_once)
{
	const int loops = 300;
	struct vcpu_thread t[2] = { { .vcpu = self->vm.vcpu, .run = self->vm.run } };
	pthread_t thread[2];
	struct kvm_regs regs;
	int i;

	t[1].vcpu = ioctl(self->vm.vm, KVM_CREATE_VCPU, 1);
	ASSERT_LE(0, t[1].vcpu);
	t[1].run = mmap(NULL, self->vm.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, t[1].vcpu, 0);
	ASSERT_NE(MAP_FAILED, t[1].run);
	for (i = 0; i < 2; i++) {
		setup_real_mode(_metadata, t[i].vcpu, self->vm.mem, guest_loop16, guest_loop16_end);
		ASSERT_EQ(0, ioctl(t[i].vcpu, KVM_GET_REGS, &regs));
		regs.rcx = loops + i;
		ASSERT_EQ(0, ioctl(t[i].vcpu, KVM_SET_REGS, &regs));
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&thread[i], NULL, run_vcpu_thread, &t[i]));
	for (i = 0; i < 2; i++) {
		pthread_join(thread[i], NULL);
		EXPECT_EQ(0, t[i].status);
		/* Each ran its own count: the two vCPUs' states never mixed. */
		EXPECT_EQ(loops + i, t[i].outs);
	}
	munmap(t[1].run, self->vm.run_size);
	close(t[1].vcpu);
}

static double elapsed_ms(const struct timespec *from, const struct timespec *to)
{
	return (to->tv_sec - from->tv_sec) * 1e3 + (to->tv_nsec - from->tv_nsec) / 1e6;
}

static void signal_leaves_guest(struct __test_metadata *_metadata, int vcpu,
				struct kvm_run *run, const unsigned char *code,
				const unsigned char *end)
{
	struct sigaction sa = { .sa_handler = record_signal };
	struct itimerval timer = { .it_value = { .tv_usec = 100000 } };
	struct timespec back;
	struct kvm_regs regs;
	double ms;

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &timer, NULL));
	EXPECT_EQ(-1, ioctl(vcpu, KVM_RUN, 0));
	EXPECT_EQ(EINTR, errno);
	clock_gettime(CLOCK_MONOTONIC, &back);
	ASSERT_EQ((__u32)KVM_EXIT_INTR, run->exit_reason);
	ms = elapsed_ms(&signal_time, &back);
	TH_LOG("KVM_RUN returned %.2f ms after the signal", ms);
	/* Generous: the lab's emulated hosts are slow; real hardware takes microseconds. */
	EXPECT_GT(100.0, ms);
	/* The guest was running its loop: RIP is in it. */
	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_REGS, &regs));
	EXPECT_LE(GUEST_CODE, regs.rip);
	EXPECT_GT(GUEST_CODE + (end - code), regs.rip);
	signal(SIGALRM, SIG_DFL);
}

TEST_F(x86, pio_exit_rate)
{
	const int loops = 5000;
	struct timespec start, end;
	struct kvm_regs regs;
	double ms;
	int i;

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_loop16, guest_loop16_end);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	regs.rcx = loops;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_REGS, &regs));
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < loops; i++) {
		ASSERT_EQ(0, run_vcpu(self));
		ASSERT_EXIT(KVM_EXIT_IO);
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	ms = elapsed_ms(&start, &end);
	TH_LOG("%d userspace PIO exits in %.0f ms: %.0f exits/s", loops, ms, loops * 1e3 / ms);
}

TEST_F(x86, signal_leaves_spinning_guest)
{
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_spin16, guest_spin16_end);
	signal_leaves_guest(_metadata, self->vm.vcpu, self->vm.run, guest_spin16, guest_spin16_end);
}

TEST_F(x86, signal_leaves_guest_spinning_with_interrupts_off)
{
	if (!kvm_dev_is_minikvm())
		SKIP(return, "real KVM freezes the lab's Bochs on IF=0 spins (lab-notes)");
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_spin_cli16,
			guest_spin_cli16_end);
	signal_leaves_guest(_metadata, self->vm.vcpu, self->vm.run, guest_spin_cli16,
			    guest_spin_cli16_end);
}

TEST_F(x86, stats_count_exits)
{
	const int loops = 100;
	int64_t before, after;
	struct kvm_regs regs;
	int i;

	if (!kvm_dev_is_minikvm())
		SKIP(return, "exit counts are minikvm's (real KVM counts its own way)");
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_loop16, guest_loop16_end);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	regs.rcx = loops;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_REGS, &regs));
	before = read_vcpu_stat(self->vm.vcpu, "exits", 0);
	ASSERT_LE(0, before);
	for (i = 0; i < loops; i++)
		EXPECT_OUT(0x50, 1, 0);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	after = read_vcpu_stat(self->vm.vcpu, "exits", 0);
	/* One exit per OUT and for the HLT, and one per EPT fill and host interrupt. */
	EXPECT_LE(before + loops + 1, after);
	TH_LOG("exits: %lld for %d OUTs and a HLT", (long long)(after - before), loops);
}

TEST(many_vm_lifetimes)
{
	/* Real KVM sets up far more per VM: 0.1-1.3 s each in the lab's Bochs. */
	const int cycles = kvm_dev_is_minikvm() ? 1000 : 10;
	struct timespec start, end;
	int kvm = open_kvm_dev();
	int i;

	ASSERT_LE(0, kvm);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < cycles; i++) {
		struct kvm_userspace_memory_region region = { .memory_size = 0x10000 };
		unsigned char *mem = mmap(NULL, region.memory_size, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int vm = ioctl(kvm, KVM_CREATE_VM, 0);
		struct kvm_sregs sregs;
		struct kvm_regs regs = { .rip = GUEST_CODE, .rflags = 2 };
		struct kvm_run *run;
		int vcpu;

		ASSERT_NE(MAP_FAILED, mem);
		ASSERT_LE(0, vm);
		memcpy(mem + GUEST_CODE, guest_pio16, 2);	/* mov $0x12, %al */
		mem[GUEST_CODE + 2] = 0xf4;			/* hlt */
		region.userspace_addr = (unsigned long)mem;
		ASSERT_EQ(0, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region));
		vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
		ASSERT_LE(0, vcpu);
		run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE,
			   MAP_SHARED, vcpu, 0);
		ASSERT_NE(MAP_FAILED, run);
		ASSERT_EQ(0, ioctl(vcpu, KVM_GET_SREGS, &sregs));
		sregs.cs.selector = 0;
		sregs.cs.base = 0;
		ASSERT_EQ(0, ioctl(vcpu, KVM_SET_SREGS, &sregs));
		ASSERT_EQ(0, ioctl(vcpu, KVM_SET_REGS, &regs));
		ASSERT_EQ(0, ioctl(vcpu, KVM_RUN, 0));
		ASSERT_EQ((__u32)KVM_EXIT_HLT, run->exit_reason);
		munmap(run, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
		close(vcpu);
		close(vm);
		munmap(mem, region.memory_size);
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	TH_LOG("%d VM create/run/destroy cycles in %.0f ms", cycles, elapsed_ms(&start, &end));
	close(kvm);
}

TEST_HARNESS_MAIN
