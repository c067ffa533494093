/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * minikvm's EL2 code for nVHE hosts (the kernel at EL1, Linux's hyp stub at EL2): an
 * exception vector table and the hyp calls it answers; and __kvm_call_hyp, the EL1 side
 * of a hyp call.
 *
 * The stub leaves the EL2 MMU off (SCTLR_EL2.M == 0), so the EL2 code runs on physical
 * addresses: it is position independent, touches no memory outside itself, and arm.c
 * copies it, from __minikvm_hyp_start to __minikvm_hyp_end, into one physically contiguous
 * page (module memory is not) and hands EL2 that page's physical address. It sits in
 * .rodata because the module never runs it where it is linked.
 *
 * Our vectors answer our hyp calls and HVC_RESET_VECTORS, and pass every other hyp call
 * to the stub, so that the kernel's own stub calls (HVC_SET_VECTORS, kexec's
 * HVC_SOFT_RESTART, HVC_FINALISE_EL2) keep working while we are installed. The stub's
 * calls take their arguments in x0-x4; passing them on costs one scratch register, x16
 * (IP0), which the procedure call standard lets any function call clobber. Every hyp call
 * is made from a function called by C or by "bl" (__hyp_set_vectors, __hyp_reset_vectors,
 * finalise_el2, cpu_soft_restart, and __kvm_call_hyp below), so x16 is dead at each.
 */
#include <linux/linkage.h>
#include <linux/sizes.h>
#include <asm/assembler.h>
#include <asm/esr.h>
#include <asm/ptrace.h>
#include <asm/virt.h>

#include "../hyp.h"

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
	cmp	x0, #HVC_RESET_VECTORS
	b.eq	hc_reset_vectors
	/* Any other number is the stub's: enter its vector as this exception would have. */
	ldr	x16, saved_vbar
	add	x16, x16, #VECTOR_LOWER_A64_SYNC
	br	x16
1:	mov	x0, #VECTOR_LOWER_A64_SYNC
	b	hyp_panic

/* MINIKVM_HC_CURRENT_EL: proof for the caller that this code runs at EL2. */
hc_current_el:
	mrs	x0, CurrentEL
	eret

/*
 * HVC_RESET_VECTORS: give EL2 back to the stub. The stub's own handler does nothing,
 * since the stub is always installed when it runs.
 */
hc_reset_vectors:
	ldr	x16, saved_vbar
	msr	vbar_el2, x16
	/* The next exception must see the new VBAR_EL2, whatever SCTLR_EL2.EOS says of ERET. */
	isb
	mov	x0, xzr
	eret

/*
 * An exception we cannot handle. There is nowhere to return to (after an exception from
 * EL2, ELR_EL2 and SPSR_EL2 no longer hold the hyp call's return state; after one from
 * EL1, the instruction would trap again), and nothing to print with, while spinning here
 * would hang the CPU silently. So enter EL1 at nvhe_hyp_panic_handler(vector, ESR_EL2,
 * ELR_EL2, SPSR_EL2, FAR_EL2), which panics with them, on the stack EL1 was using
 * (SP_EL1, which EL2 never changes).
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
 * installed already, saved_vbar holds the stub and stays.
 */
	.global	__minikvm_hyp_install
__minikvm_hyp_install:
	adr	x1, __minikvm_hyp_vectors
	mrs	x0, vbar_el2
	cmp	x0, x1
	b.eq	1f
	adr	x2, saved_vbar
	str	x0, [x2]
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
