// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUID for guests, as KVM's cpuid.c: the table userspace sets with KVM_SET_CPUID2 and
 * reads back with KVM_GET_CPUID2, the CPUID exit answered from it, and the features the
 * rest of minikvm looks up in it (guest_cpuid_has()). Before a table is set it is empty
 * and every leaf reads 0, as on KVM: a guest sees nothing of the host's CPU that its VMM
 * did not choose to show it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/cpufeatures.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

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
/* "AuthenticAMD" in EBX, EDX, ECX of leaf 0. */
#define CPUID_VENDOR_AMD_EBX		0x68747541
#define CPUID_VENDOR_AMD_ECX		0x444d4163
#define CPUID_VENDOR_AMD_EDX		0x69746e65
/* "GenuineIntel". */
#define CPUID_VENDOR_INTEL_EBX		0x756e6547
#define CPUID_VENDOR_INTEL_ECX		0x6c65746e
#define CPUID_VENDOR_INTEL_EDX		0x49656e69

/*
 * What KVM_GET_SUPPORTED_CPUID offers of the host's CPUID: without VMX and SMX,
 * MONITOR/MWAIT, XSAVE and the features whose state needs it (XCR0 is not switched, and
 * CR4.OSXSAVE is reserved to guests), the local APIC and its timer, performance monitoring
 * and debug store; of leaf 7, the features that need nothing of the hypervisor, and PKU
 * where the host's protection keys are on (vmx_vcpu_run() switches PKRU).
 */
