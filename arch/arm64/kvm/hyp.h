/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What minikvm's arm64 C code and its EL2 code (hyp/) must agree on: the hyp call numbers,
 * the exit codes of a guest run and the HYP_FLAG_* bits. The assembly also gets the layout
 * of struct kvm_vcpu_hyp (kvm_arch.h), from the compiler: asm-offsets.h, made of
 * asm-offsets.c by the build.
 */
#ifndef __MINIKVM_ARM64_HYP_H
#define __MINIKVM_ARM64_HYP_H

#include <linux/bits.h>

/*
 * Hyp call numbers, passed in x0 of "hvc #0". Linux's hyp stub owns the numbers below
 * HVC_STUB_HCALL_NR (<asm/virt.h>) and answers any other with HVC_STUB_ERR; ours start
 * far above them, at "MKV" << 8.
 */
#define MINIKVM_HC_BASE		0x4d4b5600
/* Returns CurrentEL as read at EL2. */
#define MINIKVM_HC_CURRENT_EL	(MINIKVM_HC_BASE + 0)
/* x1 = PA of a struct kvm_vcpu_hyp: runs the guest once, returns an ARM_EXCEPTION_* code. */
#define MINIKVM_HC_VCPU_RUN	(MINIKVM_HC_BASE + 1)
/* x1 = VTTBR_EL2, x2 = the guest's HCR_EL2: invalidates every TLB entry of that VMID. */
#define MINIKVM_HC_TLB_FLUSH_VMID	(MINIKVM_HC_BASE + 2)
/* Returns SCTLR_EL2: whether EL2 runs with its MMU and caches on. */
#define MINIKVM_HC_SCTLR_EL2	(MINIKVM_HC_BASE + 3)
/* Invalidates every guest TLB entry, of every VMID, on every CPU: a VMID rollover. */
#define MINIKVM_HC_FLUSH_VM_CONTEXT	(MINIKVM_HC_BASE + 4)
/* Returns MDCR_EL2: the host's PMU and debug controls, which a guest's are made from. */
#define MINIKVM_HC_MDCR_EL2	(MINIKVM_HC_BASE + 5)
/*
 * Never a call: the stub, and our vectors which pass it every number they do not know,
 * answer it with HVC_STUB_ERR; anything else at EL2 would not.
 */
#define MINIKVM_HC_PROBE	(MINIKVM_HC_BASE + 0xff)

/* How the guest left: the vector it exited through (sync trap, IRQ, FIQ, SError). */
#define ARM_EXCEPTION_TRAP	0
#define ARM_EXCEPTION_IRQ	1
#define ARM_EXCEPTION_FIQ	2
#define ARM_EXCEPTION_EL1_SERROR	3
/*
 * Or'ed into any of them: a physical SError was pending when the guest left, and the exit
 * path took it (hyp-entry.S). KVM uses bit 31; bit 16 keeps the int positive.
 */
#define ARM_EXIT_WITH_SERROR_BIT	16
#define ARM_EXCEPTION_CODE(x)	((x) & ~BIT(ARM_EXIT_WITH_SERROR_BIT))
#define ARM_SERROR_PENDING(x)	(!!((x) & BIT(ARM_EXIT_WITH_SERROR_BIT)))

/*
 * struct kvm_vcpu_hyp's flags: what this CPU has and needs, computed by hyp_init.c for
 * each CPU and copied in when the vCPU is loaded on it (kvm_arch_vcpu_load()); the world
 * switch tests each bit. Registers that
 * only some CPUs have: HCRX_EL2 (FEAT_HCX), the fine-grained trap registers (FEAT_FGT),
 * TPIDR2_EL0 where no fine-grained trap can keep the guest off it (FEAT_SME without
 * FEAT_FGT), DISR_EL1/VDISR_EL2/VSESR_EL2 (FEAT_RAS), the GICv3 CPU interface's EL2
 * registers; erratum 834220 (HPFAR_EL2 wrong on any stage-2 abort); and the Spectre-v2
 * and Spectre-BHB work each guest exit must do on this CPU (spectre.c).
 */
#define HYP_FLAG_HCX		0
#define HYP_FLAG_FGT		1
#define HYP_FLAG_TPIDR2		2
#define HYP_FLAG_RAS		3
#define HYP_FLAG_GICV3		4
#define HYP_FLAG_AT_ALL_ABORTS	5
#define HYP_FLAG_WA1		6
#define HYP_FLAG_WA3		7
#define HYP_FLAG_BHB_LOOP	8
#define HYP_FLAG_CLRBHB		9
#define HYP_FLAGS_SPECTRE	(BIT(HYP_FLAG_WA1) | BIT(HYP_FLAG_WA3) | \
				 BIT(HYP_FLAG_BHB_LOOP) | BIT(HYP_FLAG_CLRBHB))
/*
 * Iterations of the branch loop that overwrites the branch history: the largest that the
 * kernel's Spectre-BHB table knows (6.1, 6.12), enough for every CPU it lists.
 */
#define HYP_BHB_LOOP_K		132
/* What the exit path leaves in HPFAR_EL2's place when AT S1E1R cannot translate FAR. */
#define HYP_HPFAR_INVALID	(~_AC(0, ULL))

/*
 * Offsets in an exception vector table (Arm ARM DDI 0487F.c, D1.10.2 "Exception
 * vectors"): 16 entries of 0x80 bytes. An exception to EL2 from EL1 in AArch64 state
 * enters at 0x400 (synchronous), 0x480 (IRQ), 0x500 (FIQ) or 0x580 (SError).
 */
#define VECTOR_ENTRY_SIZE	0x80
#define VECTOR_LOWER_A64_SYNC	0x400

#ifdef __ASSEMBLY__
#include "asm-offsets.h"

/* General-purpose register n in a struct kvm_cpu_context. */
#define CPU_XREG(n)		(CPU_REGS + 8 * (n))
#else
#include <linux/types.h>

struct kvm_vcpu_hyp;

/* The EL2 code, from __minikvm_hyp_start to __minikvm_hyp_end, copied to pages of its own. */
extern char __minikvm_hyp_start[], __minikvm_hyp_end[];
/* Reached through the stub's HVC_SOFT_RESTART: saves the stub's VBAR_EL2, installs ours. */
extern char __minikvm_hyp_install[];
/* Where the EL2 code finds the EL1 address of nvhe_hyp_panic_handler() (arm.c). */
extern char __minikvm_hyp_panic_handler[];
/* EL2's MAIR_EL2, TCR_EL2 and TTBR0_EL2, written by arm.c into the copy. */
extern char __minikvm_hyp_mair[], __minikvm_hyp_tcr[], __minikvm_hyp_ttbr0[];

/* "hvc #0" with x0 = @nr and x1-x3 = @a1-@a3; returns x0 as EL2 left it. */
unsigned long __kvm_call_hyp(unsigned long nr, unsigned long a1, unsigned long a2,
			     unsigned long a3);

/* VHE: the world switch and the TLB invalidation, called directly at EL2, DAIF masked. */
unsigned long __kvm_vcpu_run_vhe(struct kvm_vcpu_hyp *hyp);
void __kvm_tlb_flush_vmid_vhe(u64 vttbr, u64 hcr);
/* VHE: where the guest run's vectors go on an exception from EL2 itself (arm.c). */
void __noreturn vhe_hyp_panic_handler(u64 vector, u64 esr, u64 elr, u64 spsr, u64 far);
#endif

#endif /* __MINIKVM_ARM64_HYP_H */
