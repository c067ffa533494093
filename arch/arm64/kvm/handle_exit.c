// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 exit handling: why the guest left (an interrupt, an SError, or a trap),
 * and for a trap, what its exception class (ESR_EL2.EC, Arm ARM DDI 0487F.c, D13.2.37)
 * asks of us. Every handler returns >0 to re-enter the guest, 0 to return to userspace
 * with run->exit_reason set, or a negative errno.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm.h>
#include <linux/nospec.h>
#include <asm/esr.h>
#include <asm/exception.h>
#include <asm/kvm_arm.h>
#include <asm/ptrace.h>

#include <minikvm/kvm_host.h>

#include "arm.h"

typedef int (*exit_handle_fn)(struct kvm_vcpu *vcpu);

/*
 * Offsets in the guest's VBAR_EL1 table of a synchronous exception (D1.10.2), by where
 * it is taken from.
 */
#define VECTOR_CURRENT_SP0	0x000
#define VECTOR_CURRENT_SPX	0x200
#define VECTOR_LOWER_A64	0x400
#define VECTOR_LOWER_A32	0x600

/* PSTATE on exception entry to EL1 (D1.10.4): EL1h, every exception masked. */
#define PSTATE_EL1_EXCEPTION	(PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)

/**
 * kvm_inject_undefined() - make the trapped instruction UNDEFINED to the guest
 * @vcpu: the vCPU
 *
 * Enters the guest's EL1 synchronous vector as the CPU would for an Unknown reason
 * exception: ELR_EL1 = the instruction, SPSR_EL1 = its PSTATE, ESR_EL1.EC = 0.
 */
void kvm_inject_undefined(struct kvm_vcpu *vcpu)
{
	struct kvm_cpu_context *ctxt = &vcpu->arch.hyp.guest;
	u64 pstate = ctxt->regs.regs.pstate;
	u64 offset;

	switch (pstate & (PSR_MODE32_BIT | PSR_MODE_MASK)) {
	case PSR_MODE_EL1t:
		offset = VECTOR_CURRENT_SP0;
		break;
	case PSR_MODE_EL1h:
		offset = VECTOR_CURRENT_SPX;
		break;
	case PSR_MODE_EL0t:
		offset = VECTOR_LOWER_A64;
		break;
	default:
		offset = VECTOR_LOWER_A32;
		break;
	}
	ctxt->regs.elr_el1 = ctxt->regs.regs.pc;
	ctxt->regs.spsr[KVM_SPSR_EL1] = pstate;
	ctxt->sys_regs[CTX_ESR_EL1] = (ESR_ELx_EC_UNKNOWN << ESR_ELx_EC_SHIFT) |
				      (vcpu->arch.hyp.esr_el2 & ESR_ELx_IL);
	ctxt->regs.regs.pstate = PSTATE_EL1_EXCEPTION;
	ctxt->regs.regs.pc = ctxt->sys_regs[CTX_VBAR_EL1] + offset;
}

/**
 * kvm_set_sei_esr() - make a virtual SError pending for the guest, with syndrome @esr
 * @vcpu: the vCPU, not in the guest
 * @esr: ESR_EL1's ISS when the guest takes it (VSESR_EL2, FEAT_RAS only)
 *
 * HCR_EL2.VSE raises it (Arm ARM D1.14.5); the guest takes it once it unmasks SErrors,
 * which clears the bit. KVM_SET_VCPU_EVENTS reaches it too.
 */
void kvm_set_sei_esr(struct kvm_vcpu *vcpu, u64 esr)
{
	vcpu->arch.hyp.vsesr_el2 = esr & ESR_ELx_ISS_MASK;
	vcpu->arch.hyp.hcr_el2 |= HCR_VSE;
}

/*
 * kvm_inject_vabt() - an SError for the guest: with FEAT_RAS, an IMPLEMENTATION DEFINED
 * syndrome (ISV, IDS: bit 24) with the rest zero, which no guest reads as a RAS error of a
 * given kind, as KVM does; without, the CPU makes one up.
 */
void kvm_inject_vabt(struct kvm_vcpu *vcpu)
{
	kvm_set_sei_esr(vcpu, ESR_ELx_ISV);
}

/*
 * A physical SError that the guest caused, or that struck while it ran, with syndrome
 * @esr: the guest gets it as a virtual SError unless it is a RAS error the CPU could
 * correct or has not consumed yet (AET CE, UEO), after which the guest can go on. An
 * uncontainable one (AET UC, or no severity at all) may have corrupted anything: the host
 * panics, as KVM's arm64_is_fatal_ras_serror() has it do.
 */
static void kvm_handle_guest_serror(struct kvm_vcpu *vcpu, u64 esr)
{
	u64 aet = ESR_ELx_AET_UC;

	/* Not a RAS error (an IMPLEMENTATION DEFINED syndrome): nothing more to know. */
	if (!kvm_has_ras() || (esr & ESR_ELx_IDS)) {
		kvm_inject_vabt(vcpu);
		return;
	}
	if ((esr & ESR_ELx_FSC) == ESR_ELx_FSC_SERROR)
		aet = esr & ESR_ELx_AET;
	switch (aet) {
	case ESR_ELx_AET_CE:
	case ESR_ELx_AET_UEO:
		return;
	case ESR_ELx_AET_UEU:
	case ESR_ELx_AET_UER:
		kvm_inject_vabt(vcpu);
		return;
	}
	panic("minikvm: uncontainable SError while a guest ran (ESR 0x%llx, PC 0x%llx)\n", esr,
	      *vcpu_pc(vcpu));
}

