// SPDX-License-Identifier: GPL-2.0-only
/* arm64 guest set-up: the vCPU's initialisation (arm64_setup.h). */
#include <sys/ioctl.h>

#include "kvm_util.h"

/*
 * KVM_ARM_VCPU_INIT of vCPU fd @vcpu as the host's preferred target, with PSCI 0.2 (the
 * guest's way to power CPUs on and off) and the KVM_ARM_VCPU_* bits of @features. The
 * vCPU then is in its reset state: EL1h, DAIF masked, MMU off.
 */
int arm64_vcpu_init(int vm, int vcpu, uint32_t features)
{
	struct kvm_vcpu_init init;

	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init))
		return -1;
	init.features[0] |= 1U << KVM_ARM_VCPU_PSCI_0_2 | features;
	return ioctl(vcpu, KVM_ARM_VCPU_INIT, &init);
}
