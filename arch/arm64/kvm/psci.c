// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 firmware interface: the guest's HVC calls, by the SMC Calling
 * Convention (Arm DEN 0028) and PSCI (Arm DEN 0022D): a vCPU initialised with
 * KVM_ARM_VCPU_PSCI_0_2 sees PSCI 1.1 and SMCCC 1.1, as under KVM: enough for a guest OS
 * to bring its CPUs up and down (CPU_ON, CPU_OFF, AFFINITY_INFO) and to power off, and to
 * learn, through SMCCC_ARCH_FEATURES, what the host does about Spectre (spectre.c).
 */

#include <linux/arm-smccc.h>
#include <linux/kvm.h>
#include <linux/psci.h>
#include <linux/string.h>
#include <uapi/linux/psci.h>
#include <asm/cputype.h>

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
	for (i = 0; i < kvm->created_vcpus; i++)
		kvm_arm_vcpu_power_off(kvm->vcpus[i]);
	mutex_unlock(&kvm->lock);

	smccc_set_retval(vcpu, (u64)(s64)PSCI_RET_INTERNAL_FAILURE, 0, 0, 0);
	memset(&run->system_event, 0, sizeof(run->system_event));
	run->system_event.type = type;
	run->system_event.ndata = 1;
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	return 0;
}

/* MPIDR_EL1's affinity fields, Aff3 and Aff2-0: what names a vCPU to PSCI. */
static u64 kvm_vcpu_get_mpidr_aff(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.hyp.vmpidr_el2 & MPIDR_HWID_BITMASK;
}

/* The vCPU whose affinity is @mpidr, or NULL; under kvm->lock. */
static struct kvm_vcpu *kvm_mpidr_to_vcpu(struct kvm *kvm, u64 mpidr)
{
	int i;

	for (i = 0; i < kvm->created_vcpus; i++)
		if (kvm_vcpu_get_mpidr_aff(kvm->vcpus[i]) == mpidr)
			return kvm->vcpus[i];
	return NULL;
}

/* x1-x3 of a call: for an SMC32/HVC32 function, their lower halves only. */
static u64 smccc_get_arg(struct kvm_vcpu *vcpu, u8 n, u32 fn)
{
	u64 arg = vcpu_get_reg(vcpu, n);

	return fn & ARM_SMCCC_SMC_64 ? arg : lower_32_bits(arg);
}

/*
 * CPU_ON: start a stopped vCPU at an entry point with its context id in x0. The target's
 * own thread resets it (kvm_psci_reset_on()); this one only asks and wakes it.
 */
static u64 kvm_psci_vcpu_on(struct kvm_vcpu *source, u32 fn)
{
	u64 mpidr = smccc_get_arg(source, 1, fn);
	struct kvm *kvm = source->kvm;
	struct kvm_vcpu *vcpu;
	s64 ret = PSCI_RET_SUCCESS;

	if (mpidr & ~MPIDR_HWID_BITMASK)
		return (u64)(s64)PSCI_RET_INVALID_PARAMS;
	mutex_lock(&kvm->lock);
	vcpu = kvm_mpidr_to_vcpu(kvm, mpidr);
	if (!vcpu) {
		ret = PSCI_RET_INVALID_PARAMS;
	} else if (!kvm_arm_vcpu_stopped(vcpu)) {
		ret = PSCI_RET_ALREADY_ON;
	} else {
		vcpu->arch.reset_pc = smccc_get_arg(source, 2, fn);
		vcpu->arch.reset_r0 = smccc_get_arg(source, 3, fn);
		/* The target reads the entry point only after it sees the request. */
		smp_store_release(&vcpu->arch.reset_pending, true);
		WRITE_ONCE(vcpu->arch.mp_state, KVM_MP_STATE_RUNNABLE);
		kvm_vcpu_kick(vcpu);
	}
	mutex_unlock(&kvm->lock);
	return (u64)ret;
}

