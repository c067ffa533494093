// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUID for guests, as KVM's cpuid.c: the table userspace sets with KVM_SET_CPUID2 and
 * reads back with KVM_GET_CPUID2, and the CPUID exit answered from it. Before a table is
 * set, a guest sees the host's CPUID with what minikvm does not virtualize taken out.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeatures.h>
#include <asm/processor.h>

#include <minikvm/kvm_host.h>

#include "vmx.h"

/* KVM's limit on the entries of a CPUID table. */
#define KVM_MAX_CPUID_ENTRIES		256

/* CPUID bit masks, from the kernel's feature numbers (word * 32 + bit). */
#define F(name)		BIT(X86_FEATURE_##name % 32)
#define CPUID_HYPERVISOR_LEAF_BASE	0x40000000
#define CPUID_HYPERVISOR_LEAF_END	0x4fffffff
#define CPUID_EXT_LEAF_BASE		0x80000000
#define CPUID_EXT_FEATURES		0x80000001
#define CPUID_CENTAUR_LEAF_BASE		0xc0000000
#define CPUID_1_EBX_APIC_ID_SHIFT	24
/* "AuthenticAMD" in EBX, EDX, ECX of leaf 0. */
#define CPUID_VENDOR_AMD_EBX		0x68747541
#define CPUID_VENDOR_AMD_ECX		0x444d4163
#define CPUID_VENDOR_AMD_EDX		0x69746e65

/*
 * What a guest sees of the host CPU without a table: the host's CPUID without VMX and
 * SMX, MONITOR/MWAIT, XSAVE and the features whose state needs it (XCR0 is not
 * switched, and CR4.OSXSAVE is reserved to guests), the local APIC and its timer,
 * performance monitoring and debug store; the hypervisor bit set; and the vCPU's id as its
 * APIC id.
 */
static void kvm_cpuid_mask_host(u32 apic_id, u32 leaf, u32 index, u32 *eax, u32 *ebx,
				u32 *ecx, u32 *edx)
{
	switch (leaf) {
	case 1:
		*ebx = (*ebx & GENMASK(23, 0)) | (apic_id << CPUID_1_EBX_APIC_ID_SHIFT);
		*ecx &= ~(F(VMX) | F(SMX) | F(MWAIT) | F(XSAVE) | F(OSXSAVE) | F(AVX) | F(FMA) |
			  F(F16C) | F(X2APIC) | F(TSC_DEADLINE_TIMER) | F(PDCM) | F(DTES64) |
			  F(DSCPL) | F(EST) | F(TM2) | F(PCID));
		*ecx |= F(HYPERVISOR);
		*edx &= ~(F(APIC) | F(DS) | F(ACPI) | F(ACC) | F(PBE));
		break;
	case 7:
		/* Only the subleaf-0 features that need nothing of the hypervisor. */
		if (index) {
			*eax = *ebx = *ecx = *edx = 0;
			break;
		}
		*eax = 0;
		*ebx &= F(FSGSBASE) | F(BMI1) | F(BMI2) | F(ERMS) | F(SMEP) | F(SMAP) |
			F(RDSEED) | F(ADX) | F(CLFLUSHOPT);
		*ecx = 0;
		*edx = 0;
		break;
	case 5:		/* MONITOR/MWAIT */
	case 6:		/* power management */
	case 0xa:	/* performance monitoring */
	case 0xd:	/* XSAVE */
		*eax = *ebx = *ecx = *edx = 0;
		break;
	case CPUID_EXT_FEATURES:
		/* RDTSCP is not enabled in the VMCS: it would #UD. */
		*edx &= ~F(RDTSCP);
		break;
	default:
		if (leaf >= CPUID_HYPERVISOR_LEAF_BASE && leaf <= CPUID_HYPERVISOR_LEAF_END)
			*eax = *ebx = *ecx = *edx = 0;
		break;
	}
}

static struct kvm_cpuid_entry2 *kvm_find_cpuid_entry_index(struct kvm_vcpu *vcpu,
							   u32 function, u32 index)
{
	int i;

	for (i = 0; i < vcpu->arch.cpuid_nent; i++) {
		struct kvm_cpuid_entry2 *e = &vcpu->arch.cpuid_entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			return e;
	}
	return NULL;
}

/*
 * A leaf beyond the last of its range gets the last basic leaf, as Intel CPUs answer
 * (SDM Vol. 2, CPUID) and KVM imitates for guests that are not AMD's.
 */
