// SPDX-License-Identifier: GPL-2.0-only
/*
 * The offsets in struct kvm_vcpu_hyp (kvm_arch.h) that the EL2 assembly (hyp/) loads and
 * stores by, as the compiler lays the structure out. Never linked: Kbuild compiles it to
 * assembly, and the "->SYMBOL value" lines that DEFINE() and OFFSET() (<linux/kbuild.h>)
 * leave there become asm-offsets.h's #defines, as the kernel makes its own asm-offsets.h
 * (the sed-offsets and filechk_offsets of scripts/Makefile.lib).
 */
#include <linux/kbuild.h>
#include <linux/stddef.h>

#include "kvm_arch.h"

#define CTX_SYSREG(sym, slot) \
	DEFINE(sym, offsetof(struct kvm_cpu_context, sys_regs[slot]))

int main(void)
{
	/* struct kvm_cpu_context: the core registers as struct kvm_regs has them. */
	OFFSET(CPU_REGS, kvm_cpu_context, regs.regs.regs);
	OFFSET(CPU_SP_EL0, kvm_cpu_context, regs.regs.sp);
	OFFSET(CPU_PC, kvm_cpu_context, regs.regs.pc);
	OFFSET(CPU_PSTATE, kvm_cpu_context, regs.regs.pstate);
	OFFSET(CPU_SP_EL1, kvm_cpu_context, regs.sp_el1);
	OFFSET(CPU_ELR_EL1, kvm_cpu_context, regs.elr_el1);
	OFFSET(CPU_SPSR_EL1, kvm_cpu_context, regs.spsr[KVM_SPSR_EL1]);
	OFFSET(CPU_FP_REGS, kvm_cpu_context, regs.fp_regs);
	OFFSET(CPU_FP_FPSR, kvm_cpu_context, regs.fp_regs.fpsr);
	OFFSET(CPU_FP_FPCR, kvm_cpu_context, regs.fp_regs.fpcr);
	BLANK();
	/* Its system registers, by their CTX_* slots. */
	CTX_SYSREG(CPU_SCTLR_EL1, CTX_SCTLR_EL1);
	CTX_SYSREG(CPU_CPACR_EL1, CTX_CPACR_EL1);
	CTX_SYSREG(CPU_TTBR0_EL1, CTX_TTBR0_EL1);
	CTX_SYSREG(CPU_TTBR1_EL1, CTX_TTBR1_EL1);
	CTX_SYSREG(CPU_TCR_EL1, CTX_TCR_EL1);
	CTX_SYSREG(CPU_ESR_EL1, CTX_ESR_EL1);
	CTX_SYSREG(CPU_FAR_EL1, CTX_FAR_EL1);
	CTX_SYSREG(CPU_AFSR0_EL1, CTX_AFSR0_EL1);
	CTX_SYSREG(CPU_AFSR1_EL1, CTX_AFSR1_EL1);
	CTX_SYSREG(CPU_MAIR_EL1, CTX_MAIR_EL1);
	CTX_SYSREG(CPU_AMAIR_EL1, CTX_AMAIR_EL1);
	CTX_SYSREG(CPU_CONTEXTIDR_EL1, CTX_CONTEXTIDR_EL1);
	CTX_SYSREG(CPU_VBAR_EL1, CTX_VBAR_EL1);
	CTX_SYSREG(CPU_CNTKCTL_EL1, CTX_CNTKCTL_EL1);
	CTX_SYSREG(CPU_TPIDR_EL0, CTX_TPIDR_EL0);
	CTX_SYSREG(CPU_TPIDRRO_EL0, CTX_TPIDRRO_EL0);
	CTX_SYSREG(CPU_TPIDR_EL1, CTX_TPIDR_EL1);
	CTX_SYSREG(CPU_PAR_EL1, CTX_PAR_EL1);
	CTX_SYSREG(CPU_MDSCR_EL1, CTX_MDSCR_EL1);
	CTX_SYSREG(CPU_CSSELR_EL1, CTX_CSSELR_EL1);
	CTX_SYSREG(CPU_TPIDR2_EL0, CTX_TPIDR2_EL0);
	CTX_SYSREG(CPU_DISR_EL1, CTX_DISR_EL1);
	BLANK();
	/* struct kvm_vcpu_hyp: the two contexts, then the guest's EL2 state. */
	OFFSET(HYP_GUEST, kvm_vcpu_hyp, guest);
	OFFSET(HYP_HOST, kvm_vcpu_hyp, host);
	OFFSET(HYP_HCR_EL2, kvm_vcpu_hyp, hcr_el2);
	OFFSET(HYP_VTTBR_EL2, kvm_vcpu_hyp, vttbr_el2);
	OFFSET(HYP_VTCR_EL2, kvm_vcpu_hyp, vtcr_el2);
	OFFSET(HYP_VMPIDR_EL2, kvm_vcpu_hyp, vmpidr_el2);
	OFFSET(HYP_MDCR_EL2, kvm_vcpu_hyp, mdcr_el2);
	OFFSET(HYP_CPTR_EL2, kvm_vcpu_hyp, cptr_el2);
	OFFSET(HYP_CNTHCTL_EL2, kvm_vcpu_hyp, cnthctl_el2);
	OFFSET(HYP_HCRX_EL2, kvm_vcpu_hyp, hcrx_el2);
	OFFSET(HYP_HFGRTR_EL2, kvm_vcpu_hyp, hfgrtr_el2);
	OFFSET(HYP_HFGWTR_EL2, kvm_vcpu_hyp, hfgwtr_el2);
	OFFSET(HYP_HFGITR_EL2, kvm_vcpu_hyp, hfgitr_el2);
	OFFSET(HYP_HDFGRTR_EL2, kvm_vcpu_hyp, hdfgrtr_el2);
	OFFSET(HYP_HDFGWTR_EL2, kvm_vcpu_hyp, hdfgwtr_el2);
	OFFSET(HYP_VSESR_EL2, kvm_vcpu_hyp, vsesr_el2);
	OFFSET(HYP_VGIC_VMCR, kvm_vcpu_hyp, vgic_vmcr);
	OFFSET(HYP_ESR_EL2, kvm_vcpu_hyp, esr_el2);
	OFFSET(HYP_FAR_EL2, kvm_vcpu_hyp, far_el2);
	OFFSET(HYP_HPFAR_EL2, kvm_vcpu_hyp, hpfar_el2);
	OFFSET(HYP_DISR_EL1, kvm_vcpu_hyp, disr_el1);
	OFFSET(HYP_GUEST_FPSIMD, kvm_vcpu_hyp, guest_fpsimd);
	OFFSET(HYP_FLAGS, kvm_vcpu_hyp, flags);
	BLANK();
	/* The host's EL2 state, saved across the run. */
	OFFSET(HYP_HOST_SP, kvm_vcpu_hyp, host_el2.sp);
	OFFSET(HYP_HOST_LR, kvm_vcpu_hyp, host_el2.lr);
	OFFSET(HYP_HOST_ELR_EL2, kvm_vcpu_hyp, host_el2.elr_el2);
	OFFSET(HYP_HOST_SPSR_EL2, kvm_vcpu_hyp, host_el2.spsr_el2);
	OFFSET(HYP_HOST_HCR_EL2, kvm_vcpu_hyp, host_el2.hcr_el2);
	OFFSET(HYP_HOST_VTTBR_EL2, kvm_vcpu_hyp, host_el2.vttbr_el2);
	OFFSET(HYP_HOST_VMPIDR_EL2, kvm_vcpu_hyp, host_el2.vmpidr_el2);
	OFFSET(HYP_HOST_MDCR_EL2, kvm_vcpu_hyp, host_el2.mdcr_el2);
	OFFSET(HYP_HOST_CPTR_EL2, kvm_vcpu_hyp, host_el2.cptr_el2);
	OFFSET(HYP_HOST_CNTHCTL_EL2, kvm_vcpu_hyp, host_el2.cnthctl_el2);
	OFFSET(HYP_HOST_VBAR_EL2, kvm_vcpu_hyp, host_el2.vbar_el2);
	OFFSET(HYP_HOST_HCRX_EL2, kvm_vcpu_hyp, host_el2.hcrx_el2);
	OFFSET(HYP_HOST_HFGRTR_EL2, kvm_vcpu_hyp, host_el2.hfgrtr_el2);
	OFFSET(HYP_HOST_HFGWTR_EL2, kvm_vcpu_hyp, host_el2.hfgwtr_el2);
	OFFSET(HYP_HOST_HFGITR_EL2, kvm_vcpu_hyp, host_el2.hfgitr_el2);
	OFFSET(HYP_HOST_HDFGRTR_EL2, kvm_vcpu_hyp, host_el2.hdfgrtr_el2);
	OFFSET(HYP_HOST_HDFGWTR_EL2, kvm_vcpu_hyp, host_el2.hdfgwtr_el2);
	OFFSET(HYP_HOST_ICC_SRE_EL2, kvm_vcpu_hyp, host_el2.icc_sre_el2);
	return 0;
}
