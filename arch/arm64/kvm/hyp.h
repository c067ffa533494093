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
 * Hyp call numbers, passed in x0 of "hvc #0", one per EL2 function that kvm_call_hyp()
 * calls (hyp/switch.S; hyp-entry.S's hyp_calls has them in this order). Linux's hyp stub
 * owns the numbers below HVC_STUB_HCALL_NR (<asm/virt.h>) and answers any other with
 * HVC_STUB_ERR; ours start far above them, at "M" << 16, a base that one SUB takes as its
 * immediate (imm12, LSL #12). The guest run, the most frequent, is + 0: one MOV at EL1.
 */
#define MINIKVM_HC_BASE		0x4d0000
#define MINIKVM_HC___kvm_vcpu_run		(MINIKVM_HC_BASE + 0)
#define MINIKVM_HC___kvm_get_current_el		(MINIKVM_HC_BASE + 1)
#define MINIKVM_HC___kvm_tlb_flush_vmid		(MINIKVM_HC_BASE + 2)
#define MINIKVM_HC___kvm_get_sctlr_el2		(MINIKVM_HC_BASE + 3)
#define MINIKVM_HC___kvm_flush_vm_context	(MINIKVM_HC_BASE + 4)
#define MINIKVM_HC___kvm_get_mdcr_el2		(MINIKVM_HC_BASE + 5)
#define MINIKVM_HC_NR		6
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
 * path took it (hyp/switch.S). KVM uses bit 31; bit 16 keeps the int positive.
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
 * and Spectre-BHB work each guest exit must do on this CPU (spectre.c); and the mode.
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
/* The kernel runs at EL2 (VHE): the world switch leaves the host's EL1 registers alone. */
#define HYP_FLAG_VHE		10
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

/*
 * The EL2 code, from __minikvm_hyp_start to __minikvm_hyp_end (hyp/hyp.lds), copied to
 * pages of its own.
 */
extern char __minikvm_hyp_start[], __minikvm_hyp_end[];
/* Reached through the stub's HVC_SOFT_RESTART: saves the stub's VBAR_EL2, installs ours. */
extern char __minikvm_hyp_install[];
/* Where the EL2 code finds the EL1 address of nvhe_hyp_panic_handler() (hyp_init.c). */
extern char __minikvm_hyp_panic_handler[];

/*
 * __kvm_call_hyp(nr, ...) - nVHE: "hvc #0" with x0 = @nr and x1-x4 = up to four more
 * arguments, zero if fewer; returns x0 as EL2 left it. EL2 changes what a function call
 * may: the stub, x0-x4; our vectors, x0-x5, x16, x17 and the link register (hyp-entry.S).
 */
#define __kvm_call_hyp(...)	__kvm_hvc(__VA_ARGS__, 0, 0, 0, 0)
#define __kvm_hvc(nr, a1, a2, a3, a4, ...)						\
	__kvm_hvc5((unsigned long)(nr), (unsigned long)(a1), (unsigned long)(a2),	\
		   (unsigned long)(a3), (unsigned long)(a4))

static inline unsigned long __kvm_hvc5(unsigned long nr, unsigned long a1, unsigned long a2,
				       unsigned long a3, unsigned long a4)
{
	register unsigned long x0 asm("x0") = nr;
	register unsigned long x1 asm("x1") = a1;
	register unsigned long x2 asm("x2") = a2;
	register unsigned long x3 asm("x3") = a3;
	register unsigned long x4 asm("x4") = a4;

	asm volatile("hvc #0"
		     : "+r" (x0), "+r" (x1), "+r" (x2), "+r" (x3), "+r" (x4)
		     :
		     : "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
		       "x15", "x16", "x17", "x30", "cc", "memory");
	return x0;
}

/*
 * __kvm_hvc3(nr, a1, a2) - kvm_call_hyp()'s "hvc #0": as __kvm_hvc5(), for our calls only,
 * which take at most two arguments; x3 and x4 are clobbered, not zeroed.
 */
static inline unsigned long __kvm_hvc3(unsigned long nr, unsigned long a1, unsigned long a2)
{
	register unsigned long x0 asm("x0") = nr;
	register unsigned long x1 asm("x1") = a1;
	register unsigned long x2 asm("x2") = a2;

	asm volatile("hvc #0"
		     : "+r" (x0), "+r" (x1), "+r" (x2)
		     :
		     : "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
		       "x14", "x15", "x16", "x17", "x30", "cc", "memory");
	return x0;
}
#define __kvm_hvc_2(nr, a1, a2, ...)	\
	__kvm_hvc3((unsigned long)(nr), (unsigned long)(a1), (unsigned long)(a2))

/*
 * The EL2 functions (hyp/switch.S), each reached by kvm_call_hyp(). Pointers they take are
 * EL2 addresses: kern_hyp_va().
 */
unsigned long __kvm_vcpu_run(struct kvm_vcpu_hyp *hyp);
unsigned long __kvm_tlb_flush_vmid(u64 vttbr, u64 hcr);
unsigned long __kvm_flush_vm_context(void);
unsigned long __kvm_get_mdcr_el2(void);
unsigned long __kvm_get_current_el(void);
unsigned long __kvm_get_sctlr_el2(void);

/*
 * kvm_call_hyp(f, ...) - run EL2 function @f with the arguments that follow (at most
 * two), as KVM's macro of this name: a direct call when the kernel runs at EL2 (VHE:
 * has_vhe(), a patched branch), else a hyp call into our vectors, which call @f there.
 * Returns what @f returns.
 */
#define kvm_call_hyp(f, ...)							\
	(has_vhe() ? f(__VA_ARGS__) :						\
	 __kvm_hvc_2(MINIKVM_HC_##f, ##__VA_ARGS__, 0, 0))

/*
 * kern_hyp_va() - where EL2 finds kernel object @v: at its kernel address in VHE, at its
 * physical address in nVHE, which EL2's identity map maps (mmu.c, kvm_hyp_map()).
 */
#define kern_hyp_va(v)								\
	((typeof(v))(has_vhe() ? (unsigned long)(v) :				\
		     (unsigned long)virt_to_phys(v)))

/* VHE: where the guest run's vectors go on an exception from EL2 itself (arm.c). */
void __noreturn vhe_hyp_panic_handler(u64 vector, u64 esr, u64 elr, u64 spsr, u64 far);
#endif

#endif /* __MINIKVM_ARM64_HYP_H */