static struct kvm_cpuid_entry2 *get_out_of_range_cpuid_entry(struct kvm_vcpu *vcpu,
							     u32 function, u32 index)
{
	struct kvm_cpuid_entry2 *basic = kvm_find_cpuid_entry_index(vcpu, 0, 0);
	struct kvm_cpuid_entry2 *class;

	if (!basic || (basic->ebx == CPUID_VENDOR_AMD_EBX && basic->ecx == CPUID_VENDOR_AMD_ECX &&
		       basic->edx == CPUID_VENDOR_AMD_EDX))
		return NULL;
	if (function >= CPUID_HYPERVISOR_LEAF_BASE && function <= CPUID_HYPERVISOR_LEAF_END)
		class = kvm_find_cpuid_entry_index(vcpu, function & 0xffffff00, 0);
	else if (function >= CPUID_CENTAUR_LEAF_BASE)
		class = kvm_find_cpuid_entry_index(vcpu, CPUID_CENTAUR_LEAF_BASE, 0);
	else
		class = kvm_find_cpuid_entry_index(vcpu, function & CPUID_EXT_LEAF_BASE, 0);
	if (class && function <= class->eax)
		return NULL;
	return kvm_find_cpuid_entry_index(vcpu, basic->eax, index);
}

int kvm_emulate_cpuid(struct kvm_vcpu *vcpu)
{
	u32 leaf = kvm_register_read(vcpu, VCPU_REGS_RAX);
	u32 index = kvm_register_read(vcpu, VCPU_REGS_RCX);
	u32 eax = 0, ebx = 0, ecx = 0, edx = 0;
	struct kvm_cpuid_entry2 *e;

	if (vcpu->arch.cpuid_entries) {
		e = kvm_find_cpuid_entry_index(vcpu, leaf, index);
		if (!e)
			e = get_out_of_range_cpuid_entry(vcpu, leaf, index);
		if (e) {
			eax = e->eax;
			ebx = e->ebx;
			ecx = e->ecx;
			edx = e->edx;
		}
	} else {
		cpuid_count(leaf, index, &eax, &ebx, &ecx, &edx);
		kvm_cpuid_mask_host(vcpu->vcpu_id, leaf, index, &eax, &ebx, &ecx, &edx);
	}
	kvm_register_write(vcpu, VCPU_REGS_RAX, eax);
	kvm_register_write(vcpu, VCPU_REGS_RBX, ebx);
	kvm_register_write(vcpu, VCPU_REGS_RCX, ecx);
	kvm_register_write(vcpu, VCPU_REGS_RDX, edx);
	return kvm_skip_emulated_instruction(vcpu);
}

