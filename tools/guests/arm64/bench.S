/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * minikvm-run --bench's arm64 guest, at EL1 with the MMU off: one timed loop, chosen by the
 * runner in x0, run x1 times (counted in x5: an SMCCC call may return in x0-x3), then a
 * store to the null device's end register (PSCI SYSTEM_OFF would stop every vCPU). The
 * loops are as short as they can be, so that a figure per iteration is the exit's cost;
 * they are the same on every hypervisor.
 *
 *   x0 = 0  a store to 0x0a000000, the runner's null device: an MMIO exit to userspace
 *   x0 = 1  HVC PSCI_VERSION: an exit the kernel handles
 *   x0 = 2  a store to 0x0a001000, which has an ioeventfd: the kernel's io bus
 *   x0 = 3  a byte written to each 4 KiB page from x2 up: first touches of guest memory
 */
#define NULL_DEV		0x0a000000
#define BUS_DEV			0x0a001000
#define NULL_DEV_END		0xff8
#define PSCI_0_2_VERSION	0x84000000

	.globl	_start
_start:
	mov	x5, x1
	cmp	x0, #1
	b.eq	hvc_loop
	cmp	x0, #2
	b.eq	bus_loop
	cmp	x0, #3
	b.eq	touch_loop

	ldr	x3, =NULL_DEV
null_loop:
	str	w4, [x3]
	subs	x5, x5, #1
	b.ne	null_loop
	b	off

hvc_loop:
	ldr	x0, =PSCI_0_2_VERSION
	hvc	#0
	subs	x5, x5, #1
	b.ne	hvc_loop
	b	off

bus_loop:
	ldr	x3, =BUS_DEV
1:	str	w4, [x3]
	subs	x5, x5, #1
	b.ne	1b
	b	off

touch_loop:
	strb	w4, [x2]
	add	x2, x2, #4096
	subs	x5, x5, #1
	b.ne	touch_loop

off:	ldr	x3, =NULL_DEV
	str	wzr, [x3, #NULL_DEV_END]
	b	.

	.ltorg
