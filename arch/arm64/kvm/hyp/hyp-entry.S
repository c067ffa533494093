/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * minikvm's EL2 code: for nVHE hosts (the kernel at EL1, Linux's hyp stub at EL2), an
 * exception vector table and the hyp calls it answers, and __kvm_call_hyp, the EL1 side
 * of a hyp call; for both modes, the world switch into a guest and back (guest_run).
 *
 * The stub leaves the EL2 MMU off (SCTLR_EL2.M == 0). Our installer turns it on, with an
 * identity map (mmu.c, kvm_hyp_map()) of the only memory the nVHE EL2 code touches: its
 * own pages and each vCPU's struct kvm_vcpu_hyp, mapped cacheable as the kernel maps them,
 * so that EL1 and EL2 see the same data without cache maintenance. Being identity mapped,
 * the code runs at its physical address before and after the MMU goes on: it is position
 * independent, and arm.c copies it, from __minikvm_hyp_start to __minikvm_hyp_end, into
 * physically contiguous pages (module memory is not) and hands EL2 their physical
 * address. It sits in .rodata because the module never runs it where it is linked. The
 * VHE instance of the world switch is ordinary module text, run at EL2 on kernel
 * addresses.
 *
 * Our vectors answer our hyp calls and the two stub calls that give EL2 back to the stub,
 * as KVM's do: HVC_RESET_VECTORS (module unload, CPU power-down) and kexec's
 * HVC_SOFT_RESTART, which the stub then performs itself. Every other number gets the
 * stub's answer to a number it does not know, HVC_STUB_ERR: the stub's code must never run
 * with our MMU on, which does not map it. The stub's calls take their arguments in x0-x4;
 * handing one on costs one scratch register, x16 (IP0), which the procedure call standard
 * lets any function call clobber. Every hyp call is made from a function called by C or by
 * "bl" (__hyp_reset_vectors, cpu_soft_restart, and __kvm_call_hyp below), so x16 is dead
 * at each.
 */
#include <linux/arm-smccc.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <linux/linkage.h>
#include <linux/sizes.h>
#include <asm/assembler.h>
#include <asm/esr.h>
#include <asm/kvm_arm.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>
#include <asm/virt.h>

#include "../hyp.h"
#include "hyp-switch.S"

/* HCR_EL2.VSE: a virtual SError is pending for the guest. */
#define HCR_EL2_VSE_SHIFT	8

/* PSTATE for entering EL1 from hyp_panic: EL1 with SP_EL1, every exception masked. */
#define HYP_PANIC_SPSR	(PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)

/*
 * A vector entry for exceptions we do not expect: hyp_panic, told which entry was taken
 * (for an asynchronous exception, ESR_EL2 does not say).
 */
.macro	unexpected_vector
	.balign	VECTOR_ENTRY_SIZE
	mov	x0, #(. - __minikvm_hyp_vectors)
	b	hyp_panic
.endm

/*
 * Saving and loading an EL1 context (struct kvm_cpu_context at \base), x3 as scratch.
 * el1_sysregs are the registers a VHE host's HCR_EL2.E2H redirects to EL2: there the
 * guest's are reached as *_EL12 (Arm ARM D13.2 "Accessing EL1 registers from EL2") and
 * the host's own are EL2's, untouched by the guest.
 */
