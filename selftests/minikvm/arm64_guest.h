/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The arm64 selftests' guests: AArch64 programs assembled into the test binary, each
 * between a guest_NAME_start and a guest_NAME_end label, for a test to copy into guest
 * memory; the ONE_REG ids of the core registers they use (REG_X(), REG_PC, REG_V()) come
 * from the guest set-up library, tools/lib/arm64_setup.h. The assembly is defined here,
 * not declared: each arm64 test that runs guests includes this once (through arm64_vm.h)
 * and links its own copy of every guest, used or not.
 */
#ifndef MINIKVM_ARM64_GUEST_H
#define MINIKVM_ARM64_GUEST_H

#include "kvm_util.h"

/*
 * A guest program, name##_start to name##_end, to copy into guest memory: position
 * independent, taking addresses in registers set through ONE_REG. The labels are global:
 * the linker would give C's GOT references to two local labels of one section a single
 * entry. SYSTEM_OFF ends a program with PSCI SYSTEM_OFF.
 */
#define GUEST_CODE(name, body)						\
	extern const char name##_start[], name##_end[];			\
	asm(".pushsection .rodata." #name ", \"a\"\n"			\
	    ".balign 4\n"						\
	    ".globl " #name "_start, " #name "_end\n"			\
	    #name "_start:\n"						\
	    body							\
	    #name "_end:\n"						\
	    ".popsection\n")

#define SYSTEM_OFF							\
	"movz	w0, #0x0008\n"						\
	"movk	w0, #0x8400, lsl #16\n"					\
	"hvc	#0\n"							\
	"b	.\n"

/* x0 = MMIO base; x1-x4 = values to store. Loads land in x5-x10. */
GUEST_CODE(guest_mmio,
	"strb	w1, [x0, #0x00]\n"
	"strh	w2, [x0, #0x08]\n"
	"str	w3, [x0, #0x10]\n"
	"str	x4, [x0, #0x18]\n"
	"ldrsb	x5, [x0, #0x20]\n"
	"ldrsh	x6, [x0, #0x28]\n"
	"ldrsw	x7, [x0, #0x30]\n"
	"ldr	x8, [x0, #0x38]\n"
	"ldrb	w9, [x0, #0x40]\n"
	"ldrsb	w10, [x0, #0x48]\n"
	SYSTEM_OFF);

/* PSCI_VERSION into x19, an unknown SMCCC function's result into x20-x23. */
GUEST_CODE(guest_psci,
	"movz	w0, #0x8400, lsl #16\n"
	"hvc	#0\n"
	"mov	x19, x0\n"
	"movz	w0, #0xff00\n"
	"movk	w0, #0x8400, lsl #16\n"
	"mov	x1, #1\n"
	"mov	x2, #2\n"
	"mov	x3, #3\n"
	"hvc	#0\n"
	"mov	x20, x0\n"
	"mov	x21, x1\n"
	"mov	x22, x2\n"
	"mov	x23, x3\n"
	SYSTEM_OFF);

/* Spins forever. */
GUEST_CODE(guest_spin,
	"1:	add	x0, x0, #1\n"
	"b	1b\n");

/* x1 stored at the guest address in x2, then x3 stored to the MMIO address in x4. */
GUEST_CODE(guest_store,
	"str	x1, [x2]\n"
	"str	w3, [x4]\n"
	SYSTEM_OFF);

/* Enables FP/SIMD (CPACR_EL1.FPEN) and fills V<n> with bytes 0xa0 + n. */
#define MOVI(n)	"movi	v" #n ".16b, #(0xa0 + " #n ")\n"
GUEST_CODE(guest_fpsimd,
	"mov	x0, #(3 << 20)\n"
	"msr	cpacr_el1, x0\n"
	"isb\n"
	MOVI(0) MOVI(1) MOVI(2) MOVI(3) MOVI(4) MOVI(5) MOVI(6) MOVI(7)
	MOVI(8) MOVI(9) MOVI(10) MOVI(11) MOVI(12) MOVI(13) MOVI(14) MOVI(15)
	MOVI(16) MOVI(17) MOVI(18) MOVI(19) MOVI(20) MOVI(21) MOVI(22) MOVI(23)
	MOVI(24) MOVI(25) MOVI(26) MOVI(27) MOVI(28) MOVI(29) MOVI(30) MOVI(31)
	SYSTEM_OFF);

