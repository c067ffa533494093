/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The world switch at EL2, __guest_run, and the other EL2 functions the C code calls
 * through kvm_call_hyp() (hyp.h): called directly in VHE, where this code runs where the
 * module is loaded, and through the hyp-call dispatch (hyp-entry.S) in nVHE, where it runs
 * in a copy (hyp_init.c). Each returns with RET; HYP_FLAG_VHE says which mode it is in.
 * Assembly rather than KVM's C, for the reason sysreg-sr.h gives.
 */
#include <linux/arm-smccc.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <linux/linkage.h>
#include <asm/assembler.h>
#include <asm/esr.h>
#include <asm/fpsimdmacros.h>
#include <asm/kvm_arm.h>
#include <asm/sysreg.h>

#include "../hyp.h"
#include "include/hyp/switch.h"

/* ISR_EL1.A: a physical SError is pending. */
#define ISR_EL1_A_SHIFT		8
/* HCR_EL2.VSE (HCR_VSE): a virtual SError is pending for the guest. */
#define HCR_EL2_VSE_SHIFT	8
/* CLRBHB (FEAT_CLRBHB), in the hint space: a NOP to an assembler that does not know it. */
#define CLRBHB			hint	#22

	.section .hyp.text, "ax"

/*
 * The EL0/EL1 registers only some CPUs have, by the HYP_FLAG_* bits in x5: TPIDR2_EL0
 * (FEAT_SME), which no fine-grained trap keeps from the guest on a CPU without FEAT_FGT
 * and which is the host task's; and, \guest = 1, the guest's deferred SError record
 * (DISR_EL1, which it reaches as VDISR_EL2 under HCR_EL2.AMO), which the host never uses.
 */
.macro	sysreg_opt op, ctxt, guest
	tbz	x5, #HYP_FLAG_TPIDR2, .Lno_tpidr2\@
	sr_s	\op, \ctxt, CPU_TPIDR2_EL0, SYS_TPIDR2_EL0
.Lno_tpidr2\@:
	.if	\guest
	tbz	x5, #HYP_FLAG_RAS, .Lno_ras\@
	sr_s	\op, \ctxt, CPU_DISR_EL1, SYS_VDISR_EL2
.Lno_ras\@:
	.endif
.endm

/*
 * The guest's V0-V31, FPSR and FPCR, if it uses them in this run (arm.c saved the host's
 * with kernel_neon_begin()), with the kernel's own macros (<asm/fpsimdmacros.h>), which
 * KVM uses too; \hyp: the struct kvm_vcpu_hyp. x3 and x4 scratch.
 */
