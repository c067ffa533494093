// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 firmware interface: the guest's HVC calls, by the SMC Calling
 * Convention (Arm DEN 0028) and PSCI (Arm DEN 0022D): a vCPU initialised with
 * KVM_ARM_VCPU_PSCI_0_2 sees PSCI 1.1 and SMCCC 1.1, as under KVM.
 */

#include <linux/arm-smccc.h>
#include <linux/kvm.h>
#include <linux/psci.h>
#include <linux/string.h>
#include <uapi/linux/psci.h>

#include <minikvm/kvm_host.h>

#include "arm.h"

#define KVM_ARM_PSCI_1_1	PSCI_VERSION(1, 1)

/* SMCCC: results in x0-x3 (x1-x3 zero for single-result calls, as KVM leaves them). */
static void smccc_set_retval(struct kvm_vcpu *vcpu, u64 a0, u64 a1, u64 a2, u64 a3)
{
	vcpu_set_reg(vcpu, 0, a0);
	vcpu_set_reg(vcpu, 1, a1);
	vcpu_set_reg(vcpu, 2, a2);
	vcpu_set_reg(vcpu, 3, a3);
}

/*
 * SYSTEM_OFF and SYSTEM_RESET end in userspace, and, as under KVM, stop every vCPU of the
 * VM: none runs again (KVM_RUN sleeps until a signal) before KVM_ARM_VCPU_INIT resets it,
 * since the guest that asked expects no instruction after. The call itself returns
 * INTERNAL_FAILURE, PSCI's word for "this should not have returned".
 */
static int kvm_prepare_system_event(struct kvm_vcpu *vcpu, u32 type)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_run *run = vcpu->run;
	int i;

	mutex_lock(&kvm->lock);
	for (i = 0; i < kvm->created_vcpus; i++) {
		WRITE_ONCE(kvm->vcpus[i]->arch.power_off, true);
		kvm_vcpu_kick(kvm->vcpus[i]);
	}
	mutex_unlock(&kvm->lock);

	smccc_set_retval(vcpu, (u64)(s64)PSCI_RET_INTERNAL_FAILURE, 0, 0, 0);
	memset(&run->system_event, 0, sizeof(run->system_event));
	run->system_event.type = type;
	run->system_event.ndata = 1;
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	return 0;
}

/* PSCI_FEATURES: 0 for each function implemented here. */
static u64 kvm_psci_features(u32 fn)
{
	switch (fn) {
	case PSCI_0_2_FN_PSCI_VERSION:
	case PSCI_0_2_FN_CPU_OFF:
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
	case PSCI_0_2_FN_SYSTEM_OFF:
	case PSCI_0_2_FN_SYSTEM_RESET:
	case PSCI_1_0_FN_PSCI_FEATURES:
	case ARM_SMCCC_VERSION_FUNC_ID:
		return 0;
	}
	return (u64)(s64)PSCI_RET_NOT_SUPPORTED;
}

/**
 * kvm_smccc_call_handler() - an HVC from the guest (ESR_EL2.EC HVC64)
 * @vcpu: the vCPU; ELR_EL2 already points past the HVC
 *
 * The function number is w0. Every function not implemented returns
 * SMCCC_RET_NOT_SUPPORTED, the full 64-bit -1, as on KVM. Returns 1 to re-enter, or 0
 * with KVM_EXIT_SYSTEM_EVENT.
 */
int kvm_smccc_call_handler(struct kvm_vcpu *vcpu)
{
	u32 fn = lower_32_bits(vcpu_get_reg(vcpu, 0));
	u64 val = (u64)(s64)SMCCC_RET_NOT_SUPPORTED;

	if (!(vcpu->arch.features & BIT(KVM_ARM_VCPU_PSCI_0_2)))
		goto out;

	switch (fn) {
	case ARM_SMCCC_VERSION_FUNC_ID:
		val = ARM_SMCCC_VERSION_1_1;
		break;
	case PSCI_0_2_FN_PSCI_VERSION:
		val = KVM_ARM_PSCI_1_1;
		break;
	case PSCI_1_0_FN_PSCI_FEATURES:
		val = kvm_psci_features(lower_32_bits(vcpu_get_reg(vcpu, 1)));
		break;
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
		/* No Trusted OS to migrate: "not present or does not need migration". */
		val = PSCI_0_2_TOS_MP;
		break;
	case PSCI_0_2_FN_CPU_OFF:
		/* The run loop sleeps before the next entry, until a signal. */
		WRITE_ONCE(vcpu->arch.power_off, true);
		return 1;
	case PSCI_0_2_FN_SYSTEM_OFF:
		return kvm_prepare_system_event(vcpu, KVM_SYSTEM_EVENT_SHUTDOWN);
	case PSCI_0_2_FN_SYSTEM_RESET:
		return kvm_prepare_system_event(vcpu, KVM_SYSTEM_EVENT_RESET);
	}
out:
	smccc_set_retval(vcpu, val, 0, 0, 0);
	return 1;
}
