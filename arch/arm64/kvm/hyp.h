/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What minikvm's arm64 C code (arm.c) and its EL2 code (hyp/hyp-entry.S) must agree on.
 */
#ifndef __MINIKVM_ARM64_HYP_H
#define __MINIKVM_ARM64_HYP_H

/*
 * Hyp call numbers, passed in x0 of "hvc #0". Linux's hyp stub owns the numbers below
 * HVC_STUB_HCALL_NR (<asm/virt.h>) and answers any other with HVC_STUB_ERR; ours start
 * far above them, at "MKV" << 8.
 */
#define MINIKVM_HC_BASE		0x4d4b5600
/* Returns CurrentEL as read at EL2. */
#define MINIKVM_HC_CURRENT_EL	(MINIKVM_HC_BASE + 0)
/*
 * Never a call: the stub, and our vectors which pass it every number they do not know,
 * answer it with HVC_STUB_ERR; anything else at EL2 would not.
 */
#define MINIKVM_HC_PROBE	(MINIKVM_HC_BASE + 0xff)

/*
 * Offsets in an exception vector table (Arm ARM DDI 0487F.c, D1.10.2 "Exception
 * vectors"): 16 entries of 0x80 bytes. An exception to EL2 from EL1 in AArch64 state
 * enters at 0x400 (synchronous), 0x480 (IRQ), 0x500 (FIQ) or 0x580 (SError).
 */
#define VECTOR_ENTRY_SIZE	0x80
#define VECTOR_LOWER_A64_SYNC	0x400

#ifndef __ASSEMBLY__
/* The EL2 code, from __minikvm_hyp_start to __minikvm_hyp_end, copied to a page of its own. */
extern char __minikvm_hyp_start[], __minikvm_hyp_end[];
/* Reached through the stub's HVC_SOFT_RESTART: saves the stub's VBAR_EL2, installs ours. */
extern char __minikvm_hyp_install[];
/* Where the EL2 code finds the EL1 address of nvhe_hyp_panic_handler() (arm.c). */
extern char __minikvm_hyp_panic_handler[];

/* "hvc #0" with x0 = @nr and x1-x3 = @a1-@a3; returns x0 as EL2 left it. */
unsigned long __kvm_call_hyp(unsigned long nr, unsigned long a1, unsigned long a2,
			     unsigned long a3);
#endif

#endif /* __MINIKVM_ARM64_HYP_H */