/*
 * Enables FP/SIMD, then forever: PSCI_VERSION (an exit the hypervisor handles itself),
 * a store of V0's low half to the MMIO address in x4, and V0 = that + 1.
 */
GUEST_CODE(guest_fpsimd_count,
	"mov	x5, #(3 << 20)\n"
	"msr	cpacr_el1, x5\n"
	"isb\n"
	"1:	movz	w0, #0x8400, lsl #16\n"
	"hvc	#0\n"
	"fmov	x6, d0\n"
	"str	x6, [x4]\n"
	"add	x6, x6, #1\n"
	"fmov	d0, x6\n"
	"b	1b\n");

/* Loads x5 from the address in x2, then stores x1 there. */
GUEST_CODE(guest_load_store,
	"ldr	x5, [x2]\n"
	"str	x1, [x2]\n"
	SYSTEM_OFF);

/* Stores x1 to the MMIO address in x0, forever. */
GUEST_CODE(guest_mmio_loop,
	"1:	str	w1, [x0]\n"
	"b	1b\n");

/* Waits for an interrupt, forever. */
GUEST_CODE(guest_wfi,
	"1:	wfi\n"
	"add	x0, x0, #1\n"
	"b	1b\n");

/*
 * Its own vector table (VBAR_EL1 needs 2 KiB alignment): unmasks IRQs and waits in WFI;
 * the IRQ vector (current EL with SP_ELx, +0x280) stores x3 to the MMIO address in x2.
 */
GUEST_CODE(guest_irq,
	".balign 2048\n"
	"1:	adr	x0, 1b\n"
	"msr	vbar_el1, x0\n"
	"isb\n"
	"msr	daifclr, #2\n"
	"2:	wfi\n"
	"b	2b\n"
	".org	1b + 0x280\n"
	"str	w3, [x2]\n"
	SYSTEM_OFF);

/*
 * PSCI CPU_ON of the vCPU whose MPIDR is in x20, at x21 with context id x22; then
 * AFFINITY_INFO of it, then CPU_ON again. Each result is stored to the MMIO address in
 * x23, at +0, +8 and +16.
 */
#define PSCI_FN64(n)	"movz	w0, #" #n "\n	movk	w0, #0xc400, lsl #16\n"
GUEST_CODE(guest_cpu_on,
	PSCI_FN64(3)
	"mov	x1, x20\n"
	"mov	x2, x21\n"
	"mov	x3, x22\n"
	"hvc	#0\n"
	"str	x0, [x23]\n"
	PSCI_FN64(4)
	"mov	x1, x20\n"
	"mov	x2, #0\n"
	"hvc	#0\n"
	"str	x0, [x23, #8]\n"
	PSCI_FN64(3)
	"mov	x1, x20\n"
	"mov	x2, x21\n"
	"mov	x3, x22\n"
	"hvc	#0\n"
	"str	x0, [x23, #16]\n"
	"1:	wfi\n"
	"b	1b\n");

/* Where CPU_ON starts the second vCPU: stores x0, its context id, to MMIO + 0x100. */
GUEST_CODE(guest_secondary,
	"movz	x1, #0x1000, lsl #16\n"
	"str	x0, [x1, #0x100]\n"
	"1:	wfi\n"
	"b	1b\n");