.macro	sysreg_op op, base, idx, reg, reg12, vhe
	.ifc	\op, save
	.if	\vhe
	mrs_s	x3, \reg12
	.else
	mrs	x3, \reg
	.endif
	str	x3, [\base, #\idx]
	.else
	ldr	x3, [\base, #\idx]
	.if	\vhe
	msr_s	\reg12, x3
	.else
	msr	\reg, x3
	.endif
	.endif
.endm

.macro	el1_sysregs op, base, vhe
	sysreg_op \op, \base, CPU_SCTLR_EL1, sctlr_el1, SYS_SCTLR_EL12, \vhe
	sysreg_op \op, \base, CPU_CPACR_EL1, cpacr_el1, SYS_CPACR_EL12, \vhe
	sysreg_op \op, \base, CPU_TTBR0_EL1, ttbr0_el1, SYS_TTBR0_EL12, \vhe
	sysreg_op \op, \base, CPU_TTBR1_EL1, ttbr1_el1, SYS_TTBR1_EL12, \vhe
	sysreg_op \op, \base, CPU_TCR_EL1, tcr_el1, SYS_TCR_EL12, \vhe
	sysreg_op \op, \base, CPU_ESR_EL1, esr_el1, SYS_ESR_EL12, \vhe
	sysreg_op \op, \base, CPU_FAR_EL1, far_el1, SYS_FAR_EL12, \vhe
	sysreg_op \op, \base, CPU_AFSR0_EL1, afsr0_el1, SYS_AFSR0_EL12, \vhe
	sysreg_op \op, \base, CPU_AFSR1_EL1, afsr1_el1, SYS_AFSR1_EL12, \vhe
	sysreg_op \op, \base, CPU_MAIR_EL1, mair_el1, SYS_MAIR_EL12, \vhe
	sysreg_op \op, \base, CPU_AMAIR_EL1, amair_el1, SYS_AMAIR_EL12, \vhe
	sysreg_op \op, \base, CPU_CONTEXTIDR_EL1, contextidr_el1, SYS_CONTEXTIDR_EL12, \vhe
	sysreg_op \op, \base, CPU_VBAR_EL1, vbar_el1, SYS_VBAR_EL12, \vhe
	sysreg_op \op, \base, CPU_CNTKCTL_EL1, cntkctl_el1, SYS_CNTKCTL_EL12, \vhe
	sysreg_op \op, \base, CPU_ELR_EL1, elr_el1, SYS_ELR_EL12, \vhe
	sysreg_op \op, \base, CPU_SPSR_EL1, spsr_el1, SYS_SPSR_EL12, \vhe
.endm

/* Registers no E2H redirects: in both modes, the host's are live and must be switched. */
.macro	shared_sysregs op, base
	sysreg_op \op, \base, CPU_TPIDR_EL0, tpidr_el0, 0, 0
	sysreg_op \op, \base, CPU_TPIDRRO_EL0, tpidrro_el0, 0, 0
	sysreg_op \op, \base, CPU_TPIDR_EL1, tpidr_el1, 0, 0
	sysreg_op \op, \base, CPU_PAR_EL1, par_el1, 0, 0
	sysreg_op \op, \base, CPU_MDSCR_EL1, mdscr_el1, 0, 0
	sysreg_op \op, \base, CPU_CSSELR_EL1, csselr_el1, 0, 0
	sysreg_op \op, \base, CPU_SP_EL1, sp_el1, 0, 0
	/* The kernel's "current" in both modes. */
	sysreg_op \op, \base, CPU_SP_EL0, sp_el0, 0, 0
.endm

.macro	fp_pair op, a, b
	.ifc	\op, save
	stp	q\a, q\b, [x3, #\a * 16]
	.else
	ldp	q\a, q\b, [x3, #\a * 16]
	.endif
.endm

/*
 * The guest's FP/SIMD registers, if it uses them in this run (arm.c saved the host's with
 * kernel_neon_begin()).
 */
.macro	fpsimd_op op, base, hyp
	ldr	x3, [\hyp, #HYP_GUEST_FPSIMD]
	cbz	x3, .Lfpsimd_done\@
	add	x3, \base, #CPU_FP_REGS
	fp_pair \op, 0, 1
	fp_pair \op, 2, 3
	fp_pair \op, 4, 5
	fp_pair \op, 6, 7
	fp_pair \op, 8, 9
	fp_pair \op, 10, 11
	fp_pair \op, 12, 13
	fp_pair \op, 14, 15
	fp_pair \op, 16, 17
	fp_pair \op, 18, 19
	fp_pair \op, 20, 21
	fp_pair \op, 22, 23
	fp_pair \op, 24, 25
	fp_pair \op, 26, 27
	fp_pair \op, 28, 29
	fp_pair \op, 30, 31
	.ifc	\op, save
	mrs	x3, fpsr
	str	w3, [\base, #CPU_FP_FPSR]
	mrs	x3, fpcr
	str	w3, [\base, #CPU_FP_FPCR]
	.else
	ldr	w3, [\base, #CPU_FP_FPSR]
	msr	fpsr, x3
	ldr	w3, [\base, #CPU_FP_FPCR]
	msr	fpcr, x3
	.endif
.Lfpsimd_done\@:
.endm

/* Saves EL2 register \reg into the struct kvm_vcpu_hyp at x0 (entry) or x1 (exit). */
.macro	save_el2 base, reg, off
	mrs	x3, \reg
	str	x3, [\base, #\off]
.endm

.macro	load_el2 base, reg, off
	ldr	x3, [\base, #\off]
	msr	\reg, x3
.endm

/* EL2 register \reg for the guest: the host's saved at \host, the guest's loaded from \guest. */
.macro	switch_el2 base, reg, host, guest
	save_el2 \base, \reg, \host
	load_el2 \base, \reg, \guest
.endm

/*
 * guest_run - the world switch, one instance per mode (\vhe = 0: reached by "hvc" through
 * hc_vcpu_run, returns by ERET; \vhe = 1: called at EL2, returns by RET), x0 = the struct
 * kvm_vcpu_hyp. Saves the host's callee-saved registers, stack and EL1/EL2 state, loads
 * the guest's, and ERETs into it with SP_EL2 = x0, which is how the exit vectors find the
 * structure again: the guest cannot change SP_EL2. Every exception from the guest
 * (HCR_EL2.{IMO,FMO,AMO} route its physical interrupts here too) enters
 * __guest_exit_\sfx, which saves the guest, restores the host and returns x0 =
 * ARM_EXCEPTION_*. The host runs with every exception masked throughout.
 */
.macro	guest_run vhe, sfx
	/*
	 * An SError, IRQ or FIQ pending now is the host's, which the guest would take as its
	 * own: return as after an IRQ exit, and the host takes it when it unmasks, as KVM's
	 * __guest_enter does. With FEAT_RAS, the DSB lets an SError of the host's stores show.
	 */
	ldr	x5, [x0, #HYP_FLAGS]
	tbz	x5, #HYP_FLAG_RAS, .Lisr\@
	dsb	nshst
	isb
.Lisr\@:
	mrs	x3, isr_el1
	cbz	x3, .Lenter\@
	mov	x0, #ARM_EXCEPTION_IRQ
	.if	\vhe
	ret
	.else
	eret
	.endif
.Lenter\@:
	/* The host: what the caller expects preserved (AAPCS64: x18-x30, sp). */
	add	x1, x0, #HYP_HOST
	stp	x18, x19, [x1, #CPU_XREG(18)]
	stp	x20, x21, [x1, #CPU_XREG(20)]
	stp	x22, x23, [x1, #CPU_XREG(22)]
	stp	x24, x25, [x1, #CPU_XREG(24)]
	stp	x26, x27, [x1, #CPU_XREG(26)]
	stp	x28, x29, [x1, #CPU_XREG(28)]
	str	x30, [x1, #CPU_XREG(30)]
	mov	x3, sp
	str	x3, [x0, #HYP_HOST_SP]
	shared_sysregs save, x1
	opt_sysregs save, x1, x5, 0
	.if	!\vhe
	el1_sysregs save, x1, 0
	/* Where the hvc returns to. */
	save_el2 x0, elr_el2, HYP_HOST_ELR_EL2
	save_el2 x0, spsr_el2, HYP_HOST_SPSR_EL2
	.endif

	/* EL2's controls for the guest. */
	save_el2 x0, hcr_el2, HYP_HOST_HCR_EL2
	save_el2 x0, vttbr_el2, HYP_HOST_VTTBR_EL2
	save_el2 x0, vmpidr_el2, HYP_HOST_VMPIDR_EL2
	save_el2 x0, vbar_el2, HYP_HOST_VBAR_EL2
	load_el2 x0, hcr_el2, HYP_HCR_EL2
	/* A virtual SError to deliver (handle_exit.c) carries its syndrome with FEAT_RAS. */
	tbz	x3, #HCR_EL2_VSE_SHIFT, .Lno_vse\@
	tbz	x5, #HYP_FLAG_RAS, .Lno_vse\@
	ldr	x3, [x0, #HYP_VSESR_EL2]
	msr_s	SYS_VSESR_EL2, x3
.Lno_vse\@:
	load_el2 x0, vttbr_el2, HYP_VTTBR_EL2
	load_el2 x0, vtcr_el2, HYP_VTCR_EL2
	load_el2 x0, vmpidr_el2, HYP_VMPIDR_EL2
	/* The guest's traps, which arm.c computes. */
	switch_el2 x0, mdcr_el2, HYP_HOST_MDCR_EL2, HYP_MDCR_EL2
	switch_el2 x0, cptr_el2, HYP_HOST_CPTR_EL2, HYP_CPTR_EL2
	switch_el2 x0, cnthctl_el2, HYP_HOST_CNTHCTL_EL2, HYP_CNTHCTL_EL2
	.if	!\vhe
	/* For guest_run_panic: where the host's state is while the guest's is loaded. */
	msr	tpidr_el2, x0
	.endif
	el2_traps guest, x0, x5
	adr	x3, __guest_vectors_\sfx
	msr	vbar_el2, x3
	isb

	/* The guest. */
	el1_sysregs restore, x0, \vhe
	shared_sysregs restore, x0
	opt_sysregs restore, x0, x5, 1
	fpsimd_op restore, x0, x0
	load_el2 x0, elr_el2, CPU_PC
	load_el2 x0, spsr_el2, CPU_PSTATE
	mov	sp, x0
	ldp	x2, x3, [x0, #CPU_XREG(2)]
	ldp	x4, x5, [x0, #CPU_XREG(4)]
	ldp	x6, x7, [x0, #CPU_XREG(6)]
	ldp	x8, x9, [x0, #CPU_XREG(8)]
	ldp	x10, x11, [x0, #CPU_XREG(10)]
	ldp	x12, x13, [x0, #CPU_XREG(12)]
	ldp	x14, x15, [x0, #CPU_XREG(14)]
	ldp	x16, x17, [x0, #CPU_XREG(16)]
	ldp	x18, x19, [x0, #CPU_XREG(18)]
	ldp	x20, x21, [x0, #CPU_XREG(20)]
	ldp	x22, x23, [x0, #CPU_XREG(22)]
	ldp	x24, x25, [x0, #CPU_XREG(24)]
	ldp	x26, x27, [x0, #CPU_XREG(26)]
	ldp	x28, x29, [x0, #CPU_XREG(28)]
	ldr	x30, [x0, #CPU_XREG(30)]
	ldp	x0, x1, [x0, #CPU_XREG(0)]
	eret
	/* ERET is not a branch to the predictor: stop straight-line speculation past it. */
	dsb	nsh
	isb

/*
 * The vectors the guest exits through: from a lower EL, each saves x0 and x1 to free
 * them and says which kind of exception it was. An exception from EL2 itself while
 * they are installed is a minikvm bug.
 */
	.balign	SZ_2K
__guest_vectors_\sfx:
	.rept	7
	.balign	VECTOR_ENTRY_SIZE
	mov	x0, #(. - __guest_vectors_\sfx)
	b	guest_run_panic_\sfx
	.endr
	/* An SError at EL2 with SP_EL2: expected only in serror_check's window. */
	.balign	VECTOR_ENTRY_SIZE
__guest_serror_el2_\sfx:
	mrs	x3, elr_el2
	adr	x4, __guest_serror_window_\sfx
	sub	x3, x3, x4
	/* Taken before the ISB or after it: ELR_EL2 is one of the window's two instructions. */
	cmp	x3, #4
	b.hi	1f
	orr	x0, x0, #BIT(ARM_EXIT_WITH_SERROR_BIT)
	b	__guest_serror_done_\sfx
1:	mov	x0, #(__guest_serror_el2_\sfx - __guest_vectors_\sfx)
	b	guest_run_panic_\sfx
	/*
	 * From the guest, AArch64 then AArch32 (its EL0). ESB first: with FEAT_RAS, a pending
	 * SError is deferred into DISR_EL1 for serror_check (a NOP without).
	 */
	.rept	2
	.irp	code, ARM_EXCEPTION_TRAP, ARM_EXCEPTION_IRQ, ARM_EXCEPTION_FIQ, ARM_EXCEPTION_EL1_SERROR
	.balign	VECTOR_ENTRY_SIZE
	esb
	stp	x0, x1, [sp, #CPU_XREG(0)]
	mov	x0, #\code
	b	__guest_exit_\sfx
	.endr
	.endr

__guest_exit_\sfx:
	mov	x1, sp
	stp	x2, x3, [x1, #CPU_XREG(2)]
	stp	x4, x5, [x1, #CPU_XREG(4)]
	stp	x6, x7, [x1, #CPU_XREG(6)]
	stp	x8, x9, [x1, #CPU_XREG(8)]
	stp	x10, x11, [x1, #CPU_XREG(10)]
	stp	x12, x13, [x1, #CPU_XREG(12)]
	stp	x14, x15, [x1, #CPU_XREG(14)]
	stp	x16, x17, [x1, #CPU_XREG(16)]
	stp	x18, x19, [x1, #CPU_XREG(18)]
	stp	x20, x21, [x1, #CPU_XREG(20)]
	stp	x22, x23, [x1, #CPU_XREG(22)]
	stp	x24, x25, [x1, #CPU_XREG(24)]
	stp	x26, x27, [x1, #CPU_XREG(26)]
	stp	x28, x29, [x1, #CPU_XREG(28)]
	str	x30, [x1, #CPU_XREG(30)]
	/* No indirect branch of the host's before the branch predictors are made safe. */
	ldr	x5, [x1, #HYP_FLAGS]
	tst	x5, #HYP_FLAGS_SPECTRE
	b.ne	__guest_spectre_\sfx
__guest_spectre_done_\sfx:
	save_el2 x1, elr_el2, CPU_PC
	save_el2 x1, spsr_el2, CPU_PSTATE
	save_el2 x1, esr_el2, HYP_ESR_EL2
	save_el2 x1, far_el2, HYP_FAR_EL2
	save_el2 x1, hpfar_el2, HYP_HPFAR_EL2
	/* Whether the guest took the virtual SError: taking it clears HCR_EL2.VSE. */
	save_el2 x1, hcr_el2, HYP_HCR_EL2
	el1_sysregs save, x1, \vhe
	shared_sysregs save, x1
	opt_sysregs save, x1, x5, 1
	fpsimd_op save, x1, x1
	fault_ipa x1, x5
	serror_check x1, x5, \sfx

	/* The host. */
	add	x2, x1, #HYP_HOST
	shared_sysregs restore, x2
	opt_sysregs restore, x2, x5, 0
	el2_traps host, x1, x5
	.if	!\vhe
	el1_sysregs restore, x2, 0
	load_el2 x1, elr_el2, HYP_HOST_ELR_EL2
	load_el2 x1, spsr_el2, HYP_HOST_SPSR_EL2
	.endif
	load_el2 x1, cnthctl_el2, HYP_HOST_CNTHCTL_EL2
	load_el2 x1, hcr_el2, HYP_HOST_HCR_EL2
	load_el2 x1, vttbr_el2, HYP_HOST_VTTBR_EL2
	load_el2 x1, vmpidr_el2, HYP_HOST_VMPIDR_EL2
	load_el2 x1, cptr_el2, HYP_HOST_CPTR_EL2
	load_el2 x1, mdcr_el2, HYP_HOST_MDCR_EL2
	load_el2 x1, vbar_el2, HYP_HOST_VBAR_EL2
	ldr	x3, [x1, #HYP_HOST_SP]
	mov	sp, x3
	ldp	x18, x19, [x2, #CPU_XREG(18)]
	ldp	x20, x21, [x2, #CPU_XREG(20)]
	ldp	x22, x23, [x2, #CPU_XREG(22)]
	ldp	x24, x25, [x2, #CPU_XREG(24)]
	ldp	x26, x27, [x2, #CPU_XREG(26)]
	ldp	x28, x29, [x2, #CPU_XREG(28)]
	ldr	x30, [x2, #CPU_XREG(30)]
	isb
	.if	\vhe
	ret
	.else
	eret
	.endif

__guest_spectre_\sfx:
	spectre_exit \sfx

/*
 * An exception taken from EL2 while the guest's vectors were installed. nVHE: hyp_panic
 * enters the host's EL1, whose registers may be the guest's by now: put the host's back
 * first (TPIDR_EL2 holds the structure; x0, the vector, stays).
 */
guest_run_panic_\sfx:
	.if	\vhe
	mrs	x1, esr_el2
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	mrs	x4, far_el2
	b	vhe_hyp_panic_handler
	.else
	mrs	x1, tpidr_el2
	add	x2, x1, #HYP_HOST
	el1_sysregs restore, x2, 0
	shared_sysregs restore, x2
	load_el2 x1, hcr_el2, HYP_HOST_HCR_EL2
	load_el2 x1, vttbr_el2, HYP_HOST_VTTBR_EL2
	isb
	b	hyp_panic
	.endif
.endm

/*
 * tlb_flush_vmid - invalidate the stage 1 and 2 TLB entries of one VMID on every CPU of
 * the Inner Shareable domain: x0 = VTTBR_EL2 (its VMID), x1 = the guest's HCR_EL2. TLBI
 * VMALLS12E1IS acts on the VMID in VTTBR_EL2, and only while HCR_EL2.TGE is clear:
 * with TGE set, a VHE host's EL1&0 operations would act on its own EL2&0 regime.
 */
.macro	tlb_flush_vmid vhe
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
	.if	\vhe
	ret
	.else
	eret
	.endif
.endm

	.section .rodata.minikvm_hyp, "a"
	/* VBAR_EL2 ignores bits [10:0]: the table starts on a 2 KiB boundary. */
	.balign	SZ_2K
	.global	__minikvm_hyp_start
__minikvm_hyp_start:
__minikvm_hyp_vectors:
	/*
	 * From EL2 itself, with SP_EL0 (0x000) or SP_EL2 (0x200): neither our code nor the
	 * stub's should ever fault.
	 */
	.rept	8
	unexpected_vector
	.endr

	/* From EL1 (or EL0), AArch64: synchronous. */
	.balign	VECTOR_ENTRY_SIZE
	b	el1_sync

	/*
	 * IRQ, FIQ and SError from EL1 or EL0, and anything from AArch32: the stub leaves
	 * HCR_EL2.{IMO,FMO,AMO} and HCR_EL2.TGE clear, so these are taken to EL1, not here.
	 */
	.rept	7
	unexpected_vector
	.endr

/*
 * A synchronous exception from EL1. Only "hvc" (ESR_EL2.EC == HVC64) is a hyp call, with
 * its number in x0; ELR_EL2 already points after the hvc, so ERET returns to the caller.
 * Other exceptions are trapped instructions: the stub would misread them as hyp calls,
 * and returning would only trap again.
 */
el1_sync:
	mrs	x16, esr_el2
	ubfx	x16, x16, #ESR_ELx_EC_SHIFT, #ESR_ELx_EC_WIDTH
	cmp	x16, #ESR_ELx_EC_HVC64
	b.ne	1f
	mov_q	x16, MINIKVM_HC_CURRENT_EL
	cmp	x0, x16
	b.eq	hc_current_el
	mov_q	x16, MINIKVM_HC_VCPU_RUN
	cmp	x0, x16
	b.eq	hc_vcpu_run
	mov_q	x16, MINIKVM_HC_TLB_FLUSH_VMID
	cmp	x0, x16
	b.eq	hc_tlb_flush_vmid
	mov_q	x16, MINIKVM_HC_SCTLR_EL2
	cmp	x0, x16
	b.eq	hc_sctlr_el2
	mov_q	x16, MINIKVM_HC_FLUSH_VM_CONTEXT
	cmp	x0, x16
	b.eq	hc_flush_vm_context
	mov_q	x16, MINIKVM_HC_MDCR_EL2
	cmp	x0, x16
	b.eq	hc_mdcr_el2
	cmp	x0, #HVC_RESET_VECTORS
	b.eq	hc_reset_vectors
	cmp	x0, #HVC_SOFT_RESTART
	b.eq	hc_soft_restart
	/* Anything else, the probe included: what the stub says of a number it does not know. */
	mov_q	x0, HVC_STUB_ERR
	eret
1:	mov	x0, #VECTOR_LOWER_A64_SYNC
	b	hyp_panic

/* MINIKVM_HC_CURRENT_EL: proof for the caller that this code runs at EL2. */
hc_current_el:
	mrs	x0, CurrentEL
	eret

/* MINIKVM_HC_SCTLR_EL2: for the hardware report. */
hc_sctlr_el2:
	mrs	x0, sctlr_el2
	eret

/* MINIKVM_HC_MDCR_EL2: for the guest's MDCR_EL2 (arm.c). */
hc_mdcr_el2:
	mrs	x0, mdcr_el2
	eret

/* MINIKVM_HC_VCPU_RUN: x1 = the struct kvm_vcpu_hyp's physical address. */
hc_vcpu_run:
	mov	x0, x1
	guest_run 0, nvhe

/* MINIKVM_HC_TLB_FLUSH_VMID: x1 = VTTBR_EL2, x2 = HCR_EL2. */
hc_tlb_flush_vmid:
	mov	x0, x1
	mov	x1, x2
	tlb_flush_vmid 0

/* MINIKVM_HC_FLUSH_VM_CONTEXT: a VMID rollover (vmid.c); only EL2 may TLBI ALLE1IS. */
hc_flush_vm_context:
	dsb	ishst
	tlbi	alle1is
	dsb	ish
	eret

/*
 * Gives EL2 back to the stub, as it was: vectors, and MMU and caches off. Identity mapped,
 * the code goes on at the same address once the MMU is off. x16 scratch.
 */
.macro	reset_to_stub
	ldr	x16, saved_vbar
	msr	vbar_el2, x16
	mrs	x16, sctlr_el2
	bic	x16, x16, #SCTLR_ELx_M
	bic	x16, x16, #SCTLR_ELx_C
	bic	x16, x16, #SCTLR_ELx_I
	msr	sctlr_el2, x16
	/* The next exception must see the new VBAR_EL2, whatever SCTLR_EL2.EOS says of ERET. */
	isb
.endm

/*
 * HVC_RESET_VECTORS (module unload, CPU_PM_ENTER). The stub's own handler does nothing,
 * since the stub is always installed when it runs.
 */
hc_reset_vectors:
	reset_to_stub
	mov	x0, xzr
	eret

/*
 * HVC_SOFT_RESTART (kexec, and our installer): x1 is code to run at EL2, with the MMU off,
 * x2-x4 its arguments. Give EL2 back to the stub, then enter its vector as this exception
 * would have: the stub does the rest. Our installer, so reached, installs us again.
 */
hc_soft_restart:
	reset_to_stub
	ldr	x16, saved_vbar
	add	x16, x16, #VECTOR_LOWER_A64_SYNC
	br	x16

/*
 * An exception we cannot handle. There is nowhere to return to (after an exception from
 * EL2, ELR_EL2 and SPSR_EL2 no longer hold the hyp call's return state; after one from
 * EL1, the instruction would trap again), and nothing to print with, while spinning here
 * would hang the CPU silently. So enter EL1 at nvhe_hyp_panic_handler(vector, ESR_EL2,
 * ELR_EL2, SPSR_EL2, FAR_EL2), which panics with them, on the stack EL1 was using
 * (SP_EL1: outside a guest run EL2 never changes it; within one, guest_run_panic put
 * the host's EL1 state back).
 */
hyp_panic:
	mrs	x1, esr_el2
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	mrs	x4, far_el2
	ldr	x5, panic_handler
	msr	elr_el2, x5
	mov	x5, #HYP_PANIC_SPSR
	msr	spsr_el2, x5
	eret

/*
 * Installs our vectors on this CPU. The stub's HVC_SOFT_RESTART branches here at EL2
 * (x0-x4 are the stub's scratch), leaving ELR_EL2 and SPSR_EL2 as the hvc set them, so
 * ERET returns to the caller at EL1. VBAR_EL2 still points at the stub: saving it is how
 * hc_reset_vectors and el1_sync find the stub, whose address Linux does not export to
 * modules. It is the same on every CPU, so one saved copy serves all. If our vectors are
 * installed already, saved_vbar holds the stub and stays, and so does the MMU.
 */
	.global	__minikvm_hyp_install
__minikvm_hyp_install:
	adr	x1, __minikvm_hyp_vectors
	mrs	x0, vbar_el2
	cmp	x0, x1
	b.eq	1f
	/*
	 * The store goes to memory (MMU off); the caches may hold an older copy of the
	 * line, fetched through the kernel's alias of the page, which EL2 would read once
	 * its caches are on. Clean and invalidate it (by physical address: MMU off).
	 */
	adr	x2, saved_vbar
	str	x0, [x2]
	dsb	sy
	dc	civac, x2
	dsb	sy
	/*
	 * EL2's stage 1 (Arm ARM D5.2): arm.c's tables and controls, no stale TLB entry
	 * (a previous load of the module had other tables), no stale instruction.
	 */
	ldr	x0, hyp_mair
	msr	mair_el2, x0
	ldr	x0, hyp_tcr
	msr	tcr_el2, x0
	ldr	x0, hyp_ttbr0
	msr	ttbr0_el2, x0
	isb
	tlbi	alle2
	ic	iallu
	dsb	nsh
	isb
	mrs	x0, sctlr_el2
	orr	x0, x0, #SCTLR_ELx_M
	orr	x0, x0, #SCTLR_ELx_C
	orr	x0, x0, #SCTLR_ELx_I
	msr	sctlr_el2, x0
	isb
	msr	vbar_el2, x1
	isb
1:	mov	x0, xzr
	eret

	.balign	8
/* The stub's VBAR_EL2. Written and read at EL2 only (EL1 never reads it back). */
saved_vbar:
	.quad	0
/*
 * EL1 address of nvhe_hyp_panic_handler(), stored by arm.c before the page is cleaned.
 * Loaded through the local label, which the assembler resolves: no relocation.
 */
	.global	__minikvm_hyp_panic_handler
__minikvm_hyp_panic_handler:
panic_handler:
	.quad	0
/* EL2's MAIR, TCR and TTBR0 (arm.c), read by the installer with the MMU still off. */
	.global	__minikvm_hyp_mair, __minikvm_hyp_tcr, __minikvm_hyp_ttbr0
__minikvm_hyp_mair:
hyp_mair:
	.quad	0
__minikvm_hyp_tcr:
hyp_tcr:
	.quad	0
__minikvm_hyp_ttbr0:
hyp_ttbr0:
	.quad	0

	.global	__minikvm_hyp_end
__minikvm_hyp_end:

	.text
/*
 * __kvm_call_hyp(nr, a1, a2, a3) - hyp call "nr" with x1-x3 = a1-a3; returns x0.
 * A function call, so the compiler already takes x0-x17 as clobbered: that covers what
 * the stub (x0-x4) and our vectors (x16) may change.
 */
SYM_FUNC_START(__kvm_call_hyp)
	hvc	#0
	ret
SYM_FUNC_END(__kvm_call_hyp)

/* __kvm_vcpu_run_vhe(hyp) - VHE: the world switch, called at EL2 with DAIF masked. */
SYM_FUNC_START(__kvm_vcpu_run_vhe)
	guest_run 1, vhe
SYM_FUNC_END(__kvm_vcpu_run_vhe)

/* __kvm_tlb_flush_vmid_vhe(vttbr, hcr) - VHE: tlb_flush_vmid, called with DAIF masked. */
SYM_FUNC_START(__kvm_tlb_flush_vmid_vhe)
	tlb_flush_vmid 1
SYM_FUNC_END(__kvm_tlb_flush_vmid_vhe)
