/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * minikvm: the interface between the arch-independent core (virt/kvm/) and a hardware
 * backend (arch/x86/kvm/ or arch/arm64/kvm/). The core includes no arch file; each arch
 * implements the kvm_arch_*() hooks declared here, named after KVM's hooks of the same step.
 */
#ifndef __MINIKVM_KVM_HOST_H
#define __MINIKVM_KVM_HOST_H

#include <linux/types.h>

struct seq_file;

/* KVM_GET_API_VERSION: the ABI of <linux/kvm.h> that minikvm follows. */
#define MINIKVM_API_VERSION	12

/**
 * kvm_arch_hardware_setup() - check the CPU and allocate global hardware state
 *
 * Called once at module load, before any CPU is enabled. Returns 0 or a negative errno
 * after logging one line that says why the hardware cannot be used.
 */
int kvm_arch_hardware_setup(void);

/** kvm_arch_hardware_unsetup() - undo kvm_arch_hardware_setup() at module unload. */
void kvm_arch_hardware_unsetup(void);

/**
 * kvm_arch_hardware_enable() - enter virtualization on the calling CPU
 *
 * Called on each online CPU at load and on each CPU that comes online later (a CPU hotplug
 * state), in a thread bound to that CPU. x86: VMXON; arm64: make our EL2 code reachable.
 * Returns 0 or a negative errno after logging why.
 */
int kvm_arch_hardware_enable(void);

/** kvm_arch_hardware_disable() - leave virtualization on the calling CPU. */
void kvm_arch_hardware_disable(void);

/**
 * kvm_arch_hardware_report() - print proof that this CPU is in virtualization mode
 * @m: debugfs file to print one line to, of the form "cpuN: key=value ..."
 *
 * Called on every online CPU with interrupts disabled (through an IPI) when userspace
 * reads /sys/kernel/debug/minikvm/hardware. It must execute something that only works in
 * the virtualization mode (x86: VMPTRST in VMX operation; arm64: a hyp call that reads
 * CurrentEL at EL2), so that a selftest can tell real set-up from a stub.
 */
void kvm_arch_hardware_report(struct seq_file *m);

/**
 * kvm_arch_dev_ioctl_check_extension() - answer KVM_CHECK_EXTENSION for arch capabilities
 * @ext: the KVM_CAP_* number
 *
 * Returns the capability's value, or 0 for what this arch does not implement.
 */
long kvm_arch_dev_ioctl_check_extension(long ext);

#endif /* __MINIKVM_KVM_HOST_H */
