/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The x86 part of minikvm's VM and vCPU objects, embedded in struct kvm and struct
 * kvm_vcpu (include/minikvm/kvm_host.h).
 */
#ifndef __MINIKVM_X86_KVM_ARCH_H
#define __MINIKVM_X86_KVM_ARCH_H

#define KVM_MAX_VCPUS		16
#define KVM_MAX_VCPU_IDS	KVM_MAX_VCPUS

/* The vCPU mmap: struct kvm_run, then the PIO data page at KVM_PIO_PAGE_OFFSET. */
#define KVM_VCPU_MMAP_PAGES	2

/* Basic VM-exit reasons (SDM Appendix C) counted one by one in the vCPU stats: 0-75. */
#define KVM_NR_EXIT_REASONS	76

struct kvm_arch {
};

/**
 * struct kvm_vcpu_arch - x86 vCPU state
 * @pio_data: the page KVM_EXIT_IO's data_offset points into
 */
struct kvm_vcpu_arch {
	void *pio_data;
};

#endif /* __MINIKVM_X86_KVM_ARCH_H */