.macro	sysreg_fpsimd op, hyp
	ldr	x3, [\hyp, #HYP_GUEST_FPSIMD]
	cbz	x3, .Lno_fpsimd\@
	add	x3, \hyp, #(HYP_GUEST + CPU_FP_REGS)
	fpsimd_\op x3, 4
.Lno_fpsimd\@:
.endm

/*
 * The EL2 controls only some CPUs have, by x5: HCRX_EL2 and the fine-grained trap
 * registers (kvm_guest_traps()), and the GICv3 CPU interface's: the guest's ICH_VMCR_EL2
 * (what it set through the ICV_* registers, which HCR_EL2.IMO/FMO give it), and
 * ICC_SRE_EL2.Enable clear, which traps the guest's ICC_SRE_EL1 (in nVHE the host's own).
 */
.macro	el2_opt op
	tbz	x5, #HYP_FLAG_HCX, .Lno_hcx\@
	el2_s	\op, SYS_HCRX_EL2, HYP_HOST_HCRX_EL2, HYP_HCRX_EL2
.Lno_hcx\@:
	tbz	x5, #HYP_FLAG_FGT, .Lno_fgt\@
	el2_fgt	\op
.Lno_fgt\@:
	tbz	x5, #HYP_FLAG_GICV3, .Lno_gic\@
	.ifc	\op, load
	mrs_s	x3, SYS_ICC_SRE_EL2
	str	x3, [x0, #HYP_HOST_ICC_SRE_EL2]
	bic	x3, x3, #ICC_SRE_EL2_ENABLE
	msr_s	SYS_ICC_SRE_EL2, x3
	sr_s	restore, x0, HYP_VGIC_VMCR, SYS_ICH_VMCR_EL2
	.else
	sr_s	save, x1, HYP_VGIC_VMCR, SYS_ICH_VMCR_EL2
	sr_s	restore, x1, HYP_HOST_ICC_SRE_EL2, SYS_ICC_SRE_EL2
	.endif
.Lno_gic\@:
.endm

/*
 * __guest_run(hyp) - run the guest once, x0 = its struct kvm_vcpu_hyp: save the host's
 * EL1 and EL2 state, load the guest's, enter it, and at the exit save the guest's and
 * load the host's. Returns ARM_EXCEPTION_*, maybe with ARM_EXIT_WITH_SERROR_BIT. Every
 * exception masked; x5 holds the HYP_FLAG_* bits throughout. The hyp call is
 * __kvm_vcpu_run, an alias, as KVM's was of its __guest_run in Linux 4.x; KVM's today is
 * C, the same steps (hyp/{nvhe,vhe}/switch.c).
 */
SYM_FUNC_START(__guest_run)
	/*
	 * An SError, IRQ or FIQ pending now is the host's, which the guest would take as its
	 * own: return as after an IRQ exit, and the host takes it when it unmasks, as KVM's
	 * __guest_enter does. With FEAT_RAS, the DSB lets an SError of the host's stores show.
	 */
	ldr	x5, [x0, #HYP_FLAGS]
	tbz	x5, #HYP_FLAG_RAS, 1f
	dsb	nshst
	isb
1:	mrs	x3, isr_el1
	cbz	x3, 2f
	mov	x0, #ARM_EXCEPTION_IRQ
	ret
	/*
	 * The host's stack and return address. SP_EL2 points at the structure until the exit
	 * puts them back: the exit vectors and guest_panic find it there (hyp-entry.S).
	 */
2:	mov	x1, sp
	str	x1, [x0, #HYP_HOST_SP]
	str	x30, [x0, #HYP_HOST_LR]
	mov	sp, x0

	/* The host's EL0/EL1 registers that the guest's replace. */
	add	x1, x0, #HYP_HOST
	sysreg_common save, x1
	sysreg_opt save, x1, 0

	/* EL2's controls for the guest (arm.c), the host's saved. */
	el2_opt	load
	sr	restore, x0, HYP_VTCR_EL2, vtcr_el2
	el2_regs load
	/* A virtual SError to deliver (handle_exit.c) carries its syndrome with FEAT_RAS. */
	tbz	x3, #HCR_EL2_VSE_SHIFT, 3f
	tbz	x5, #HYP_FLAG_RAS, 3f
	sr_s	restore, x0, HYP_VSESR_EL2, SYS_VSESR_EL2
3:	sr	save, x0, HYP_HOST_VBAR_EL2, vbar_el2
	adr	x3, __guest_vectors
	msr	vbar_el2, x3
	isb

	/* The guest's, its context first in the structure (kvm_arch.h); nVHE saves host EL1 too. */
	tbz	x5, #HYP_FLAG_VHE, 12f
	sysreg_el1 restore, x0, 1
4:	sysreg_common restore, x0
	sysreg_opt restore, x0, 1
	sysreg_fpsimd restore, x0
	bl	__guest_enter

	/* x0: how the guest left; x1, x2, x5 as __guest_exit says. The guest's state, and why. */
	sr	save, x1, CPU_PC, elr_el2
	sr	save, x1, CPU_PSTATE, spsr_el2
	sr	save, x1, HYP_ESR_EL2, esr_el2
	sr	save, x1, HYP_FAR_EL2, far_el2
	sr	save, x1, HYP_HPFAR_EL2, hpfar_el2
	/* Whether the guest took the virtual SError: taking it clears HCR_EL2.VSE. */
	sr	save, x1, HYP_HCR_EL2, hcr_el2
	sysreg_common save, x1
	sysreg_opt save, x1, 1
	sysreg_fpsimd save, x1

	/*
	 * A stage-2 permission fault leaves HPFAR_EL2 UNKNOWN (Arm ARM D13.2.55), and so does
	 * any stage-2 abort on a CPU with erratum 834220, unless taken on a stage-1 table walk.
	 * Translate FAR_EL2 with AT S1E1R instead, the guest's stage 1 still loaded, as KVM's
	 * __translate_far_to_hpfar() (PAR_EL1 is the guest's, saved already). Should the walk
	 * fail (the guest changed its tables meanwhile), HYP_HPFAR_INVALID tells the handler
	 * to let the guest retry.
	 */
	ldr	x3, [x1, #HYP_ESR_EL2]
	and	x4, x3, #ESR_ELx_FSC_TYPE
	cmp	x4, #ESR_ELx_FSC_PERM
	b.eq	5f
	tbz	x5, #HYP_FLAG_AT_ALL_ABORTS, 7f
5:	ubfx	x4, x3, #ESR_ELx_EC_SHIFT, #ESR_ELx_EC_WIDTH
	cmp	x4, #ESR_ELx_EC_DABT_LOW
	b.eq	6f
	cmp	x4, #ESR_ELx_EC_IABT_LOW
	b.ne	7f
6:	tbnz	x3, #ESR_ELx_S1PTW_SHIFT, 7f
	ldr	x3, [x1, #HYP_FAR_EL2]
	at	s1e1r, x3
	isb
	mrs	x3, par_el1
	mov	x4, #HYP_HPFAR_INVALID
	tst	x3, #SYS_PAR_EL1_F
	b.ne	8f
	/* PAR_EL1.PA[47:12] is HPFAR_EL2.FIPA, bits [43:4]. */
	ubfx	x4, x3, #PAGE_SHIFT, #(48 - PAGE_SHIFT)
	lsl	x4, x4, #4
8:	str	x4, [x1, #HYP_HPFAR_EL2]

	/*
	 * A physical SError still pending from the guest's time must hit the guest, not the
	 * host once it unmasks SErrors, as in KVM's __guest_exit: with FEAT_RAS, the ESB at the
	 * exit vector deferred it into DISR_EL1; without, __guest_serror takes it (hyp-entry.S).
	 * Either way x0 gets ARM_EXIT_WITH_SERROR_BIT.
	 */
7:	tbz	x5, #HYP_FLAG_RAS, 9f
	mrs_s	x3, SYS_DISR_EL1
	cbz	x3, 10f
	str	x3, [x1, #HYP_DISR_EL1]
	msr_s	SYS_DISR_EL1, xzr
	orr	x0, x0, #BIT(ARM_EXIT_WITH_SERROR_BIT)
	b	10f
9:	dsb	sy
	isb
	mrs	x3, isr_el1
	tbz	x3, #ISR_EL1_A_SHIFT, 10f
	bl	__guest_serror

	/* The guest's EL1 (the AT needed it), then the host's, at x2 since __guest_exit. */
10:	tbz	x5, #HYP_FLAG_VHE, 13f
	sysreg_el1 save, x1, 1
11:	sysreg_common restore, x2
	sysreg_opt restore, x2, 0
	el2_opt	put
	el2_regs put
	sr	restore, x1, HYP_HOST_VBAR_EL2, vbar_el2
	ldr	x3, [x1, #HYP_HOST_SP]
	ldr	x30, [x1, #HYP_HOST_LR]
	mov	sp, x3
	isb
	ret
	/* nVHE: the host's EL1 registers too (VHE's are its EL2's, never switched), by name. */
12:	sysreg_el1 save, x1, 0
	sysreg_el1 restore, x0, 0
	b	4b
13:	sysreg_el1 save, x1, 0
	sysreg_el1 restore, x2, 0
	b	11b
SYM_FUNC_END(__guest_run)
SYM_FUNC_ALIAS(__kvm_vcpu_run, __guest_run)

/*
 * __bp_harden_exit() - the Spectre-v2 and Spectre-BHB work this CPU needs at each exit
 * (HYP_FLAGS_SPECTRE in x5, set by spectre.c after the kernel's own choice), before the
 * host's first indirect branch (__guest_exit): the BHB-clearing instruction, the loop that
 * overwrites the branch history, or the firmware's SMCCC_ARCH_WORKAROUND_3 (history) or _1
 * (predictors). The firmware calls follow SMCCC 1.1, which keeps x4-x17 and x19-x30: x0
 * and x1 wait in x19 and x20, the guest's saved already. x3 scratch.
 */
SYM_FUNC_START(__bp_harden_exit)
	tbz	x5, #HYP_FLAG_CLRBHB, 1f
	CLRBHB
	isb
1:	tbz	x5, #HYP_FLAG_BHB_LOOP, 3f
	mov	x3, #HYP_BHB_LOOP_K
2:	b	. + 4
	subs	x3, x3, #1
	b.ne	2b
	dsb	nsh
	isb
3:	tst	x5, #(BIT(HYP_FLAG_WA1) | BIT(HYP_FLAG_WA3))
	b.eq	5f
	mov	x19, x0
	mov	x20, x1
	mov_q	x0, ARM_SMCCC_ARCH_WORKAROUND_1
	tbz	x5, #HYP_FLAG_WA3, 4f
	mov_q	x0, ARM_SMCCC_ARCH_WORKAROUND_3
4:	smc	#0
	mov	x0, x19
	mov	x1, x20
5:	ret
SYM_FUNC_END(__bp_harden_exit)

/*
 * __kvm_tlb_flush_vmid(vttbr, hcr) - invalidate the stage 1 and 2 TLB entries of the VMID
 * in @vttbr on every CPU of the Inner Shareable domain, @hcr the guest's HCR_EL2. TLBI
 * VMALLS12E1IS acts on the VMID in VTTBR_EL2, and only while HCR_EL2.TGE is clear: with
 * TGE set, a VHE host's EL1&0 operations would act on its own EL2&0 regime.
 */
SYM_FUNC_START(__kvm_tlb_flush_vmid)
	mrs	x2, vttbr_el2
	mrs	x3, hcr_el2
	msr	vttbr_el2, x0
	msr	hcr_el2, x1
	isb
	tlbi	vmalls12e1is
	dsb	ish
	isb
	msr	vttbr_el2, x2
	msr	hcr_el2, x3
	isb
	ret
SYM_FUNC_END(__kvm_tlb_flush_vmid)

/* __kvm_flush_vm_context() - a VMID rollover (vmid.c): every guest's TLB entries, everywhere. */
SYM_FUNC_START(__kvm_flush_vm_context)
	dsb	ishst
	tlbi	alle1is
	dsb	ish
	ret
SYM_FUNC_END(__kvm_flush_vm_context)

/*
 * __kvm_get_current_el(), __kvm_get_sctlr_el2(), __kvm_get_mdcr_el2() - EL2's registers
 * for the host: CurrentEL, proof that this code runs at EL2; SCTLR_EL2, whether EL2 runs
 * with its MMU and caches on; MDCR_EL2, which a guest's is made from (arm.c).
 */
SYM_FUNC_START(__kvm_get_current_el)
	mrs	x0, CurrentEL
	ret
SYM_FUNC_END(__kvm_get_current_el)
SYM_FUNC_START(__kvm_get_sctlr_el2)
	mrs	x0, sctlr_el2
	ret
SYM_FUNC_END(__kvm_get_sctlr_el2)
SYM_FUNC_START(__kvm_get_mdcr_el2)
	mrs	x0, mdcr_el2
	ret
SYM_FUNC_END(__kvm_get_mdcr_el2)
