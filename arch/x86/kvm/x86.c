// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86 side of minikvm's VM and vCPU objects, as far as minikvm has come: what KVM's
 * x86.c holds. VMX itself is in vmx.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <asm/processor.h>

#include <minikvm/compat.h>
#include <minikvm/kvm_host.h>

int kvm_vm_ioctl_check_extension(struct kvm *kvm, long ext)
{
	return 0;
}

int kvm_arch_init_vm(struct kvm *kvm, unsigned long type)
{
	/* x86 has one machine type, 0. */
	return type ? -EINVAL : 0;
}

int kvm_arch_prepare_memory_region(struct kvm *kvm, const struct kvm_memory_slot *new)
{
	/* EPT maps guest addresses up to the host's MAXPHYADDR. */
	gfn_t max_gfn = (1ULL << (boot_cpu_data.x86_phys_bits - PAGE_SHIFT)) - 1;

	return new->base_gfn + new->npages - 1 > max_gfn ? -EINVAL : 0;
}

void kvm_arch_destroy_vm(struct kvm *kvm)
{
}

int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)
{
	vcpu->arch.pio_data = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	return vcpu->arch.pio_data ? 0 : -ENOMEM;
}

void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	free_page((unsigned long)vcpu->arch.pio_data);
}

long kvm_arch_vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	/* KVM on x86 answers an unknown VM ioctl with ENOTTY (EINVAL elsewhere). */
	return -ENOTTY;
}

void kvm_arch_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
}

void kvm_arch_vcpu_put(struct kvm_vcpu *vcpu)
{
}

bool kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu)
{
	return false;
}

void kvm_arch_flush_shadow_memslot(struct kvm *kvm, const struct kvm_memory_slot *slot)
{
}

/* Until the backend can enter a guest: the contract's first step, then a clear refusal. */
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	if (kvm_run_immediate_exit(vcpu->run))
		return -EINTR;
	pr_info_ratelimited("KVM_RUN: this backend cannot enter a guest yet\n");
	return -EOPNOTSUPP;
}

long kvm_arch_vcpu_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	return -EINVAL;
}

vm_fault_t kvm_arch_vcpu_fault(struct kvm_vcpu *vcpu, struct vm_fault *vmf)
{
	struct page *page;

	if (vmf->pgoff != KVM_PIO_PAGE_OFFSET)
		return VM_FAULT_SIGBUS;
	page = virt_to_page(vcpu->arch.pio_data);
	get_page(page);
	vmf->page = page;
	return 0;
}
