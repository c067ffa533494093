/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * minikvm's EL2 exception vectors: for nVHE hosts (the kernel at EL1, Linux's hyp stub at
 * EL2), the table that answers the host's hyp calls, with its installer; for both modes,
 * the table the guest exits through (__guest_vectors). hyp.h has the EL1 side of a hyp
 * call. How nVHE's EL2 runs this code, a copy at its physical address under an identity
 * map, position independent (hyp.lds keeps this file's, switch.S's and entry.S's
 * .hyp.text together): Documentation/run-loop-arm64.rst, "Two ways to EL2".
 *
 * Our vectors answer our hyp calls and, as KVM's, the stub's HVC_RESET_VECTORS (module
 * unload, CPU power-down) and kexec's HVC_SOFT_RESTART, which give EL2 back to the stub.
 * Any other number gets the stub's answer to a number it does not know, HVC_STUB_ERR: the
 * stub's code must never run with our MMU on, which does not map it. Telling the stub's
 * calls (arguments in x0-x4) from ours costs x16 (IP0), which the procedure call standard
 * lets any function call clobber, and every hyp call is made from a function called by C
 * or by "bl" (__hyp_reset_vectors, cpu_soft_restart), or from hyp.h's __kvm_hvc*(). Ours,
 * made from those only, may also use x17 and x30.
 */
#include <linux/linkage.h>
#include <linux/sizes.h>
#include <asm/assembler.h>
#include <asm/esr.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>
#include <asm/virt.h>

#include "../hyp.h"
#include "include/hyp/sysreg-sr.h"

/* PSTATE for entering EL1 from hyp_panic: EL1 with SP_EL1, every exception masked. */
#define HYP_PANIC_SPSR	(PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)
/* PSTATE.A as the immediate of "msr daifset/daifclr" (D, A, I, F from bit 3 down). */
#define DAIFSET_A	4

/*
 * A vector entry for exceptions we do not expect: \panic, told which entry was taken
 * (for an asynchronous exception, ESR_EL2 does not say).
 */
.macro	unexpected_vector table, panic
	.balign	VECTOR_ENTRY_SIZE
	mov	x0, #(. - \table)
	b	\panic
.endm

	.section .hyp.text, "ax"
	/* VBAR_EL2 ignores bits [10:0]: the table starts on a 2 KiB boundary. */
	.balign	SZ_2K
__minikvm_hyp_vectors:
	/*
	 * From EL2 itself, with SP_EL0 (0x000) or SP_EL2 (0x200): neither our code nor the
	 * stub's should ever fault.
	 */
	.rept	8
	unexpected_vector __minikvm_hyp_vectors, hyp_panic
	.endr
	/* From EL1 (or EL0), AArch64: synchronous. */
	.balign	VECTOR_ENTRY_SIZE
	b	el1_sync
	/*
	 * IRQ, FIQ and SError from EL1 or EL0, and anything from AArch32: the stub leaves
	 * HCR_EL2.{IMO,FMO,AMO} and HCR_EL2.TGE clear, so these are taken to EL1, not here.
	 */
	.rept	7
	unexpected_vector __minikvm_hyp_vectors, hyp_panic
	.endr

/*
 * A synchronous exception from EL1. Only "hvc" (ESR_EL2.EC == HVC64) is a hyp call, with
 * its number in x0; ELR_EL2 already points after the hvc, so ERET returns to the caller.
 * Ours call the function of hyp_calls, with the caller's x1-x2 as its arguments, as KVM's
 * handle_host_hcall() does; the guest run, the most frequent, without the table's branches.
 * Other exceptions are trapped instructions: the stub would misread them as hyp calls, and
 * returning would only trap again.
 */
el1_sync:
	mrs	x16, esr_el2
	ubfx	x16, x16, #ESR_ELx_EC_SHIFT, #ESR_ELx_EC_WIDTH
	cmp	x16, #ESR_ELx_EC_HVC64
	b.ne	2f
	sub	x16, x0, #MINIKVM_HC_BASE
	cmp	x16, #MINIKVM_HC_NR
	b.hs	1f
	mov	x0, x1
	cbnz	x16, 3f
	bl	__kvm_vcpu_run
	eret