/* PSCI CPU_OFF (function 0x84000002), then x0, its result, stored to the address in x4. */
GUEST_CODE(guest_cpu_off,
	"movz	w0, #0x0002\n"
	"movk	w0, #0x8400, lsl #16\n"
	"mov	x1, #1\n"
	"hvc	#0\n"
	"str	x0, [x4]\n"
	SYSTEM_OFF);

/*
 * Marks in x2 that the instruction before the store was UNDEFINED: the guest's
 * synchronous exception vector puts ESR_EL1 there with bit 63 set, and skips it.
 */
#define SYSREG_UNDEF_MARK	(1ULL << 63)

/*
 * The PMU and debug registers a guest could use to reach the host's: each access is
 * followed by a store of x2 to the MMIO base in x0 + a slot offset; x2 holds what a read
 * returned, or 0 after a write, or ESR_EL1 | SYSREG_UNDEF_MARK if the access was
 * UNDEFINED. x1 is written to DBGBVR0_EL1, x3 to MDSCR_EL1, x4 to OSLAR_EL1.
 */
#define SYSREG_SLOT_PMCR		0x00
#define SYSREG_SLOT_PMCCNTR		0x08
#define SYSREG_SLOT_PMEVCNTR0		0x10
#define SYSREG_SLOT_PMCR_WRITE		0x18
#define SYSREG_SLOT_DBGBVR0		0x20
#define SYSREG_SLOT_DBGBVR0_WRITTEN	0x28
#define SYSREG_SLOT_MDSCR_WRITTEN	0x30
#define SYSREG_SLOT_OSLSR		0x38
#define SYSREG_SLOT_OSLSR_LOCKED	0x40
#define SYSREG_SLOTS			9
#define __SYSREG_STR(x)			#x
#define SYSREG_ACCESS(access, slot)	\
	"mov	x2, #0\n" access "\nstr	x2, [x0, #" __SYSREG_STR(slot) "]\n"
GUEST_CODE(guest_sysregs,
	".balign 2048\n"
	"1:	adr	x9, 1b\n"
	"msr	vbar_el1, x9\n"
	"isb\n"
	SYSREG_ACCESS("mrs	x2, pmcr_el0", SYSREG_SLOT_PMCR)
	SYSREG_ACCESS("mrs	x2, pmccntr_el0", SYSREG_SLOT_PMCCNTR)
	SYSREG_ACCESS("mrs	x2, pmevcntr0_el0", SYSREG_SLOT_PMEVCNTR0)
	SYSREG_ACCESS("msr	pmcr_el0, xzr", SYSREG_SLOT_PMCR_WRITE)
	SYSREG_ACCESS("mrs	x2, dbgbvr0_el1", SYSREG_SLOT_DBGBVR0)
	SYSREG_ACCESS("msr	dbgbvr0_el1, x1\nisb\nmrs	x2, dbgbvr0_el1", SYSREG_SLOT_DBGBVR0_WRITTEN)
	SYSREG_ACCESS("msr	mdscr_el1, x3\nisb\nmrs	x2, mdscr_el1", SYSREG_SLOT_MDSCR_WRITTEN)
	SYSREG_ACCESS("mrs	x2, oslsr_el1", SYSREG_SLOT_OSLSR)
	SYSREG_ACCESS("msr	oslar_el1, x4\nisb\nmrs	x2, oslsr_el1", SYSREG_SLOT_OSLSR_LOCKED)
	"msr	oslar_el1, xzr\n"
	SYSTEM_OFF
	/* Synchronous, from EL1 with SP_EL1. */
	".org	1b + 0x200\n"
	"mrs	x2, esr_el1\n"
	"orr	x2, x2, #0x8000000000000000\n"
	"mrs	x9, elr_el1\n"
	"add	x9, x9, #4\n"
	"msr	elr_el1, x9\n"
	"eret\n");

/*
 * Stores ID_AA64PFR0_EL1, ID_AA64PFR1_EL1, ID_AA64DFR0_EL1, ID_AA64ISAR1_EL1 and
 * ID_AA64ZFR0_EL1 (by its encoding) to the MMIO base in x0, 8 bytes apart.
 */
