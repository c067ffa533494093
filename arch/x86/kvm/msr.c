// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest MSRs, as KVM's x86.c handles them: RDMSR and WRMSR exits, KVM_GET/SET_MSRS and
 * KVM_GET_MSR_INDEX_LIST. Every MSR not listed here is refused: #GP for the guest, the end
 * of the batch for KVM_GET/SET_MSRS.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr.h>
#include <asm/msr-index.h>

#include <minikvm/kvm_host.h>

#include "vmx.h"

/* IA32_MISC_ENABLE as KVM gives it: no branch trace or PEBS store (SDM Table 2-2). */
#define MISC_ENABLE_DEFAULT	(MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)
/* PAT memory types 0, 1, 4, 5, 6, 7 are valid, 2 and 3 reserved (SDM 13.12.2). */
#define PAT_VALID_TYPES		0xf3

static bool kvm_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++)
		if (!(BIT((pat >> (i * 8)) & 0xff) & PAT_VALID_TYPES) || (pat >> (i * 8)) & 0xf8)
			return false;
	return true;
}

/* IA32_KERNEL_GS_BASE is in the MSR itself between the first entry and vcpu_put(). */
static u64 kvm_get_kernel_gs_base(struct kvm_vcpu *vcpu)
{
	u64 val;

	if (!vcpu->arch.guest_state_loaded)
		return vcpu->arch.msr_kernel_gs_base;
	rdmsrl(MSR_KERNEL_GS_BASE, val);
	return val;
}

static void kvm_set_kernel_gs_base(struct kvm_vcpu *vcpu, u64 val)
{
	if (vcpu->arch.guest_state_loaded)
		wrmsrl(MSR_KERNEL_GS_BASE, val);
	else
		vcpu->arch.msr_kernel_gs_base = val;
}

/*
 * The MSRs KVM_GET_MSRS and KVM_SET_MSRS handle, for KVM_GET_MSR_INDEX_LIST: what a VMM
 * saves and restores. EFER is not listed, as in KVM: it travels in struct kvm_sregs.
 */
static const u32 msrs_to_save[] = {
	MSR_IA32_CR_PAT, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
	MSR_IA32_SYSENTER_EIP, MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_IA32_TSC,
	MSR_IA32_APICBASE, MSR_IA32_MISC_ENABLE,
};

/* KVM_GET_MSR_INDEX_LIST: nmsrs set in any case, -E2BIG if the list does not fit. */
int kvm_dev_ioctl_get_msr_index_list(struct kvm_msr_list __user *argp)
{
	u32 room;

	if (get_user(room, &argp->nmsrs) || put_user(ARRAY_SIZE(msrs_to_save), &argp->nmsrs))
		return -EFAULT;
	if (room < ARRAY_SIZE(msrs_to_save))
		return kvm_refuse(-E2BIG, "KVM_GET_MSR_INDEX_LIST: room for %u MSRs, %zu needed",
				  room, ARRAY_SIZE(msrs_to_save));
	return copy_to_user(argp->indices, msrs_to_save, sizeof(msrs_to_save)) ? -EFAULT : 0;
}

/* Returns 0, or 1 for an MSR the guest cannot read: #GP, as KVM's default. */
static int kvm_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data)
{
	switch (index) {
	case MSR_EFER:
		*data = vmcs_read64(GUEST_IA32_EFER);
		break;
	case MSR_IA32_CR_PAT:
		*data = vmcs_read64(GUEST_IA32_PAT);
		break;
	case MSR_IA32_SYSENTER_CS:
		*data = vmcs_read32(GUEST_SYSENTER_CS);
		break;
	case MSR_IA32_SYSENTER_ESP:
		*data = vmcs_readl(GUEST_SYSENTER_ESP);
		break;
	case MSR_IA32_SYSENTER_EIP:
		*data = vmcs_readl(GUEST_SYSENTER_EIP);
		break;
	case MSR_FS_BASE:
		*data = vmcs_readl(GUEST_FS_BASE);
		break;
	case MSR_GS_BASE:
		*data = vmcs_readl(GUEST_GS_BASE);
		break;
	case MSR_KERNEL_GS_BASE:
		*data = kvm_get_kernel_gs_base(vcpu);
		break;
	case MSR_IA32_TSC:
		/* RDTSC does not exit and the TSC offset is 0: the guest's TSC is the host's. */
		*data = rdtsc();
		break;
	case MSR_IA32_APICBASE:
		*data = vcpu->arch.apic_base;
		break;
	case MSR_IA32_MISC_ENABLE:
		*data = MISC_ENABLE_DEFAULT;
		break;
	default:
		return 1;
	}
	return 0;
}