/* KVM_SET_CPUID2: the table replaces the previous one whole. */
int kvm_vcpu_ioctl_set_cpuid2(struct kvm_vcpu *vcpu, struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid_entry2 *entries = NULL;
	struct kvm_cpuid2 cpuid;

	if (copy_from_user(&cpuid, argp, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent > KVM_MAX_CPUID_ENTRIES)
		return kvm_refuse(-E2BIG, "KVM_SET_CPUID2: %u entries, at most %d", cpuid.nent,
				  KVM_MAX_CPUID_ENTRIES);
	if (cpuid.nent) {
		entries = vmemdup_user(argp->entries, array_size(sizeof(*entries), cpuid.nent));
		if (IS_ERR(entries))
			return PTR_ERR(entries);
	}
	kvfree(vcpu->arch.cpuid_entries);
	vcpu->arch.cpuid_entries = entries;
	vcpu->arch.cpuid_nent = cpuid.nent;
	return 0;
}

/* KVM_GET_CPUID2: E2BIG, nent left as it was, if userspace's array is too small. */
int kvm_vcpu_ioctl_get_cpuid2(struct kvm_vcpu *vcpu, struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid2 cpuid;

	if (copy_from_user(&cpuid, argp, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent < vcpu->arch.cpuid_nent)
		return kvm_refuse(-E2BIG, "KVM_GET_CPUID2: room for %u entries, %d needed",
				  cpuid.nent, vcpu->arch.cpuid_nent);
	if (copy_to_user(argp->entries, vcpu->arch.cpuid_entries,
			 array_size(sizeof(*vcpu->arch.cpuid_entries), vcpu->arch.cpuid_nent)))
		return -EFAULT;
	return put_user(vcpu->arch.cpuid_nent, &argp->nent) ? -EFAULT : 0;
}

/* Leaves whose subleaves differ (SDM Vol. 2, CPUID): all of them are reported. */
#define CPUID_LEAF_CACHE_PARAMS		4	/* subleaves until cache type 0 */
#define CPUID_LEAF_EXT_FEATURES		7
#define CPUID_LEAF_TOPOLOGY		0xb	/* subleaves until level type 0 */
#define CPUID_LEAF_XSAVE		0xd
/* The last extended leaf reported, whatever the host's maximum. */
#define CPUID_EXT_LEAF_LAST		0x80000008

/* Appends the masked host leaf @leaf.@index to @e; returns false once @e is full. */
static bool add_supported_leaf(struct kvm_cpuid_entry2 *e, u32 *nent, u32 max, u32 leaf,
			       u32 index, bool indexed)
{
	struct kvm_cpuid_entry2 *entry;

	if (*nent >= max)
		return false;
	entry = &e[(*nent)++];
	*entry = (struct kvm_cpuid_entry2) {
		.function = leaf,
		.index = index,
		.flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
	};
	cpuid_count(leaf, index, &entry->eax, &entry->ebx, &entry->ecx, &entry->edx);
	kvm_cpuid_mask_host(0, leaf, index, &entry->eax, &entry->ebx, &entry->ecx, &entry->edx);
	/* Telling the guest it runs under a hypervisor is the VMM's choice here, as in KVM. */
	if (leaf == 1)
		entry->ecx &= ~F(HYPERVISOR);
	return true;
}

/* One leaf with all its subleaves; false once @e is full. */
static bool add_supported_leaves(struct kvm_cpuid_entry2 *e, u32 *nent, u32 max, u32 leaf)
{
	u32 eax, ebx, ecx, edx, i;

	switch (leaf) {
	case CPUID_LEAF_CACHE_PARAMS:
	case CPUID_LEAF_TOPOLOGY:
		for (i = 0; ; i++) {
			cpuid_count(leaf, i, &eax, &ebx, &ecx, &edx);
			if (!add_supported_leaf(e, nent, max, leaf, i, true))
				return false;
			/* Cache type (EAX[4:0]) or level type (ECX[15:8]) 0 ends the list. */
			if (leaf == CPUID_LEAF_CACHE_PARAMS ? !(eax & 0x1f) : !(ecx & 0xff00))
				return true;
		}
	case CPUID_LEAF_EXT_FEATURES:
	case CPUID_LEAF_XSAVE:
		return add_supported_leaf(e, nent, max, leaf, 0, true);
	default:
		return add_supported_leaf(e, nent, max, leaf, 0, false);
	}
}

/**
 * kvm_dev_ioctl_get_supported_cpuid() - KVM_GET_SUPPORTED_CPUID
 * @argp: userspace's struct kvm_cpuid2, nent saying how many entries it has room for
 *
 * The host's leaves as a guest may see them (kvm_cpuid_mask_host(): what minikvm does
 * not virtualize taken out), basic then extended. Returns 0 with nent set, or -E2BIG,
 * as KVM, when the array is too small.
 */
int kvm_dev_ioctl_get_supported_cpuid(struct kvm_cpuid2 __user *argp)
{
	u32 max_basic = cpuid_eax(0), max_ext = cpuid_eax(CPUID_EXT_LEAF_BASE), leaf, nent = 0;
	struct kvm_cpuid_entry2 *entries;
	struct kvm_cpuid2 cpuid;
	bool room = true;
	int r = 0;

	if (copy_from_user(&cpuid, argp, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.nent < 1)
		return kvm_refuse(-E2BIG, "KVM_GET_SUPPORTED_CPUID: room for no entry");
	cpuid.nent = min_t(u32, cpuid.nent, KVM_MAX_CPUID_ENTRIES);
	entries = kvcalloc(cpuid.nent, sizeof(*entries), GFP_KERNEL_ACCOUNT);
	if (!entries)
		return -ENOMEM;
	for (leaf = 0; room && leaf <= max_basic; leaf++)
		room = add_supported_leaves(entries, &nent, cpuid.nent, leaf);
	max_ext = min_t(u32, max_ext, CPUID_EXT_LEAF_LAST);
	for (leaf = CPUID_EXT_LEAF_BASE; room && leaf <= max_ext; leaf++)
		room = add_supported_leaves(entries, &nent, cpuid.nent, leaf);
	if (!room)
		r = kvm_refuse(-E2BIG, "KVM_GET_SUPPORTED_CPUID: room for %u entries, more needed",
			       cpuid.nent);
	else if (copy_to_user(argp->entries, entries, array_size(sizeof(*entries), nent)) ||
		 put_user(nent, &argp->nent))
		r = -EFAULT;
	kvfree(entries);
	return r;
}

void kvm_vcpu_free_cpuid(struct kvm_vcpu *vcpu)
{
	kvfree(vcpu->arch.cpuid_entries);
}