GUEST_CODE(guest_id_regs,
	"mrs	x1, id_aa64pfr0_el1\n"
	"str	x1, [x0, #0x00]\n"
	"mrs	x1, id_aa64pfr1_el1\n"
	"str	x1, [x0, #0x08]\n"
	"mrs	x1, id_aa64dfr0_el1\n"
	"str	x1, [x0, #0x10]\n"
	"mrs	x1, id_aa64isar1_el1\n"
	"str	x1, [x0, #0x18]\n"
	"mrs	x1, s3_0_c0_c4_4\n"
	"str	x1, [x0, #0x20]\n"
	SYSTEM_OFF);

/*
 * Guest state a VM must not leave behind on its CPU for the next VM: CNTV_CVAL_EL0,
 * CNTV_CTL_EL0 (the EL1 virtual timer), ICC_PMR_EL1 (ICV_PMR_EL1 under HCR_EL2.IMO: the
 * GICv3 virtual interface), DISR_EL1 (VDISR_EL2 under HCR_EL2.AMO) and TPIDR2_EL0
 * (FEAT_SME). Reads each into a slot, writes x10-x14 to them, reads each again into the
 * next five slots; an UNDEFINED access leaves ESR_EL1 | SYSREG_UNDEF_MARK.
 */
#define STATE_REGS		5
/* The synchronous exception vector that marks an UNDEFINED access in x2 and skips it. */
#define UNDEF_VECTOR							\
	".org	1b + 0x200\n"						\
	"mrs	x2, esr_el1\n"						\
	"orr	x2, x2, #0x8000000000000000\n"				\
	"mrs	x9, elr_el1\n"						\
	"add	x9, x9, #4\n"						\
	"msr	elr_el1, x9\n"						\
	"eret\n"
GUEST_CODE(guest_state,
	".balign 2048\n"
	"1:	adr	x9, 1b\n"
	"msr	vbar_el1, x9\n"
	"isb\n"
	SYSREG_ACCESS("mrs	x2, cntv_cval_el0", 0x00)
	SYSREG_ACCESS("mrs	x2, cntv_ctl_el0", 0x08)
	SYSREG_ACCESS("mrs	x2, s3_0_c4_c6_0", 0x10)
	SYSREG_ACCESS("mrs	x2, s3_0_c12_c1_1", 0x18)
	SYSREG_ACCESS("mrs	x2, s3_3_c13_c0_5", 0x20)
	"msr	cntv_cval_el0, x10\n"
	"msr	cntv_ctl_el0, x11\n"
	"msr	s3_0_c4_c6_0, x12\n"
	"msr	s3_0_c12_c1_1, x13\n"
	"msr	s3_3_c13_c0_5, x14\n"
	"isb\n"
	SYSREG_ACCESS("mrs	x2, cntv_cval_el0", 0x28)
	SYSREG_ACCESS("mrs	x2, cntv_ctl_el0", 0x30)
	SYSREG_ACCESS("mrs	x2, s3_0_c4_c6_0", 0x38)
	SYSREG_ACCESS("mrs	x2, s3_0_c12_c1_1", 0x40)
	SYSREG_ACCESS("mrs	x2, s3_3_c13_c0_5", 0x48)
	SYSTEM_OFF
	UNDEF_VECTOR);

/*
 * The registers that KVM traps so that they stay the host's, one slot each: ACTLR_EL1
 * (written, then read), the RAS error records' ERRIDR_EL1, ERRSELR_EL1 (written: 0 unless
 * UNDEFINED) and ERXSTATUS_EL1, LORID_EL1, LORC_EL1 written then read (LORegions), and
 * the three DC set/way operations (0 unless one was UNDEFINED).
 */
