/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The general-purpose registers of an EL1 context (struct kvm_cpu_context) for
 * __guest_enter and __guest_exit (entry.S), as a list of pairs: what KVM's
 * save_callee_saved_regs and restore_callee_saved_regs (<asm/kvm_asm.h>) do for x18-x30.
 */
#ifndef __MINIKVM_ARM64_HYP_GPRS_H
#define __MINIKVM_ARM64_HYP_GPRS_H

/*
 * x\from-x30 (\from: 2 or 18) at their slots of the context at \base: \pair is stp or ldp,
 * \one str or ldr.
 */
.macro	gprs pair, one, base, from
	.if	\from == 2
	\pair	x2, x3, [\base, #CPU_XREG(2)]
	\pair	x4, x5, [\base, #CPU_XREG(4)]
	\pair	x6, x7, [\base, #CPU_XREG(6)]
	\pair	x8, x9, [\base, #CPU_XREG(8)]
	\pair	x10, x11, [\base, #CPU_XREG(10)]
	\pair	x12, x13, [\base, #CPU_XREG(12)]
	\pair	x14, x15, [\base, #CPU_XREG(14)]
	\pair	x16, x17, [\base, #CPU_XREG(16)]
	.endif
	\pair	x18, x19, [\base, #CPU_XREG(18)]
	\pair	x20, x21, [\base, #CPU_XREG(20)]
	\pair	x22, x23, [\base, #CPU_XREG(22)]
	\pair	x24, x25, [\base, #CPU_XREG(24)]
	\pair	x26, x27, [\base, #CPU_XREG(26)]
	\pair	x28, x29, [\base, #CPU_XREG(28)]
	\one	x30, [\base, #CPU_XREG(30)]
.endm

#endif /* __MINIKVM_ARM64_HYP_GPRS_H */
