// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 guest timer: the EL1 virtual timer (CNTV_CTL_EL0, CNTV_CVAL_EL0; Arm ARM
 * D11.2), which the guest programs directly. Neither kind of host uses it (nVHE drives the
 * EL1 physical timer, VHE the EL2 ones), so it is the guest's while its vCPU is loaded on
 * a CPU, as in KVM (kvm_timer_vcpu_load()/_put()), and no world switch pays for it; put
 * saves it and turns it off, so that one VM's deadline neither fires in the host nor is
 * seen by the next VM on that CPU. The world switch keeps the physical timer from the
 * guest (CNTHCTL_EL2), and no virtual GIC delivers the virtual timer's interrupt yet: a
 * guest can read and program its timer, not be woken by it.
 *
 * From EL2 with E2H set, a VHE host reaches the EL1 timer as CNTV_*_EL02: its own
 * CNTV_*_EL0 accesses mean the EL2 virtual timer there.
 */

#include <asm/sysreg.h>
#include <asm/virt.h>

#include <minikvm/kvm_host.h>

#include "arm.h"

/** kvm_timer_vcpu_load() - the guest's virtual timer into this CPU; preemption off */
void kvm_timer_vcpu_load(struct kvm_vcpu *vcpu)
{
	u64 *sys_regs = vcpu->arch.hyp.guest.sys_regs;

	/* The deadline first, so that enabling does not fire on the previous one. */
	if (is_kernel_in_hyp_mode()) {
		write_sysreg_s(sys_regs[CTX_CNTV_CVAL_EL0], SYS_CNTV_CVAL_EL02);
		isb();
		write_sysreg_s(sys_regs[CTX_CNTV_CTL_EL0], SYS_CNTV_CTL_EL02);
	} else {
		write_sysreg(sys_regs[CTX_CNTV_CVAL_EL0], cntv_cval_el0);
		isb();
		write_sysreg(sys_regs[CTX_CNTV_CTL_EL0], cntv_ctl_el0);
	}
}

/** kvm_timer_vcpu_put() - save the guest's virtual timer and stop it; preemption off */
void kvm_timer_vcpu_put(struct kvm_vcpu *vcpu)
{
	u64 *sys_regs = vcpu->arch.hyp.guest.sys_regs;

	if (is_kernel_in_hyp_mode()) {
		sys_regs[CTX_CNTV_CTL_EL0] = read_sysreg_s(SYS_CNTV_CTL_EL02);
		sys_regs[CTX_CNTV_CVAL_EL0] = read_sysreg_s(SYS_CNTV_CVAL_EL02);
		write_sysreg_s(0, SYS_CNTV_CTL_EL02);
	} else {
		sys_regs[CTX_CNTV_CTL_EL0] = read_sysreg(cntv_ctl_el0);
		sys_regs[CTX_CNTV_CVAL_EL0] = read_sysreg(cntv_cval_el0);
		write_sysreg(0, cntv_ctl_el0);
	}
	isb();
}
