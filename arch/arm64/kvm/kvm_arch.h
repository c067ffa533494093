/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The arm64 part of minikvm's VM and vCPU objects, embedded in struct kvm and struct
 * kvm_vcpu (include/minikvm/kvm_host.h).
 */
#ifndef __MINIKVM_ARM64_KVM_ARCH_H
#define __MINIKVM_ARM64_KVM_ARCH_H

#define KVM_MAX_VCPUS		16
#define KVM_MAX_VCPU_IDS	KVM_MAX_VCPUS

/* The vCPU mmap: struct kvm_run only (no PIO on arm64, no coalesced MMIO ring yet). */
#define KVM_VCPU_MMAP_PAGES	1

/* Exception classes (ESR_EL2.EC, 6 bits) counted one by one in the vCPU stats. */
#define KVM_NR_EXIT_REASONS	64

/* The guest's IPA space when KVM_CREATE_VM's type asks for no size: 40 bits, as KVM. */
#define KVM_PHYS_SIZE_DEFAULT	(1ULL << 40)

struct kvm_arch {
};

struct kvm_vcpu_arch {
};

#endif /* __MINIKVM_ARM64_KVM_ARCH_H */
