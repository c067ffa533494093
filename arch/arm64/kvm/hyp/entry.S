/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Into the guest and back, at EL2: __guest_enter loads the guest's general-purpose
 * registers and ERETs; every exit vector (hyp-entry.S) comes to __guest_exit, which saves
 * them and returns to __guest_enter's caller, __guest_run (switch.S), as a function
 * returns. The rest of the world switch is __guest_run's.
 */
#include <linux/linkage.h>
#include <asm/assembler.h>

#include "../hyp.h"
#include "include/hyp/gprs.h"

	.section .hyp.text, "ax"

/*
 * __guest_enter(hyp) - x0 = the struct kvm_vcpu_hyp, at which SP_EL2 points too: the exit
 * vectors find it there, and the guest cannot change SP_EL2. ELR_EL2 and SPSR_EL2 hold
 * the guest's PC and PSTATE. Returns through __guest_exit: x0 = ARM_EXCEPTION_*, x1 =
 * the structure, x2 its host context, x5 its HYP_FLAG_* bits. Called by "bl" only, so no
 * BTI landing pad.
 */
SYM_CODE_START(__guest_enter)
	/* The host's: what a function call keeps (AAPCS64: x19-x30, and the kernel's x18). */
	add	x1, x0, #HYP_HOST
	gprs	stp, str, x1, 18

	/* The guest's, whose context comes first in the structure (kvm_arch.h). */
	gprs	ldp, ldr, x0, 2
	ldp	x0, x1, [x0, #CPU_XREG(0)]
	eret
	/* ERET is not a branch to the predictor: stop straight-line speculation past it. */
	dsb	nsh
	isb
SYM_CODE_END(__guest_enter)

/*
 * __guest_exit - from an exit vector: x0 = ARM_EXCEPTION_*, the guest's x0 and x1 already
 * at [sp], SP_EL2 = the structure. Returns to __guest_enter's caller.
 */
SYM_CODE_START(__guest_exit)
	mov	x1, sp
	gprs	stp, str, x1, 2

	/* No indirect branch of the host's, this RET included, before the predictors are safe. */
	ldr	x5, [x1, #HYP_FLAGS]
	tst	x5, #HYP_FLAGS_SPECTRE
	b.eq	1f
	bl	__bp_harden_exit

1:	add	x2, x1, #HYP_HOST
	gprs	ldp, ldr, x2, 18
	ret
SYM_CODE_END(__guest_exit)
