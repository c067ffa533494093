/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Assembler macros of the world switch (guest_run, hyp-entry.S) for what keeps the host's
 * state the host's: the registers and trap controls only some CPUs have, the faulting IPA
 * of a stage-2 permission fault, an SError pending at the exit, and the Spectre-v2 and
 * Spectre-BHB work of each exit. Each acts on the HYP_FLAG_* bits (hyp.h) that hyp_init.c
 * computes for each CPU; x3 and x4 are their scratch registers.
 */
#ifndef __MINIKVM_ARM64_HYP_SWITCH_H
#define __MINIKVM_ARM64_HYP_SWITCH_H

#ifndef __ASSEMBLY__
#error "assembler macros only"
#endif

/* PSTATE.A as the immediate of "msr daifset/daifclr" (D, A, I, F from bit 3 down). */
#define DAIFSET_A		4
/* ISR_EL1.A: a physical SError is pending. */
#define ISR_EL1_A_SHIFT		8
/* PAR_EL1.F: the AT instruction's translation failed. */
#define PAR_EL1_F_SHIFT		0

/*
 * The EL0/EL1 registers only some CPUs have, by the HYP_FLAG_* bits in \flags: TPIDR2_EL0
 * (FEAT_SME), which no fine-grained trap keeps from the guest on a CPU without FEAT_FGT
 * and which is the host task's; and, \guest = 1, the guest's deferred SError record
 * (DISR_EL1, which it reaches as VDISR_EL2 under HCR_EL2.AMO), which the host never uses.
 */