/* What minikvm does not emulate is UNDEFINED to the guest, as KVM does. */
static int kvm_handle_unknown_ec(struct kvm_vcpu *vcpu)
{
	u64 esr = vcpu->arch.hyp.esr_el2;

	pr_debug_ratelimited("unhandled exception class 0x%llx (ESR_EL2 0x%llx) at PC 0x%llx: UNDEF\n",
			     ESR_ELx_EC(esr), esr, *vcpu_pc(vcpu));
	kvm_inject_undefined(vcpu);
	return 1;
}

/*
 * WFI: sleep until the vCPU has something to do, or a signal; WFE: let others run
 * (the run loop reschedules before re-entering).
 */
static int kvm_handle_wfx(struct kvm_vcpu *vcpu)
{
	bool is_wfe = vcpu->arch.hyp.esr_el2 & ESR_ELx_WFx_ISS_WFE;
	int ret;

	kvm_incr_pc(vcpu);
	if (is_wfe)
		return 1;
	vcpu->stat.halt_exits++;
	vcpu->arch.in_wfi = true;
	ret = kvm_vcpu_block(vcpu);
	vcpu->arch.in_wfi = false;
	return ret;
}

/*
 * The guest's first FP/SIMD instruction (or FPCR/FPSR access) of this KVM_RUN: from the
 * next entry on, the world switch loads its FP/SIMD registers and the instruction runs
 * again, untrapped. Trapped with them loaded, it was an SVE or SME instruction, which
 * minikvm does not give guests: UNDEFINED.
 */
static int kvm_handle_fpasimd(struct kvm_vcpu *vcpu)
{
	if (vcpu->arch.hyp.guest_fpsimd)
		return kvm_handle_unknown_ec(vcpu);
	vcpu->arch.hyp.guest_fpsimd = 1;
	return 1;
}

static int handle_hvc(struct kvm_vcpu *vcpu)
{
	return kvm_smccc_call_handler(vcpu);
}

/*
 * SMC, trapped by HCR_EL2.TSC: ELR_EL2 points at the instruction (D13.2.37, "Trap
 * exception, not a Secure Monitor Call"), and there is no firmware behind it: it fails
 * with -1 in x0, as under KVM.
 */
static int handle_smc(struct kvm_vcpu *vcpu)
{
	vcpu_set_reg(vcpu, 0, ~0ULL);
	kvm_incr_pc(vcpu);
	return 1;
}

/* Each class not listed goes to the default: the later initializers override it. */
__diag_push();
__diag_ignore_all("-Woverride-init", "every exception class has a handler by default");
static const exit_handle_fn arm_exit_handlers[] = {
	[0 ... ESR_ELx_EC_MAX]	= kvm_handle_unknown_ec,
	[ESR_ELx_EC_WFx]	= kvm_handle_wfx,
	[ESR_ELx_EC_FP_ASIMD]	= kvm_handle_fpasimd,
	[ESR_ELx_EC_HVC64]	= handle_hvc,
	[ESR_ELx_EC_SMC64]	= handle_smc,
	[ESR_ELx_EC_SYS64]	= kvm_handle_sys_reg,
	[ESR_ELx_EC_IABT_LOW]	= kvm_handle_guest_abort,
	[ESR_ELx_EC_DABT_LOW]	= kvm_handle_guest_abort,
};
__diag_pop();

/**
 * handle_exit() - act on a guest exit
 * @vcpu: the vCPU, back from the guest with interrupts on again
 * @exception_index: ARM_EXCEPTION_*, the vector the guest left through, maybe with
 *	ARM_EXIT_WITH_SERROR_BIT
 *
 * Returns >0 to re-enter, 0 for userspace, <0 on error.
 */
int handle_exit(struct kvm_vcpu *vcpu, int exception_index)
{
	struct kvm_vcpu_hyp *hyp = &vcpu->arch.hyp;
	u64 ec = ESR_ELx_EC(hyp->esr_el2);

	/*
	 * An SError was pending at the exit, which the exit path took (hyp/switch.S,
	 * __guest_run): with FEAT_RAS its syndrome is in DISR_EL1's format. As in KVM, the
	 * exit itself is not handled: the guest, if it survives, runs the instruction again.
	 */
	if (ARM_SERROR_PENDING(exception_index)) {
		pr_warn_ratelimited("SError pending as the guest left (DISR_EL1 0x%llx, PC 0x%llx)\n",
				    hyp->disr_el1, *vcpu_pc(vcpu));
		kvm_handle_guest_serror(vcpu, kvm_has_ras() ? disr_to_esr(hyp->disr_el1) : 0);
		return 1;
	}

	switch (exception_index) {
	case ARM_EXCEPTION_IRQ:
	case ARM_EXCEPTION_FIQ:
		/* The host took the interrupt when the run loop unmasked interrupts. */
		return 1;
	case ARM_EXCEPTION_EL1_SERROR:
		/* HCR_EL2.AMO routed to EL2 an SError taken while the guest ran. */
		pr_warn_ratelimited("SError while the guest ran (ESR_EL2 0x%llx, PC 0x%llx)\n",
				    hyp->esr_el2, *vcpu_pc(vcpu));
		kvm_handle_guest_serror(vcpu, hyp->esr_el2);
		return 1;
	case ARM_EXCEPTION_TRAP:
		return arm_exit_handlers[array_index_nospec(ec, ARRAY_SIZE(arm_exit_handlers))](vcpu);
	}
	pr_err_ratelimited("unknown exit code %d from EL2\n", exception_index);
	return -EIO;
}
