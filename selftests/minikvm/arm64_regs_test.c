// SPDX-License-Identifier: GPL-2.0-only
/*
 * The arm64 vCPU's registers: ONE_REG and KVM_GET_REG_LIST, the system registers a guest
 * must not share with the host (PMU registers UNDEFINED, debug registers its own and
 * reset), the ID registers that hide what the vCPU lacks, FP/SIMD: the host's V
 * registers intact across a guest that clobbers them, the guest's kept across exits; and
 * KVM_{GET,SET}_VCPU_EVENTS: a virtual SError made pending, then taken by the guest.
 * Each guest is real AArch64 code run at EL1 by minikvm, or by real KVM in the reference
 * host; both must agree.
 */
#include <sched.h>
#include <sys/syscall.h>

#include "arm64_vm.h"

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

/* MDSCR_EL1.TDCC: a bit the guest may set without enabling any debug event. */
#define MDSCR_TDCC		(1ULL << 12)
/* What an UNDEFINED MRS/MSR leaves in ESR_EL1: EC 0 (Unknown reason), IL (32-bit). */
#define ESR_EL1_UNDEF		(1ULL << 25)
/* OSLSR_EL1: the OS Lock is implemented (OSLM = 0b10), and locked (OSLK). */
#define OSLSR_OSLM_IMPLEMENTED	(1ULL << 3)
#define OSLSR_OSLK		(1ULL << 1)

/*
 * Runs the sysregs guest in a fresh VM to its SYSTEM_OFF, with @bvr to write to
 * DBGBVR0_EL1; fills @slots with what it stored. Returns 0, or -1 on any other exit.
 */
static int run_sysregs_guest(__u64 bvr, __u64 slots[SYSREG_SLOTS])
{
	struct vm vm;
	int r = -1;

	if (!guest_vm_create(&vm, PROG_SYSREGS, guest_sysregs_start, guest_sysregs_end) &&
	    !set_reg(&vm, REG_PC, guest_code_gpa(PROG_SYSREGS)) &&
	    !set_reg(&vm, REG_X(1), bvr) && !set_reg(&vm, REG_X(3), MDSCR_TDCC) &&
	    !set_reg(&vm, REG_X(4), 1))
		r = run_collecting_stores(&vm, slots, SYSREG_SLOTS);
	guest_vm_destroy(&vm);
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
	for (i = 0; i < 32; i++) {
		EXPECT_TRUE(in[i] == out[i])
			TH_LOG("host V%d changed", i);
	}
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
	for (i = 0; i < 32; i++) {
		EXPECT_TRUE(in[i] == out[i])
			TH_LOG("host V%d changed", i);
	}
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

/* ESR_EL1 of an SError exception (EC 0x2f), IL set: the ISS is the syndrome given. */
#define ESR_EL1_SERROR		((0x2fULL << 26) | (1ULL << 25))
/* An ISS for the injected SError: IDS (bit 24, IMPLEMENTATION DEFINED) and some bits. */
#define SERROR_ISS		((1ULL << 24) | 0x1234)

/*
 * KVM_SET_VCPU_EVENTS makes a virtual SError pending (the way a VMM, or the hypervisor
 * for an SError it caught at an exit, hands one to the guest); KVM_GET_VCPU_EVENTS shows
 * it until the guest unmasks SErrors and takes it, with the syndrome given where the CPU
 * has FEAT_RAS (KVM_CAP_ARM_INJECT_SERROR_ESR). Padding must be zero, as on KVM.
 */
TEST_F(guest, injected_serror_reaches_the_guest)
{
	struct kvm_vcpu_events events;
	int has_esr;
	__u64 esr;

	GUEST_SETUP(PROG_SERROR, guest_serror);
	ASSERT_EQ(1, ioctl(self->vm.kvm, KVM_CHECK_EXTENSION, KVM_CAP_VCPU_EVENTS));
	has_esr = ioctl(self->vm.kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_INJECT_SERROR_ESR);
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(0), MMIO_GPA));
	memset(&events, 0, sizeof(events));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_VCPU_EVENTS, &events));
	EXPECT_EQ(0, events.exception.serror_pending);
	EXPECT_EQ(has_esr, events.exception.serror_has_esr);

	events.exception.pad[0] = 1;
	events.exception.serror_pending = 1;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_SET_VCPU_EVENTS, &events));
	EXPECT_EQ(EINVAL, errno);
	memset(&events, 0, sizeof(events));
	events.exception.serror_pending = 1;
	events.exception.serror_has_esr = has_esr;
	events.exception.serror_esr = SERROR_ISS;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_VCPU_EVENTS, &events));
	memset(&events, 0, sizeof(events));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_VCPU_EVENTS, &events));
	EXPECT_EQ(1, events.exception.serror_pending);
	if (has_esr)
		EXPECT_EQ(SERROR_ISS, events.exception.serror_esr);

	ASSERT_EQ(0, run_to_mmio(&self->vm, 0, 8, 1));
	memcpy(&esr, self->vm.run->mmio.data, sizeof(esr));
	EXPECT_EQ(ESR_EL1_SERROR, esr & ~0x1ffffffULL) TH_LOG("ESR_EL1 0x%llx", esr);
	if (has_esr)
		EXPECT_EQ(ESR_EL1_SERROR | SERROR_ISS, esr);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_TRUE(is_system_off(&self->vm));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_VCPU_EVENTS, &events));
	EXPECT_EQ(0, events.exception.serror_pending);
}

TEST_HARNESS_MAIN