static void kvm_cpuid_mask_supported(u32 leaf, u32 index, u32 *eax, u32 *ebx, u32 *ecx,
				     u32 *edx)
{
	switch (leaf) {
	case 1:
		*ebx &= GENMASK(23, 0);		/* the APIC id is the VMM's to give */
		*ecx &= ~(F(VMX) | F(SMX) | F(MWAIT) | F(XSAVE) | F(OSXSAVE) | F(AVX) | F(FMA) |
			  F(F16C) | F(X2APIC) | F(TSC_DEADLINE_TIMER) | F(PDCM) | F(DTES64) |
			  F(DSCPL) | F(EST) | F(TM2) | F(PCID) | F(HYPERVISOR));
		*edx &= ~(F(APIC) | F(DS) | F(ACPI) | F(ACC) | F(PBE));
		break;
	case 7:
		if (index) {
			*eax = *ebx = *ecx = *edx = 0;
			break;
		}
		*eax = 0;
		*ebx &= F(FSGSBASE) | F(BMI1) | F(BMI2) | F(ERMS) | F(SMEP) | F(SMAP) |
			F(RDSEED) | F(ADX) | F(CLFLUSHOPT);
		*ecx &= F(UMIP) | (boot_cpu_has(X86_FEATURE_OSPKE) ? F(PKU) : 0);
		*edx = 0;
		break;
	case 5:		/* MONITOR/MWAIT */
	case 6:		/* power management */
	case 0xa:	/* performance monitoring */
	case 0xd:	/* XSAVE */
		*eax = *ebx = *ecx = *edx = 0;
		break;
	case CPUID_EXT_FEATURES:
		/* RDTSCP only where the VMCS lets the guest run it (vmx_has_rdtscp()). */
		if (!vmx_has_rdtscp())
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

	e = kvm_find_cpuid_entry_index(vcpu, leaf, index);
	if (!e)
		e = get_out_of_range_cpuid_entry(vcpu, leaf, index);
	if (e) {
		eax = e->eax;
		ebx = e->ebx;
		ecx = e->ecx;
		edx = e->edx;
	}
	kvm_register_write(vcpu, VCPU_REGS_RAX, eax);
	kvm_register_write(vcpu, VCPU_REGS_RBX, ebx);
	kvm_register_write(vcpu, VCPU_REGS_RCX, ecx);
	kvm_register_write(vcpu, VCPU_REGS_RDX, edx);
	return kvm_skip_emulated_instruction(vcpu);
}

/*
 * Where each of the kernel's CPUID feature words is in the CPUID table (asm/cpufeature.h
 * numbers them), for the words guest_cpuid_has() is asked about: KVM's reverse_cpuid[].
 */
static const struct {
	u32 function;
	u32 index;
	u8 reg;
} reverse_cpuid[] = {
	[CPUID_1_EDX]		= { 1, 0, CPUID_EDX },
	[CPUID_8000_0001_EDX]	= { CPUID_EXT_FEATURES, 0, CPUID_EDX },
	[CPUID_1_ECX]		= { 1, 0, CPUID_ECX },
	[CPUID_8000_0001_ECX]	= { CPUID_EXT_FEATURES, 0, CPUID_ECX },
	[CPUID_7_0_EBX]		= { 7, 0, CPUID_EBX },
	[CPUID_7_ECX]		= { 7, 0, CPUID_ECX },
	[CPUID_7_EDX]		= { 7, 0, CPUID_EDX },
};

/**
 * guest_cpuid_has() - whether the guest's CPUID table offers a feature
 * @vcpu: the vCPU
 * @x86_feature: X86_FEATURE_*, of a word listed in reverse_cpuid[]
 *
 * What the guest was told decides what it may use (a CR4 bit, an EFER bit, an MSR), as in
 * KVM: a vCPU without a table has no feature at all.
 */
bool guest_cpuid_has(struct kvm_vcpu *vcpu, unsigned int x86_feature)
{
	unsigned int word = x86_feature / 32;
	struct kvm_cpuid_entry2 *e;
	u32 reg;

	if (WARN_ON_ONCE(word >= ARRAY_SIZE(reverse_cpuid) || !reverse_cpuid[word].function))
		return false;
	e = kvm_find_cpuid_entry_index(vcpu, reverse_cpuid[word].function,
				       reverse_cpuid[word].index);
	if (!e)
		return false;
	switch (reverse_cpuid[word].reg) {
	case CPUID_EAX:
		reg = e->eax;
		break;
	case CPUID_EBX:
		reg = e->ebx;
		break;
	case CPUID_ECX:
		reg = e->ecx;
		break;
	default:
		reg = e->edx;
		break;
	}
	return reg & BIT(x86_feature % 32);
}

/* The guest's CPUID says it is an Intel CPU (leaf 0's vendor string). */
bool guest_cpuid_is_intel(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry_index(vcpu, 0, 0);

	return e && e->ebx == CPUID_VENDOR_INTEL_EBX && e->ecx == CPUID_VENDOR_INTEL_ECX &&
	       e->edx == CPUID_VENDOR_INTEL_EDX;
}

/* As KVM: the same entries, in the same order, the same values. */
static bool kvm_cpuid_equal(struct kvm_vcpu *vcpu, const struct kvm_cpuid_entry2 *e, u32 nent)
{
	return nent == vcpu->arch.cpuid_nent &&
	       !memcmp(e, vcpu->arch.cpuid_entries, array_size(sizeof(*e), nent));
}

/**
 * kvm_vcpu_ioctl_set_cpuid2() - KVM_SET_CPUID2
 * @vcpu: the vCPU
 * @argp: userspace's struct kvm_cpuid2
 *
 * The table replaces the previous one whole, and what minikvm derives from it (the CR4
 * bits the guest may set) follows. Once the vCPU has run, the guest has seen its CPUID and
 * may rely on it, so only the same table is taken again, as KVM 6.1 does (EINVAL).
 *
 * Return: 0 or a negative errno.
 */
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
	if (vcpu->arch.has_run) {
		bool same = kvm_cpuid_equal(vcpu, entries, cpuid.nent);

		kvfree(entries);
		return same ? 0 : kvm_refuse(-EINVAL, "KVM_SET_CPUID2: a different table after KVM_RUN");
	}
	kvfree(vcpu->arch.cpuid_entries);
	vcpu->arch.cpuid_entries = entries;
	vcpu->arch.cpuid_nent = cpuid.nent;
	vcpu_load(vcpu);
	kvm_vcpu_after_set_cpuid(vcpu);
	vcpu_put(vcpu);
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
	kvm_cpuid_mask_supported(leaf, index, &entry->eax, &entry->ebx, &entry->ecx, &entry->edx);
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

/*
 * CR4 bits a guest may set only when its CPUID offers the feature behind them (SDM 2.5):
 * without it they are reserved, as a CPU without the feature has them (KVM's
 * __cr4_reserved_bits()).
 */
static const struct {
	unsigned int feature;
	unsigned long cr4;
} cr4_cpuid_bits[] = {
	{ X86_FEATURE_SMEP,	X86_CR4_SMEP },
	{ X86_FEATURE_SMAP,	X86_CR4_SMAP },
	{ X86_FEATURE_FSGSBASE,	X86_CR4_FSGSBASE },
	{ X86_FEATURE_PKU,	X86_CR4_PKE },
	{ X86_FEATURE_UMIP,	X86_CR4_UMIP },
	{ X86_FEATURE_PCID,	X86_CR4_PCIDE },
};

/**
 * kvm_vcpu_after_set_cpuid() - derive what the guest may use from its CPUID table
 * @vcpu: the vCPU, loaded
 *
 * Called at reset (an empty table) and by KVM_SET_CPUID2: the CR4 bits reserved to the
 * guest, which also decide the CR4 bits it owns (vmx_set_cr4_guest_host_mask()), and
 * whether RDTSCP and RDPID run or #UD.
 */
void kvm_vcpu_after_set_cpuid(struct kvm_vcpu *vcpu)
{
	unsigned long rsvd = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(cr4_cpuid_bits); i++)
		if (!guest_cpuid_has(vcpu, cr4_cpuid_bits[i].feature))
			rsvd |= cr4_cpuid_bits[i].cr4;
	/* PKRU is switched with the host's own protection keys only (vmenter.c). */
	if (!boot_cpu_has(X86_FEATURE_OSPKE))
		rsvd |= X86_CR4_PKE;
	vcpu->arch.cr4_guest_rsvd_bits = rsvd;
	vmx_set_cr4_guest_host_mask(vcpu);
	vmx_set_rdtscp(vcpu, guest_cpuid_has(vcpu, X86_FEATURE_RDTSCP) ||
			     guest_cpuid_has(vcpu, X86_FEATURE_RDPID));
}
