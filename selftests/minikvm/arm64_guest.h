/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the arm64 selftests' guests: AArch64 guest programs assembled into the test
 * binary, and the ONE_REG ids of the core registers they use.
 */
#ifndef MINIKVM_ARM64_GUEST_H
#define MINIKVM_ARM64_GUEST_H

#include <stddef.h>
#include <linux/kvm.h>

/* The id of core register x<n>, PC, or V<n> for KVM_{GET,SET}_ONE_REG. */
#define CORE_REG(field, size)	(KVM_REG_ARM64 | (size) | KVM_REG_ARM_CORE | \
				 (offsetof(struct kvm_regs, field) / sizeof(__u32)))
#define REG_X(n)		CORE_REG(regs.regs[n], KVM_REG_SIZE_U64)
#define REG_PC			CORE_REG(regs.pc, KVM_REG_SIZE_U64)
#define REG_V(n)		CORE_REG(fp_regs.vregs[n], KVM_REG_SIZE_U128)

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

#endif /* MINIKVM_ARM64_GUEST_H */
