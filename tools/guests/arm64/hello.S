/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An EL1 guest: says hello on the PL011 UART at QEMU virt's address, then asks PSCI to
 * power the system off. Position independent: it runs wherever it is loaded.
 */
#define PL011_BASE		0x09000000
#define PSCI_0_2_SYSTEM_OFF	0x84000008

	.globl	_start
_start:
	ldr	x1, =PL011_BASE
	adr	x2, msg
1:	ldrb	w0, [x2], #1
	cbz	w0, 2f
	strb	w0, [x1]
	b	1b
2:	ldr	x0, =PSCI_0_2_SYSTEM_OFF
	hvc	#0
	b	.

msg:	.asciz	"Hello from an EL1 guest\n"
	.balign	8
	.ltorg