3:	mov	x1, x2
	adr	x17, hyp_calls - 4
	add	x16, x17, x16, lsl #2
	blr	x16
	eret
1:	cmp	x0, #HVC_RESET_VECTORS
	b.eq	hc_reset
	cmp	x0, #HVC_SOFT_RESTART
	b.eq	hc_reset
	/* Anything else, the probe included: what the stub says of a number it does not know. */
	mov_q	x0, HVC_STUB_ERR
	eret
2:	mov	x0, #VECTOR_LOWER_A64_SYNC
	b	hyp_panic

/* The functions of MINIKVM_HC_BASE + 1, + 2, ... (hyp.h), all in switch.S. */
hyp_calls:
	b	__kvm_get_current_el
	b	__kvm_tlb_flush_vmid
	b	__kvm_get_sctlr_el2
	b	__kvm_flush_vm_context
	b	__kvm_get_mdcr_el2

/*
 * HVC_RESET_VECTORS (module unload, CPU_PM_ENTER) and HVC_SOFT_RESTART (kexec, and our
 * installer) give EL2 back to the stub, as it was: vectors, and MMU and caches off.
 * Identity mapped, the code goes on at the same address once the MMU is off. The stub's
 * own HVC_RESET_VECTORS does nothing (it is installed whenever it runs); its
 * HVC_SOFT_RESTART runs the code at x1, with x2-x4 as arguments: enter its vector as this
 * exception would have, and it does the rest. Our installer, so reached, installs us again.
 */
hc_reset:
	ldr	x16, saved_vbar
	msr	vbar_el2, x16
	mrs	x16, sctlr_el2
	bic	x16, x16, #SCTLR_ELx_M
	bic	x16, x16, #SCTLR_ELx_C
	bic	x16, x16, #SCTLR_ELx_I
	msr	sctlr_el2, x16
	/* The next exception must see the new VBAR_EL2, whatever SCTLR_EL2.EOS says of ERET. */
	isb
	cmp	x0, #HVC_SOFT_RESTART
	b.eq	1f
	mov	x0, xzr
	eret
1:	ldr	x16, saved_vbar
	add	x16, x16, #VECTOR_LOWER_A64_SYNC
	br	x16

/*
 * An exception we cannot handle. There is nowhere to return to (after an exception from
 * EL2, ELR_EL2 and SPSR_EL2 no longer hold the hyp call's return state; after one from
 * EL1, the instruction would trap again), and nothing to print with, while spinning here
 * would hang the CPU silently. So enter EL1 at nvhe_hyp_panic_handler(vector, ESR_EL2,
 * ELR_EL2, SPSR_EL2, FAR_EL2), which panics with them, on the stack EL1 was using
 * (SP_EL1: outside a guest run EL2 never changes it; within one, guest_panic put the
 * host's EL1 state back).
 */
hyp_panic:
	mrs	x1, esr_el2
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	mrs	x4, far_el2
	ldr	x5, __minikvm_hyp_panic_handler
	msr	elr_el2, x5
	mov	x5, #HYP_PANIC_SPSR
	msr	spsr_el2, x5
	eret

/*
 * Installs our vectors on this CPU. The stub's HVC_SOFT_RESTART branches here at EL2 with
 * x0-x2 = MAIR_EL2, TCR_EL2 and TTBR0_EL2 for EL2's stage 1 (hyp_init.c), leaving ELR_EL2
 * and SPSR_EL2 as the hvc set them, so ERET returns to the caller at EL1. VBAR_EL2 still
 * points at the stub (the stub runs this only while installed: after hc_reset, if we were):
 * saving it is how hc_reset finds the stub, whose address Linux does not export to
 * modules. It is the same on every CPU, so one saved copy serves all.
 */
SYM_CODE_START(__minikvm_hyp_install)
	mrs	x3, vbar_el2
	/*
	 * The store goes to memory (MMU off); the caches may hold an older copy of the
	 * line, fetched through the kernel's alias of the page, which EL2 would read once
	 * its caches are on. Clean and invalidate it (by physical address: MMU off).
	 */
	adr	x5, saved_vbar
	str	x3, [x5]
	dsb	sy
	dc	civac, x5
	dsb	sy
	/*
	 * EL2's stage 1 (Arm ARM D5.2): no stale TLB entry (a previous load of the module had
	 * other tables), no stale instruction.
	 */
	msr	mair_el2, x0
	msr	tcr_el2, x1
	msr	ttbr0_el2, x2
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
	adr	x4, __minikvm_hyp_vectors
	msr	vbar_el2, x4
	isb
	mov	x0, xzr
	eret
SYM_CODE_END(__minikvm_hyp_install)

/*
 * Data in the copy, loaded PC-relative: the stub's VBAR_EL2, written and read at EL2 only;
 * and the EL1 address of nvhe_hyp_panic_handler(), which hyp_init.c writes into the copy
 * before cleaning it.
 */
	.balign	8
SYM_DATA_LOCAL(saved_vbar, .quad 0)
SYM_DATA(__minikvm_hyp_panic_handler, .quad 0)

/*
 * The vectors a guest exits through (__guest_run installs them), in both modes. From a
 * lower EL, each saves x0 and x1 to free them, says which kind of exception it was, and
 * goes to __guest_exit (entry.S); SP_EL2 points at the struct kvm_vcpu_hyp. An exception
 * from EL2 itself is a minikvm bug, but for an SError in __guest_serror's window.
 */
	.balign	SZ_2K
SYM_CODE_START(__guest_vectors)
	.rept	7
	unexpected_vector __guest_vectors, guest_panic
	.endr
	/* An SError at EL2 with SP_EL2: taken before the ISB or after it, ELR_EL2 says. */
	.balign	VECTOR_ENTRY_SIZE
.Lserror_el2:
	mrs	x3, elr_el2
	adr	x4, .Lserror_window
	sub	x3, x3, x4
	cmp	x3, #4
	b.hi	1f
	/* Back to __guest_serror's caller, every exception masked as the vector left them. */
	orr	x0, x0, #BIT(ARM_EXIT_WITH_SERROR_BIT)
	ret
1:	mov	x0, #(.Lserror_el2 - __guest_vectors)
	b	guest_panic
	/*
	 * From the guest, AArch64 then AArch32 (its EL0). ESB first: with FEAT_RAS, a pending
	 * SError is deferred into DISR_EL1 for __guest_run (a NOP without).
	 */
	.rept	2
	.irp	code, ARM_EXCEPTION_TRAP, ARM_EXCEPTION_IRQ, ARM_EXCEPTION_FIQ, ARM_EXCEPTION_EL1_SERROR
	.balign	VECTOR_ENTRY_SIZE
	esb
	stp	x0, x1, [sp, #CPU_XREG(0)]
	mov	x0, #\code
	b	__guest_exit
	.endr
	.endr
SYM_CODE_END(__guest_vectors)

/*
 * __guest_serror() - without FEAT_RAS, a physical SError pending at the exit is the
 * guest's: unmask SErrors for one instruction, and the vector above takes it.
 */
SYM_FUNC_START(__guest_serror)
	msr	daifclr, #DAIFSET_A
.Lserror_window:
	isb
	msr	daifset, #DAIFSET_A
	ret
SYM_FUNC_END(__guest_serror)

/*
 * An exception taken from EL2 while the guest's vectors were installed, SP_EL2 at the
 * structure. nVHE: hyp_panic enters the host's EL1, whose registers may be the guest's by
 * now: put the host's back first (x0, the vector, stays). VHE: the kernel's handler.
 */
guest_panic:
	mov	x1, sp
	ldr	x5, [x1, #HYP_FLAGS]
	tbnz	x5, #HYP_FLAG_VHE, 1f
	add	x2, x1, #HYP_HOST
	sysreg_el1 restore, x2, 0
	sysreg_common restore, x2
	sr	restore, x1, HYP_HOST_HCR_EL2, hcr_el2
	sr	restore, x1, HYP_HOST_VTTBR_EL2, vttbr_el2
	isb
	b	hyp_panic
1:	mrs	x1, esr_el2
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	mrs	x4, far_el2
	b	vhe_hyp_panic_handler