#define HOST_REGS_SLOTS		7
GUEST_CODE(guest_host_regs,
	".balign 2048\n"
	"1:	adr	x9, 1b\n"
	"msr	vbar_el1, x9\n"
	"isb\n"
	SYSREG_ACCESS("msr	actlr_el1, xzr\nmrs	x2, actlr_el1", 0x00)
	SYSREG_ACCESS("mrs	x2, s3_0_c5_c3_0", 0x08)
	SYSREG_ACCESS("msr	s3_0_c5_c3_1, xzr", 0x10)
	SYSREG_ACCESS("mrs	x2, s3_0_c5_c4_2", 0x18)
	SYSREG_ACCESS("mrs	x2, s3_0_c10_c4_7", 0x20)
	SYSREG_ACCESS("msr	s3_0_c10_c4_3, xzr\nmrs	x2, s3_0_c10_c4_3", 0x28)
	SYSREG_ACCESS("dc	csw, xzr\ndc	isw, xzr\ndc	cisw, xzr", 0x30)
	SYSTEM_OFF
	UNDEF_VECTOR);

/*
 * SMCCC_ARCH_FEATURES of SMCCC_ARCH_WORKAROUND_1, _2 and _3, then each of the three
 * calls (WORKAROUND_2 asking for the mitigation), each x0 stored to the MMIO base in x4,
 * 8 bytes apart.
 */
#define SMCCC_FN(hi, lo)	"movz	w0, #" #lo "\n	movk	w0, #" #hi ", lsl #16\n"
#define SMCCC_FEATURES(lo, slot)					\
	SMCCC_FN(0x8000, 0x0001) "movz	w1, #" #lo "\nmovk	w1, #0x8000, lsl #16\n" \
	"hvc	#0\nstr	x0, [x4, #" #slot "]\n"
#define SMCCC_SLOTS		6
GUEST_CODE(guest_smccc,
	SMCCC_FEATURES(0x8000, 0x00)
	SMCCC_FEATURES(0x7fff, 0x08)
	SMCCC_FEATURES(0x3fff, 0x10)
	SMCCC_FN(0x8000, 0x8000) "hvc	#0\nstr	x0, [x4, #0x18]\n"
	SMCCC_FN(0x8000, 0x7fff) "mov	x1, #1\nhvc	#0\nstr	x0, [x4, #0x20]\n"
	SMCCC_FN(0x8000, 0x3fff) "hvc	#0\nstr	x0, [x4, #0x28]\n"
	SYSTEM_OFF);

/*
 * With its MMU on (tables set up by the test): x3 times, a load from the address in x2
 * (a read-only memslot), then a store of w1 there, 4 KiB further each time.
 */
GUEST_CODE(guest_mmu_ro,
	"1:	ldr	x5, [x2]\n"
	"str	w1, [x2]\n"
	"add	x2, x2, #0x1000\n"
	"subs	x3, x3, #1\n"
	"b.ne	1b\n"
	SYSTEM_OFF);

/*
 * Unmasks SErrors: a pending virtual SError is taken at once, at the vector for the
 * current EL with SP_ELx (+0x380), which stores ESR_EL1 to the MMIO base in x0; without
 * one, 0 is stored. Then SYSTEM_OFF.
 */
GUEST_CODE(guest_serror,
	".balign 2048\n"
	"1:	adr	x9, 1b\n"
	"msr	vbar_el1, x9\n"
	"isb\n"
	"msr	daifclr, #4\n"
	"isb\n"
	"str	xzr, [x0]\n"
	SYSTEM_OFF
	".org	1b + 0x380\n"
	"mrs	x2, esr_el1\n"
	"str	x2, [x0]\n"
	SYSTEM_OFF);

/* Forever: loads x1 from the address in x2, stores it to the MMIO address in x4. */
GUEST_CODE(guest_load_loop,
	"1:	ldr	x1, [x2]\n"
	"str	x1, [x4]\n"
	"b	1b\n");

#endif /* MINIKVM_ARM64_GUEST_H */