/**
 * kvm_psci_reset_on() - in a vCPU's own thread, before an entry: the reset CPU_ON asked
 * @vcpu: the vCPU
 */
void kvm_psci_reset_on(struct kvm_vcpu *vcpu)
{
	/* Pairs with kvm_psci_vcpu_on(): the entry point is read after the request. */
	if (!smp_load_acquire(&vcpu->arch.reset_pending))
		return;
	kvm_reset_vcpu(vcpu);
	*vcpu_pc(vcpu) = vcpu->arch.reset_pc;
	vcpu_set_reg(vcpu, 0, vcpu->arch.reset_r0);
	WRITE_ONCE(vcpu->arch.reset_pending, false);
}

/* Affinity fields at and above @level (0-3), or 0 for a level PSCI does not have. */
static u64 psci_affinity_mask(u64 level)
{
	return level <= 3 ? MPIDR_HWID_BITMASK & ~(BIT_ULL(MPIDR_LEVEL_SHIFT(level)) - 1) : 0;
}

/* AFFINITY_INFO: ON if any vCPU in the affinity group is not stopped. */
static u64 kvm_psci_vcpu_affinity_info(struct kvm_vcpu *vcpu, u32 fn)
{
	u64 mask = psci_affinity_mask(smccc_get_arg(vcpu, 2, fn));
	u64 target = smccc_get_arg(vcpu, 1, fn) & mask;
	struct kvm *kvm = vcpu->kvm;
	u64 ret = PSCI_0_2_AFFINITY_LEVEL_OFF;
	int i;

	if (!mask)
		return (u64)(s64)PSCI_RET_INVALID_PARAMS;
	mutex_lock(&kvm->lock);
	for (i = 0; i < kvm->created_vcpus; i++)
		if ((kvm_vcpu_get_mpidr_aff(kvm->vcpus[i]) & mask) == target &&
		    !kvm_arm_vcpu_stopped(kvm->vcpus[i]))
			ret = PSCI_0_2_AFFINITY_LEVEL_ON;
	mutex_unlock(&kvm->lock);
	return ret;
}

/* PSCI_FEATURES: 0 for each function implemented here. */
static u64 kvm_psci_features(u32 fn)
{
	switch (fn) {
	case PSCI_0_2_FN_PSCI_VERSION:
	case PSCI_0_2_FN_CPU_OFF:
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
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
	case ARM_SMCCC_ARCH_FEATURES_FUNC_ID:
		val = kvm_smccc_arch_features(lower_32_bits(vcpu_get_reg(vcpu, 1)));
		break;
	case ARM_SMCCC_ARCH_WORKAROUND_1:
	case ARM_SMCCC_ARCH_WORKAROUND_2:
	case ARM_SMCCC_ARCH_WORKAROUND_3:
		/*
		 * The exit did the work this CPU needs (__bp_harden_exit); SSB's mitigation is on
		 * while a guest runs. As KVM, 0 in x0, the other registers left as they are.
		 */
		vcpu_set_reg(vcpu, 0, SMCCC_RET_SUCCESS);
		return 1;
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
		/*
		 * The run loop sleeps before the next entry, until CPU_ON or a signal. Made
		 * RUNNABLE by userspace instead, the vCPU goes on after the call, which
		 * returned SUCCESS, as on KVM.
		 */
		kvm_arm_vcpu_power_off(vcpu);
		val = PSCI_RET_SUCCESS;
		break;
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
		val = kvm_psci_vcpu_on(vcpu, fn);
		break;
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
		val = kvm_psci_vcpu_affinity_info(vcpu, fn);
		break;
	case PSCI_0_2_FN_SYSTEM_OFF:
		return kvm_prepare_system_event(vcpu, KVM_SYSTEM_EVENT_SHUTDOWN);
	case PSCI_0_2_FN_SYSTEM_RESET:
		return kvm_prepare_system_event(vcpu, KVM_SYSTEM_EVENT_RESET);
	}
out:
	smccc_set_retval(vcpu, val, 0, 0, 0);
	return 1;
}
