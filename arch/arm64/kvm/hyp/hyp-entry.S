/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * minikvm's EL2 code for nVHE hosts (kernel at EL1): an exception vector table and the
 * hyp calls it answers.
 *
 * Linux leaves EL2 to its hyp stub, with the EL2 MMU off. So this code runs with the MMU
 * off: it is position independent, touches no memory but its own page, and arm.c copies
 * it, from __minikvm_hyp_start to __minikvm_hyp_end, into one physically contiguous page
 * (module memory is not) and hands EL2 the physical address.
 *
 * The stub's vectors stay in charge of everything we do not handle: we chain to them, so
 * the kernel's own stub calls (kexec's HVC_SOFT_RESTART, HVC_SET_VECTORS...) keep working
 * while our vectors are installed. Chaining needs a scratch register, and we use x16 and
 * x17 (IP0/IP1): every stub call is made from a function call, and the procedure call
 * standard lets a call clobber them.
 */
#include <linux/linkage.h>
#include <asm/assembler.h>
#include <asm/virt.h>

#include "../hyp.h"

	.section .rodata.minikvm_hyp, "a"
	/* VBAR_EL2 ignores its low 11 bits: the table starts on a 2 KiB boundary. */
	.balign	SZ_2K
	.global	__minikvm_hyp_start
__minikvm_hyp_start:

/*
 * Exceptions from EL2 itself, and IRQ/FIQ/SError from EL1 (not routed to EL2: HCR_EL2
 * IMO/FMO/AMO are clear), should never happen. There is nowhere to return to, and
 * nothing to print with: park the CPU, as the stub does.
 */
.macro	park_vector
	.balign	0x80
0:	wfe
	b	0b
.endm

	.global	__minikvm_hyp_vectors
__minikvm_hyp_vectors:
	.rept	8			/* current EL with SP_EL0, then with SP_ELx */
	park_vector
	.endr

	.balign	0x80			/* lower EL, AArch64: synchronous */
	b	el1_sync
	.rept	3			/* lower EL, AArch64: IRQ, FIQ, SError */
	park_vector
	.endr
	.rept	4			/* lower EL, AArch32 */
	park_vector
	.endr

/* A hyp call from EL1: x0 holds its number. */
el1_sync:
	mov	x16, #MINIKVM_HC_BASE
	sub	x17, x0, x16
	cmp	x17, #MINIKVM_HC_NR
	b.lo	minikvm_hcall
	cmp	x0, #HVC_RESET_VECTORS
	b.eq	reset_vectors
	/* Every other call is the stub's: enter its vector as the exception would have. */
	adr	x16, saved_vbar
	ldr	x16, [x16]
	add	x16, x16, #VECTOR_LOWER_A64_SYNC
	br	x16

/* MINIKVM_HC_CURRENT_EL, the only call so far: CurrentEL, read at EL2. */
minikvm_hcall:
	mrs	x0, CurrentEL
	eret

/* HVC_RESET_VECTORS: give EL2 back to the stub (the stub's own handler does nothing). */
reset_vectors:
	adr	x16, saved_vbar
	ldr	x16, [x16]
	msr	vbar_el2, x16
	isb
	mov	x0, xzr
	eret

/*
 * Installs our vectors. The stub's HVC_SOFT_RESTART branches here at EL2 with ELR_EL2 and
 * SPSR_EL2 still holding the hyp call's return state, so ERET returns to the caller at
 * EL1. VBAR_EL2 still points at the stub: it is saved first, which is how reset_vectors
 * finds the stub (Linux does not export its address to modules).
 */
	.global	__minikvm_hyp_install
__minikvm_hyp_install:
	adr	x17, __minikvm_hyp_vectors
	mrs	x16, vbar_el2
	cmp	x16, x17
	b.eq	1f			/* already ours: saved_vbar holds the stub */
	adr	x0, saved_vbar
	str	x16, [x0]
	msr	vbar_el2, x17
	isb
1:	mov	x0, xzr
	eret

	.balign	8
saved_vbar:
	.quad	0

	.global	__minikvm_hyp_end
__minikvm_hyp_end:
