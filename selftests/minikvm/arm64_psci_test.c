// SPDX-License-Identifier: GPL-2.0-only
/*
 * The arm64 vCPU's power and wake-up: PSCI (VERSION, an unknown call, SYSTEM_OFF, CPU_ON
 * of a second vCPU, CPU_OFF), KVM_{GET,SET}_MP_STATE (STOPPED at init, set by userspace,
 * after CPU_OFF, SUSPENDED until an interrupt), WFI that blocks until a signal, and
 * KVM_IRQ_LINE waking a WFI into the guest's IRQ vector; and the firmware's other calls:
 * SMCCC_ARCH_FEATURES of the Spectre workarounds, and the workarounds themselves. Each
 * guest is real AArch64 code run at EL1 by minikvm, or by real KVM in the reference host;
 * both must agree.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>

#include "arm64_vm.h"

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
	ASSERT_EQ(0, arm64_vcpu_init(self->vm.vm, sec.fd, 1U << KVM_ARM_VCPU_POWER_OFF));
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
	struct vm off;

	GUEST_SETUP(PROG_PSCI, guest_psci);
	EXPECT_EQ(1, ioctl(self->vm.kvm, KVM_CHECK_EXTENSION, KVM_CAP_MP_STATE));
	EXPECT_EQ(1, ioctl(self->vm.vm, KVM_CHECK_EXTENSION, KVM_CAP_MP_STATE));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, get_mp_state(&self->vm));
	off.vcpu = ioctl(self->vm.vm, KVM_CREATE_VCPU, 1);
	ASSERT_LE(0, off.vcpu);
	ASSERT_EQ(0, arm64_vcpu_init(self->vm.vm, off.vcpu, 1U << KVM_ARM_VCPU_POWER_OFF));
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

/* SMCCC_ARCH_FEATURES answers of the workarounds (SMCCC 1.1, Arm DEN 0028). */
#define SMCCC_SUCCESS		0LL
#define SMCCC_NOT_SUPPORTED	(-1LL)
#define SMCCC_NOT_REQUIRED	(-2LL)
#define SMCCC_UNAFFECTED	1LL
#define VULN_DIR		"/sys/devices/system/cpu/vulnerabilities/"

/* The host kernel's line for one issue; "" if it has none. */
static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f && !fgets(buf, size, f))
		buf[0] = 0;
	if (f)
		fclose(f);
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Whether /proc/cpuinfo lists the hardware capability @cap. */
static bool has_hwcap(const char *cap)
{
	char line[1024], *tok, *colon;
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && !found && fgets(line, sizeof(line), f)) {
		colon = strchr(line, ':');
		if (!starts_with(line, "Features") || !colon)
			continue;
		for (tok = strtok(colon + 1, "\n "); tok && !found; tok = strtok(NULL, "\n "))
			found = !strcmp(tok, cap);
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * What KVM answers to SMCCC_ARCH_FEATURES of SMCCC_ARCH_WORKAROUND_1, _2 and _3
 * (hypercalls.c): from the kernel's Spectre-v2, SSB and Spectre-BHB states, read here
 * from the lines the kernel shows in sysfs. Two answers where the line does not tell
 * the state apart; the second is the first when it does.
 */
static void expected_answers(long long want[3][2])
{
	char v2[256], v4[256];
	bool ebpf;

	read_line(VULN_DIR "spectre_v2", v2, sizeof(v2));
	read_line(VULN_DIR "spec_store_bypass", v4, sizeof(v4));
	ebpf = starts_with(v2, "Vulnerable: Unprivileged eBPF");
	/* Spectre-v2: CSV2 (hardware) is not affected; any other mitigation is one. */
	if (starts_with(v2, "Not affected") || starts_with(v2, "Mitigation: CSV2"))
		want[0][0] = want[0][1] = SMCCC_UNAFFECTED;
	else if (starts_with(v2, "Mitigation"))
		want[0][0] = want[0][1] = SMCCC_SUCCESS;
	else if (ebpf)
		want[0][0] = SMCCC_SUCCESS, want[0][1] = SMCCC_UNAFFECTED;
	else
		want[0][0] = want[0][1] = SMCCC_NOT_SUPPORTED;
	/* SSB: mitigated by SSBS, the guest uses SSBS; by the firmware, always on. */
	if (starts_with(v4, "Not affected"))
		want[1][0] = want[1][1] = SMCCC_NOT_REQUIRED;
	else if (starts_with(v4, "Mitigation"))
		want[1][0] = want[1][1] = has_hwcap("ssbs") ? SMCCC_NOT_SUPPORTED :
							     SMCCC_NOT_REQUIRED;
	else
		want[1][0] = want[1][1] = SMCCC_NOT_SUPPORTED;
	/* Spectre-BHB: a suffix of the Spectre-v2 line. */
	if (strstr(v2, ", BHB") || ebpf)
		want[2][0] = want[2][1] = SMCCC_SUCCESS;
	else if (strstr(v2, ", but not BHB"))
		want[2][0] = want[2][1] = SMCCC_NOT_SUPPORTED;
	else if (starts_with(v2, "Vulnerable"))
		want[2][0] = SMCCC_NOT_SUPPORTED, want[2][1] = SMCCC_UNAFFECTED;
	else
		want[2][0] = want[2][1] = SMCCC_UNAFFECTED;
}

/*
 * SMCCC_ARCH_FEATURES tells the guest what the host does about Spectre-v2, SSB and
 * Spectre-BHB, as KVM tells it, from the kernel's own state; the workaround calls
 * themselves return 0: the exit into the hypervisor did what this CPU needs.
 */
TEST_F(guest, smccc_workarounds_answer_as_kvm)
{
	static const char *const names[3] = {
		"SMCCC_ARCH_WORKAROUND_1", "SMCCC_ARCH_WORKAROUND_2", "SMCCC_ARCH_WORKAROUND_3",
	};
	long long want[3][2];
	__s64 got[SMCCC_SLOTS];
	int i;

	expected_answers(want);
	GUEST_SETUP(PROG_SMCCC, guest_smccc);
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(4), MMIO_GPA));
	for (i = 0; i < SMCCC_SLOTS; i++) {
		ASSERT_EQ(0, run_to_mmio(&self->vm, 8 * i, 8, 1)) TH_LOG("slot %d", i);
		memcpy(&got[i], self->vm.run->mmio.data, sizeof(got[i]));
	}
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_TRUE(is_system_off(&self->vm));
	for (i = 0; i < 3; i++) {
		const char *name = names[i];

		printf("# %s: ARCH_FEATURES %lld, the call %lld\n", name, (long long)got[i],
		       (long long)got[3 + i]);
		EXPECT_TRUE(got[i] == want[i][0] || got[i] == want[i][1])
			TH_LOG("%s: %lld, expected %lld or %lld", name, (long long)got[i],
			       want[i][0], want[i][1]);
		EXPECT_EQ(SMCCC_SUCCESS, got[3 + i]) TH_LOG("%s", name);
	}
	fflush(stdout);
}

TEST_HARNESS_MAIN
