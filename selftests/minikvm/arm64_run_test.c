// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_RUN's contract on arm64 and the hypervisor's lifetime: ENOEXEC before
 * KVM_ARM_VCPU_INIT, a signal that ends KVM_RUN out of a spinning guest within 10 ms, the
 * rate of MMIO exits to userspace, two vCPUs in the guest at once, many VM lifetimes, more
 * VMs at once than there are VMIDs, a guest run across a module reload and across CPU
 * power management, and nVHE EL2 running with its MMU on. Each guest is real AArch64 code
 * run at EL1 by minikvm, or by real KVM in the reference host.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "arm64_vm.h"

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
	ASSERT_EQ(0, arm64_vcpu_init(self->vm.vm, v[1].fd, 0));
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
			guest_vm_destroy(vm);
		ASSERT_EQ(0, guest_vm_create(vm, PROG_STORE, guest_store_start, guest_store_end))
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

/* More VMs than 8-bit VMIDs (255, 0 being the host's), all alive at once. */
#define MANY_VMS		300
/* Each VM's guest loads this plus its index from its data page. */
#define MANY_VMS_MAGIC		0x5600000000ULL
/* Real KVM creates 300 VMs more slowly than the default 30 s allow in the lab. */
#define MANY_VMS_TIMEOUT_S	300

/* One of many VMs sharing one /dev fd: memory, a vCPU running the load loop guest. */
static int many_vm_create(int kvm, struct vm *vm, int index)
{
	if (vm_create(vm, kvm, RAM_GPA, RAM_SIZE))
		return -1;
	guest_load(vm, PROG_LOAD_LOOP, guest_load_loop_start, guest_load_loop_end);
	*(__u64 *)(vm->mem + DATA_OFFSET) = MANY_VMS_MAGIC + index;
	if (vcpu_create(vm, 0) || arm64_vcpu_init(vm->vm, vm->vcpu, 0))
		return -1;
	return set_reg(vm, REG_PC, guest_code_gpa(PROG_LOAD_LOOP)) ||
	       set_reg(vm, REG_X(2), RAM_GPA + DATA_OFFSET) || set_reg(vm, REG_X(4), MMIO_GPA);
}

/* One round trip of a load loop guest: its store must carry its own VM's value. */
static int many_vm_run(struct vm *vm, int index)
{
	__u64 data;

	if (ioctl(vm->vcpu, KVM_RUN, 0) || vm->run->exit_reason != KVM_EXIT_MMIO)
		return -1;
	memcpy(&data, vm->run->mmio.data, sizeof(data));
	return data == MANY_VMS_MAGIC + index ? 0 : -1;
}

/*
 * 300 VMs open at once, each run, then each run again: past 255, VMIDs are reused by
 * generation (a VM of an older one gets a new tag when it runs), and no guest may see
 * another's memory through a TLB entry of a reused tag.
 */
TEST_F_TIMEOUT(guest, more_vms_than_vmids_all_run, MANY_VMS_TIMEOUT_S)
{
	struct rlimit nofile;
	struct vm *vms;
	int kvm, i, round;

	/* Two fds per VM. */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &nofile));
	nofile.rlim_cur = nofile.rlim_max;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &nofile));
	kvm = open_kvm_dev();
	ASSERT_LE(0, kvm);
	vms = calloc(MANY_VMS, sizeof(*vms));
	ASSERT_NE(NULL, vms);
	for (i = 0; i < MANY_VMS; i++) {
		ASSERT_EQ(0, many_vm_create(kvm, &vms[i], i))
			TH_LOG("VM %d: %s", i, strerror(errno));
	}
	for (round = 0; round < 2; round++) {
		for (i = 0; i < MANY_VMS; i++) {
			ASSERT_EQ(0, many_vm_run(&vms[i], i))
				TH_LOG("round %d, VM %d", round, i);
		}
	}
	for (i = 0; i < MANY_VMS; i++)
		vm_destroy(&vms[i]);
	free(vms);
	close(kvm);
}

/* Runs the PSCI guest in a fresh VM to its SYSTEM_OFF. */
static int run_psci_guest(void)
{
	struct vm vm;
	int r = -1;

	if (!guest_vm_create(&vm, PROG_PSCI, guest_psci_start, guest_psci_end) &&
	    !set_reg(&vm, REG_PC, guest_code_gpa(PROG_PSCI)) &&
	    !ioctl(vm.vcpu, KVM_RUN, 0) && is_system_off(&vm) &&
	    get_reg(&vm, REG_X(19)) == PSCI_VERSION_1_1)
		r = 0;
	guest_vm_destroy(&vm);
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
#define CPU_PM_FILE	"/sys/kernel/debug/minikvm/cpu_pm"

/* Lines of the hardware file that say "mode=nvhe", and of those, how many "el2_mmu=on". */
static int count_nvhe_lines(int *mmu_on)
{
	char line[256];
	int nvhe = 0;
	FILE *f = fopen(HARDWARE_FILE, "r");

	*mmu_on = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "mode=nvhe"))
			continue;
		nvhe++;
		*mmu_on += !!strstr(line, "el2_mmu=on");
	}
	fclose(f);
	return nvhe;
}

/*
 * A CPU's idle or suspend path brackets its power-down with cpu_pm_enter() and
 * cpu_pm_exit(): minikvm gives EL2 back to the stub before it and installs its vectors
 * again after, as KVM does, and takes kexec's soft restart the same way (the cpu_pm test
 * hook runs both on every CPU and checks EL2 in between). Guests run before and after,
 * and in nVHE each CPU's EL2 is minikvm's again, its MMU on.
 */
TEST(guest_runs_across_cpu_power_management)
{
	int fd, nvhe, mmu_on;

	if (!kvm_dev_is_minikvm())
		SKIP(return, "real KVM has no %s", CPU_PM_FILE);
	ASSERT_EQ(0, run_psci_guest());
	fd = open(CPU_PM_FILE, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", CPU_PM_FILE, strerror(errno));
	EXPECT_EQ(1, write(fd, "1", 1)) TH_LOG("CPU PM cycle: %s", strerror(errno));
	close(fd);
	nvhe = count_nvhe_lines(&mmu_on);
	ASSERT_LE(0, nvhe) TH_LOG("%s: %s", HARDWARE_FILE, strerror(errno));
	EXPECT_EQ(nvhe, mmu_on);
	EXPECT_EQ(0, run_psci_guest());
}

/* nVHE: every CPU's EL2 runs minikvm's code with its own stage 1 on (SCTLR_EL2.M). */
TEST(nvhe_el2_runs_with_its_mmu_on)
{
	int nvhe, mmu_on;

	if (!kvm_dev_is_minikvm())
		SKIP(return, "real KVM has no %s", HARDWARE_FILE);
	nvhe = count_nvhe_lines(&mmu_on);
	ASSERT_LE(0, nvhe) TH_LOG("%s: %s", HARDWARE_FILE, strerror(errno));
	if (!nvhe)
		SKIP(return, "a VHE host: EL2 is the kernel's");
	EXPECT_EQ(nvhe, mmu_on);
}

TEST_HARNESS_MAIN