static int kvm_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
	u64 efer;

	switch (index) {
	case MSR_EFER:
		efer = vmcs_read64(GUEST_IA32_EFER);
		if (data & ~EFER_VALID_BITS)
			return 1;
		/* LME cannot change while paging is on (SDM 10.8.5). */
		if ((kvm_read_cr0(vcpu) & X86_CR0_PG) && ((data ^ efer) & EFER_LME))
			return 1;
		vmx_set_efer(vcpu, (data & ~EFER_LMA) | (efer & EFER_LMA));
		break;
	case MSR_IA32_CR_PAT:
		if (!kvm_pat_valid(data))
			return 1;
		vmcs_write64(GUEST_IA32_PAT, data);
		break;
	case MSR_IA32_SYSENTER_CS:
		vmcs_write32(GUEST_SYSENTER_CS, data);
		break;
	case MSR_IA32_SYSENTER_ESP:
		vmcs_writel(GUEST_SYSENTER_ESP, data);
		break;
	case MSR_IA32_SYSENTER_EIP:
		vmcs_writel(GUEST_SYSENTER_EIP, data);
		break;
	case MSR_FS_BASE:
		vmcs_writel(GUEST_FS_BASE, data);
		break;
	case MSR_GS_BASE:
		vmcs_writel(GUEST_GS_BASE, data);
		break;
	case MSR_KERNEL_GS_BASE:
		kvm_set_kernel_gs_base(vcpu, data);
		break;
	case MSR_IA32_APICBASE:
		vcpu->arch.apic_base = data;
		break;
	case MSR_IA32_MISC_ENABLE:
		break;
	default:
		return 1;
	}
	return 0;
}

int kvm_emulate_rdmsr(struct kvm_vcpu *vcpu)
{
	u32 index = kvm_register_read(vcpu, VCPU_REGS_RCX);
	u64 data;

	if (kvm_get_msr(vcpu, index, &data))
		return kvm_inject_gp(vcpu);
	kvm_register_write(vcpu, VCPU_REGS_RAX, (u32)data);
	kvm_register_write(vcpu, VCPU_REGS_RDX, data >> 32);
	return kvm_skip_emulated_instruction(vcpu);
}

int kvm_emulate_wrmsr(struct kvm_vcpu *vcpu)
{
	u32 index = kvm_register_read(vcpu, VCPU_REGS_RCX);
	u64 data = (u32)kvm_register_read(vcpu, VCPU_REGS_RAX) |
		   ((u64)(u32)kvm_register_read(vcpu, VCPU_REGS_RDX) << 32);

	if (kvm_set_msr(vcpu, index, data))
		return kvm_inject_gp(vcpu);
	return kvm_skip_emulated_instruction(vcpu);
}

/* KVM's limit on the MSRs of one KVM_GET_MSRS or KVM_SET_MSRS. */
#define MAX_IO_MSRS	256

/*
 * KVM_GET_MSRS and KVM_SET_MSRS: the MSRs in order, up to the first one minikvm does not
 * know. Returns how many were done, as KVM.
 */
int kvm_vcpu_ioctl_msr_io(struct kvm_vcpu *vcpu, struct kvm_msrs __user *argp, bool set)
{
	struct kvm_msr_entry *entries;
	struct kvm_msrs msrs;
	size_t size;
	int i, r;

	if (copy_from_user(&msrs, argp, sizeof(msrs)))
		return -EFAULT;
	if (msrs.nmsrs >= MAX_IO_MSRS)
		return kvm_refuse(-E2BIG, "%u MSRs at once: fewer than %d", msrs.nmsrs, MAX_IO_MSRS);
	size = sizeof(*entries) * msrs.nmsrs;
	entries = memdup_user(argp->entries, size);
	if (IS_ERR(entries))
		return PTR_ERR(entries);
	vcpu_load(vcpu);
	for (i = 0; i < msrs.nmsrs; i++) {
		if (set ? kvm_set_msr(vcpu, entries[i].index, entries[i].data) :
			  kvm_get_msr(vcpu, entries[i].index, &entries[i].data))
			break;
	}
	vcpu_put(vcpu);
	r = i;
	if (!set && copy_to_user(argp->entries, entries, size))
		r = -EFAULT;
	kfree(entries);
	return r;
}