.macro	opt_sysregs op, base, flags, guest
	tbz	\flags, #HYP_FLAG_TPIDR2, .Lno_tpidr2\@
	.ifc	\op, save
	mrs_s	x3, SYS_TPIDR2_EL0
	str	x3, [\base, #CPU_TPIDR2_EL0]
	.else
	ldr	x3, [\base, #CPU_TPIDR2_EL0]
	msr_s	SYS_TPIDR2_EL0, x3
	.endif
.Lno_tpidr2\@:
	.if	\guest
	tbz	\flags, #HYP_FLAG_RAS, .Lno_ras\@
	.ifc	\op, save
	mrs_s	x3, SYS_VDISR_EL2
	str	x3, [\base, #CPU_DISR_EL1]
	.else
	ldr	x3, [\base, #CPU_DISR_EL1]
	msr_s	SYS_VDISR_EL2, x3
	.endif
.Lno_ras\@:
	.endif
.endm

/* One of the trap registers of el2_traps: the host's at \host, the guest's at \guest. */
.macro	el2_trap to, hyp, reg, host, guest
	.ifc	\to, guest
	mrs_s	x3, \reg
	str	x3, [\hyp, #\host]
	ldr	x3, [\hyp, #\guest]
	.else
	ldr	x3, [\hyp, #\host]
	.endif
	msr_s	\reg, x3
.endm

/*
 * The EL2 trap controls only some CPUs have, by \flags: HCRX_EL2, the fine-grained trap
 * registers, whose guest values arm.c computes (kvm_guest_traps()), and the GICv3 CPU
 * interface's: the guest's ICH_VMCR_EL2 (what it set through the ICV_* registers, which
 * HCR_EL2.IMO/FMO give it), and ICC_SRE_EL2.Enable clear, which traps the guest's
 * ICC_SRE_EL1 (in nVHE the host's own). \to guest: the host's saved, the guest's loaded;
 * \to host: back.
 */
.macro	el2_traps to, hyp, flags
	tbz	\flags, #HYP_FLAG_HCX, .Lno_hcx\@
	el2_trap \to, \hyp, SYS_HCRX_EL2, HYP_HOST_HCRX_EL2, HYP_HCRX_EL2
.Lno_hcx\@:
	tbz	\flags, #HYP_FLAG_FGT, .Lno_fgt\@
	el2_trap \to, \hyp, SYS_HFGRTR_EL2, HYP_HOST_HFGRTR_EL2, HYP_HFGRTR_EL2
	el2_trap \to, \hyp, SYS_HFGWTR_EL2, HYP_HOST_HFGWTR_EL2, HYP_HFGWTR_EL2
	el2_trap \to, \hyp, SYS_HFGITR_EL2, HYP_HOST_HFGITR_EL2, HYP_HFGITR_EL2
	el2_trap \to, \hyp, SYS_HDFGRTR_EL2, HYP_HOST_HDFGRTR_EL2, HYP_HDFGRTR_EL2
	el2_trap \to, \hyp, SYS_HDFGWTR_EL2, HYP_HOST_HDFGWTR_EL2, HYP_HDFGWTR_EL2
.Lno_fgt\@:
	tbz	\flags, #HYP_FLAG_GICV3, .Lno_gic\@
	.ifc	\to, guest
	mrs_s	x3, SYS_ICC_SRE_EL2
	str	x3, [\hyp, #HYP_HOST_ICC_SRE_EL2]
	bic	x3, x3, #ICC_SRE_EL2_ENABLE
	msr_s	SYS_ICC_SRE_EL2, x3
	ldr	x3, [\hyp, #HYP_VGIC_VMCR]
	msr_s	SYS_ICH_VMCR_EL2, x3
	.else
	mrs_s	x3, SYS_ICH_VMCR_EL2
	str	x3, [\hyp, #HYP_VGIC_VMCR]
	ldr	x3, [\hyp, #HYP_HOST_ICC_SRE_EL2]
	msr_s	SYS_ICC_SRE_EL2, x3
	.endif
.Lno_gic\@:
.endm

/*
 * At the exit, the guest's stage 1 still loaded: a stage-2 permission fault leaves
 * HPFAR_EL2 UNKNOWN (Arm ARM D13.2.55), and so does any stage-2 abort on a CPU with
 * erratum 834220, unless taken on a stage-1 table walk. Translate FAR_EL2 with AT S1E1R
 * instead, as KVM does (PAR_EL1 is the guest's, saved already). Should the walk fail (the
 * guest changed its tables meanwhile), HYP_HPFAR_INVALID tells the handler to let the guest
 * retry. x3, x4 scratch.
 */
.macro	fault_ipa hyp, flags
	ldr	x3, [\hyp, #HYP_ESR_EL2]
	and	x4, x3, #ESR_ELx_FSC_TYPE
	cmp	x4, #ESR_ELx_FSC_PERM
	b.eq	.Labort\@
	tbz	\flags, #HYP_FLAG_AT_ALL_ABORTS, .Ldone\@
.Labort\@:
	ubfx	x4, x3, #ESR_ELx_EC_SHIFT, #ESR_ELx_EC_WIDTH
	cmp	x4, #ESR_ELx_EC_DABT_LOW
	b.eq	.Ldata\@
	cmp	x4, #ESR_ELx_EC_IABT_LOW
	b.ne	.Ldone\@
.Ldata\@:
	tbnz	x3, #ESR_ELx_S1PTW_SHIFT, .Ldone\@
	ldr	x3, [\hyp, #HYP_FAR_EL2]
	at	s1e1r, x3
	isb
	mrs	x3, par_el1
	mov	x4, #HYP_HPFAR_INVALID
	tbnz	x3, #PAR_EL1_F_SHIFT, .Lstore\@
	/* PAR_EL1.PA[47:12] is HPFAR_EL2.FIPA, bits [43:4]. */
	ubfx	x4, x3, #PAGE_SHIFT, #(48 - PAGE_SHIFT)
	lsl	x4, x4, #4
.Lstore\@:
	str	x4, [\hyp, #HYP_HPFAR_EL2]
.Ldone\@:
.endm

/*
 * A physical SError still pending from the guest's time must hit the guest, not the host
 * once it unmasks SErrors, as in KVM's __guest_exit: with FEAT_RAS, the ESB at the exit
 * vector deferred it into DISR_EL1; without, it is unmasked for one instruction, and taken
 * here (the vectors' entry for an SError at EL2 returns past the window). Either way x0
 * gets ARM_EXIT_WITH_SERROR_BIT. x3 scratch.
 */
.macro	serror_check hyp, flags, sfx
	tbz	\flags, #HYP_FLAG_RAS, .Lno_ras\@
	mrs_s	x3, SYS_DISR_EL1
	cbz	x3, __guest_serror_done_\sfx
	str	x3, [\hyp, #HYP_DISR_EL1]
	msr_s	SYS_DISR_EL1, xzr
	orr	x0, x0, #BIT(ARM_EXIT_WITH_SERROR_BIT)
	b	__guest_serror_done_\sfx
.Lno_ras\@:
	dsb	sy
	isb
	mrs	x3, isr_el1
	tbz	x3, #ISR_EL1_A_SHIFT, __guest_serror_done_\sfx
	msr	daifclr, #DAIFSET_A
__guest_serror_window_\sfx:
	isb
	msr	daifset, #DAIFSET_A
__guest_serror_done_\sfx:
.endm

/*
 * The Spectre-v2 and Spectre-BHB work this CPU needs at each exit (HYP_FLAGS_SPECTRE, set
 * by spectre.c after the kernel's own choice), before the host's first indirect branch:
 * the BHB-clearing instruction, the loop that overwrites the branch history, or the
 * firmware's SMCCC_ARCH_WORKAROUND_3 (history) or _1 (predictors). The firmware calls
 * follow SMCCC 1.1, which keeps x4-x17: x0 and x1 wait in x19 and x20, the guest's saved.
 * Branches back to __guest_spectre_done_\sfx.
 */
.macro	spectre_exit sfx
	tbz	x5, #HYP_FLAG_CLRBHB, 1f
	hint	#22			/* CLRBHB, FEAT_CLRBHB */
	isb
1:	tbz	x5, #HYP_FLAG_BHB_LOOP, 3f
	mov	x3, #HYP_BHB_LOOP_K
2:	b	. + 4
	subs	x3, x3, #1
	b.ne	2b
	dsb	nsh
	isb
3:	tst	x5, #(BIT(HYP_FLAG_WA1) | BIT(HYP_FLAG_WA3))
	b.eq	__guest_spectre_done_\sfx
	mov	x19, x0
	mov	x20, x1
	mov_q	x0, ARM_SMCCC_ARCH_WORKAROUND_1
	tbz	x5, #HYP_FLAG_WA3, 4f
	mov_q	x0, ARM_SMCCC_ARCH_WORKAROUND_3
4:	smc	#0
	mov	x0, x19
	mov	x1, x20
	ldr	x5, [x1, #HYP_FLAGS]
	b	__guest_spectre_done_\sfx
.endm

#endif /* __MINIKVM_ARM64_HYP_SWITCH_H */
