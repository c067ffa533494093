/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A 32-bit guest for protected mode, with or without paging (minikvm-run --mode protected
 * or paged: paging maps every address to itself): says hello on COM1, one port write per
 * byte, then the whole line again with a single rep outsb, and halts.
 */
	.code32
	.globl	_start
_start:
	mov	$msg, %esi
	mov	$0x3f8, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	mov	$msg, %esi
	mov	$(end - msg), %ecx
	rep outsb
3:	hlt
	jmp	3b

msg:	.ascii	"Hello from a 32-bit guest\n"
end:
