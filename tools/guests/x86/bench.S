/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * minikvm-run --bench's x86 guest, in long mode: one timed loop, chosen by the runner in
 * RDI, run RSI times, then HLT. The loops are as short as they can be, so that a figure per
 * iteration is the exit's cost; they are the same on every hypervisor.
 *
 *   RDI = 0  OUT to port 0x80, the runner's null device: an exit to userspace
 *   RDI = 1  CPUID leaf 0: an exit the kernel handles
 *   RDI = 2  OUT to port 0x81, which has an ioeventfd: the kernel's io bus, no userspace
 *   RDI = 3  a byte written to each 4 KiB page from RDX up: first touches of guest memory
 */
	.code64
	.globl	_start
_start:
	cmp	$1, %edi
	je	cpuid_loop
	cmp	$2, %edi
	je	bus_loop
	cmp	$3, %edi
	je	touch_loop

null_loop:
	out	%al, $0x80
	dec	%rsi
	jnz	null_loop
	hlt

cpuid_loop:
	xor	%eax, %eax
	cpuid
	dec	%rsi
	jnz	cpuid_loop
	hlt

bus_loop:
	out	%al, $0x81
	dec	%rsi
	jnz	bus_loop
	hlt

touch_loop:
	movb	$1, (%rdx)
	add	$4096, %rdx
	dec	%rsi
	jnz	touch_loop
	hlt
