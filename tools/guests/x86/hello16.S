/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A real-mode guest: says hello on COM1 and halts. minikvm-run starts it with CS, DS and
 * SS at its load address, so it is linked at 0.
 */
	.code16
	.globl	_start
_start:
	mov	$msg, %si
	mov	$0x3f8, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	hlt
	jmp	2b

msg:	.asciz	"Hello from a real-mode guest\n"
