// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 translation tables, with the 4 KiB granule: each VM's stage 2, the
 * guest-physical (IPA) to host-physical tables, filled one page at a time on stage-2
 * aborts from the core's memslots and emptied when a slot goes away or the VM dies; and,
 * in nVHE, EL2's own stage 1, an identity map of the pages the EL2 code touches.
 *
 * Descriptor formats: Arm ARM DDI 0487F.c, D5.3 "VMSAv8-64 translation table format
 * descriptors"; stage-2 attributes: D5.5 "Memory region attributes".
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/kvm.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <asm/cpufeature.h>
#include <asm/esr.h>
#include <asm/kvm_arm.h>

#include <minikvm/kvm_host.h>

#include "arm.h"

/*
 * A valid descriptor; with S2_PTE_TABLE, a table (levels 0-2) or a page (level 3). Table
 * descriptors are the same in both stages.
 */
#define S2_PTE_VALID		BIT_ULL(0)
#define S2_PTE_TABLE		BIT_ULL(1)
#define S2_PTE_ADDR_MASK	GENMASK_ULL(47, 12)
/*
 * MemAttr[3:0] = 0b1111: Normal memory, Inner and Outer Write-Back cacheable, combined with
 * stage 1's as the stricter of the two. With HCR_EL2.FWB (FEAT_S2FWB), 0b0110: Normal
 * Write-Back, whatever stage 1 says.
 */
#define S2_PTE_MEMATTR_NORMAL	(0xfULL << 2)
#define S2_PTE_MEMATTR_FWB_WB	(0x6ULL << 2)
/* S2AP[1:0], bits [7:6]: read and write access from EL1 and EL0. */
#define S2_PTE_S2AP_R		BIT_ULL(6)
#define S2_PTE_S2AP_W		BIT_ULL(7)
#define S2_PTE_SH_INNER		(3ULL << 8)
/* The Access Flag, set: no Access flag fault on first use. */
#define S2_PTE_AF		BIT_ULL(10)

#define S2_PTRS_PER_TABLE	(PAGE_SIZE / sizeof(u64))
#define S2_LAST_LEVEL		3
/* The IPA bits each level translates: level 3 maps 4 KiB, level 0 512 GiB. */
#define S2_LEVEL_SHIFT(level)	(PAGE_SHIFT + 9 * (S2_LAST_LEVEL - (level)))

/* The smallest IPA space KVM_VM_TYPE_ARM_IPA_SIZE may ask for, as in KVM. */
#define KVM_PHYS_SHIFT_MIN	32
/* IPA sizes beyond 48 bits need FEAT_LPA's 52-bit descriptors, which minikvm lacks. */
#define KVM_PHYS_SHIFT_MAX	48
/*
 * A table of 512 entries at level 1 covers 39 bits: bigger IPA spaces start the walk at
 * level 0 (VTCR_EL2.SL0, D13.2.148: 0b10 = level 0, 0b01 = level 1 for 4 KiB granules).
 */
#define S2_LEVEL1_MAX_BITS	39
#define VTCR_EL2_SL0_LEVEL(level)	((2UL - (level)) << VTCR_EL2_SL0_SHIFT)

/*
 * EL2's stage 1: MAIR_EL2 attribute 0 is Normal Write-Back (the kernel's memory type), a
 * page descriptor's AttrIndx (bits [4:2]) 0 names it. AP[2:1] = 0: read/write at EL2.
 */
#define HYP_MAIR_NORMAL		0xffULL
#define HYP_PTE_XN		BIT_ULL(54)
/* TCR_EL2 (E2H clear, D13.2.126): walks cacheable inner shareable, as for stage 2. */
#define HYP_TCR_IRGN0_WBWA	(1ULL << 8)
#define HYP_TCR_ORGN0_WBWA	(1ULL << 10)
#define HYP_TCR_SH0_INNER	(3ULL << 12)

static u64 *hyp_pgd;
static int hyp_start_level;
static u32 hyp_va_bits;
static DEFINE_MUTEX(hyp_pgd_lock);

/* The largest IPA space the CPUs' physical address size (ID_AA64MMFR0_EL1.PARange) allows. */
u32 kvm_ipa_limit(void)
{
	u64 mmfr0 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR0_EL1);
	int parange = cpuid_feature_extract_unsigned_field(mmfr0,
							   ID_AA64MMFR0_EL1_PARANGE_SHIFT);

	return min_t(u32, id_aa64mmfr0_parange_to_phys_shift(parange), KVM_PHYS_SHIFT_MAX);
}

/* The CPUs' PARange, capped at 48 bits: VTCR_EL2.PS and TCR_EL2.PS. */
static u64 kvm_parange(void)
{
	u64 mmfr0 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR0_EL1);
	u64 parange = cpuid_feature_extract_unsigned_field(mmfr0,
							   ID_AA64MMFR0_EL1_PARANGE_SHIFT);

	return min_t(u64, parange, ID_AA64MMFR0_EL1_PARANGE_48);
}

/**
 * kvm_init_stage2_mmu() - a VM's empty stage 2 and VTCR_EL2; its VMID comes when a vCPU
 *	first runs (vmid.c)
 * @kvm: the VM
 * @type: KVM_CREATE_VM's type: 0, or KVM_VM_TYPE_ARM_IPA_SIZE(bits)
 *
 * Returns 0, -EINVAL for a type KVM refuses too, or -ENOMEM.
 */
int kvm_init_stage2_mmu(struct kvm *kvm, unsigned long type)
{
	u32 ipa_bits = KVM_VM_TYPE_ARM_IPA_SIZE(type);

	if (type & ~KVM_VM_TYPE_ARM_IPA_SIZE_MASK)
		return kvm_refuse(-EINVAL, "KVM_CREATE_VM: unknown type bits 0x%llx",
				  type & ~KVM_VM_TYPE_ARM_IPA_SIZE_MASK);
	if (!ipa_bits)
		ipa_bits = KVM_PHYS_SHIFT_DEFAULT;
	else if (ipa_bits < KVM_PHYS_SHIFT_MIN || ipa_bits > kvm_ipa_limit())
		return kvm_refuse(-EINVAL, "KVM_CREATE_VM: IPA size %u not in %d..%u", ipa_bits,
				  KVM_PHYS_SHIFT_MIN, kvm_ipa_limit());

	kvm->arch.pgd = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!kvm->arch.pgd)
		return -ENOMEM;

	mutex_init(&kvm->arch.mmu_lock);
	kvm->arch.ipa_bits = ipa_bits;
	kvm->arch.start_level = ipa_bits > S2_LEVEL1_MAX_BITS ? 0 : 1;
	atomic64_set(&kvm->arch.vmid.id, 0);
	/* Table walks cacheable and inner shareable, as the kernel writes the tables. */
	kvm->arch.vtcr = VTCR_EL2_RES1 | VTCR_EL2_SH0_INNER | VTCR_EL2_ORGN0_WBWA |
			 VTCR_EL2_IRGN0_WBWA | VTCR_EL2_TG0_4K | kvm_parange() << VTCR_EL2_PS_SHIFT |
			 VTCR_EL2_SL0_LEVEL(kvm->arch.start_level) | (64 - ipa_bits) |
			 (kvm_arm_vmid_bits() == 16 ? VTCR_EL2_VS_16BIT : 0);
	return 0;
}

/* VTTBR_EL2 for the VM's stage 2 with VMID @vmid (vmid.c: generation above the tag). */
u64 kvm_get_vttbr(struct kvm *kvm, u64 vmid)
{
	return virt_to_phys(kvm->arch.pgd) |
	       (vmid & GENMASK_ULL(kvm_arm_vmid_bits() - 1, 0)) << VTTBR_VMID_SHIFT;
}

static unsigned int stage2_index(gpa_t ipa, int level)
{
	return (ipa >> S2_LEVEL_SHIFT(level)) & (S2_PTRS_PER_TABLE - 1);
}

static u64 *stage2_table(u64 pte)
{
	return phys_to_virt(pte & S2_PTE_ADDR_MASK);
}

/*
 * The level-3 descriptor for @addr in the tables at @pgd, walked from @start_level,
 * creating the tables on the way; under the tables' lock.
 */
static u64 *pgtable_get_pte(u64 *pgd, int start_level, u64 addr)
{
	u64 *table = pgd;
	int level;

	for (level = start_level; level < S2_LAST_LEVEL; level++) {
		u64 *ptep = &table[stage2_index(addr, level)];
		u64 *next;

		if (!(*ptep & S2_PTE_VALID)) {
			next = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
			if (!next)
				return NULL;
			/* The walker must see the zeroed table before the entry pointing to it. */
			dsb(ishst);
			WRITE_ONCE(*ptep, virt_to_phys(next) | S2_PTE_TABLE | S2_PTE_VALID);
		}
		table = stage2_table(*ptep);
	}
	return &table[stage2_index(addr, S2_LAST_LEVEL)];
}

static u64 *stage2_get_pte(struct kvm *kvm, gpa_t ipa)
{
	return pgtable_get_pte(kvm->arch.pgd, kvm->arch.start_level, ipa);
}

/*
 * Maps @page at @ipa. Returns 0, -EEXIST when another vCPU mapped it first (the caller
 * keeps no second pin), or -ENOMEM.
 */
static int stage2_map_page(struct kvm *kvm, gpa_t ipa, struct page *page, bool writable)
{
	u64 *ptep;
	int r = 0;

	mutex_lock(&kvm->arch.mmu_lock);
	ptep = stage2_get_pte(kvm, ipa);
	if (!ptep) {
		r = -ENOMEM;
		goto out;
	}
	if (*ptep & S2_PTE_VALID) {
		r = -EEXIST;
		goto out;
	}
	/*
	 * A guest with its MMU off reads memory non-cacheable: what the host wrote through
	 * its cache must be in memory first, unless stage 2 forces Write-Back (FWB: the
	 * guest then reads through the caches too, and KVM skips the cleaning as well). No
	 * stale instruction may stay cached either way.
	 */
	if (!kvm_stage2_fwb())
		kvm_flush_dcache_to_poc(page_address(page), PAGE_SIZE);
	kvm_flush_icache();
	WRITE_ONCE(*ptep, page_to_phys(page) | S2_PTE_VALID | S2_PTE_TABLE | S2_PTE_AF |
			  S2_PTE_SH_INNER | S2_PTE_S2AP_R | (writable ? S2_PTE_S2AP_W : 0) |
			  (kvm_stage2_fwb() ? S2_PTE_MEMATTR_FWB_WB : S2_PTE_MEMATTR_NORMAL));
	dsb(ishst);
out:
	mutex_unlock(&kvm->arch.mmu_lock);
	return r;
}

typedef void (*stage2_leaf_fn)(struct kvm *kvm, u64 *ptep);

/* Calls @fn on each level-3 descriptor holding an address in [@start, @end). */
static void stage2_walk_range(struct kvm *kvm, u64 *table, int level, gpa_t start, gpa_t end,
			      stage2_leaf_fn fn)
{
	u64 size = 1ULL << S2_LEVEL_SHIFT(level);
	gpa_t addr, next;

	for (addr = start; addr < end; addr = next) {
		u64 *ptep = &table[stage2_index(addr, level)];

		next = min(ALIGN_DOWN(addr, size) + size, end);
		if (level == S2_LAST_LEVEL) {
			if (*ptep & S2_PTE_ADDR_MASK)
				fn(kvm, ptep);
		} else if (*ptep & S2_PTE_VALID) {
			stage2_walk_range(kvm, stage2_table(*ptep), level + 1, addr, next, fn);
		}
	}
}

/* A mapped page, cleaned and invalidated to the point of coherency. */
static void stage2_flush_leaf(struct kvm *kvm, u64 *ptep)
{
	if (*ptep & S2_PTE_VALID)
		kvm_flush_dcache_to_poc(phys_to_virt(*ptep & S2_PTE_ADDR_MASK), PAGE_SIZE);
}

/**
 * stage2_flush_vm() - clean and invalidate every page the VM has mapped to the PoC, as
 *	KVM's for a guest's set/way cache maintenance (sys_regs.c)
 * @kvm: the VM
 */
void stage2_flush_vm(struct kvm *kvm)
{
	mutex_lock(&kvm->arch.mmu_lock);
	stage2_walk_range(kvm, kvm->arch.pgd, kvm->arch.start_level, 0,
			  1ULL << kvm->arch.ipa_bits, stage2_flush_leaf);
	mutex_unlock(&kvm->arch.mmu_lock);
}

/* First pass of an unmap: invalid for the walker, address kept for the second pass. */
static void stage2_invalidate_leaf(struct kvm *kvm, u64 *ptep)
{
	WRITE_ONCE(*ptep, *ptep & ~S2_PTE_VALID);
}

/* Second pass, after the TLB invalidation: no CPU can reach the page any more. */
static void stage2_release_leaf(struct kvm *kvm, u64 *ptep)
{
	kvm_unpin_guest_page(kvm, phys_to_page(*ptep & S2_PTE_ADDR_MASK));
	WRITE_ONCE(*ptep, 0);
}

/*
 * Unmaps [@start, @end) and unpins its pages. A page is unpinned only once the VM's TLB
 * entries are gone, so that no vCPU can write to it after it goes back to its owner.
 */
static void stage2_unmap_range(struct kvm *kvm, gpa_t start, gpa_t end)
{
	int level = kvm->arch.start_level;

	mutex_lock(&kvm->arch.mmu_lock);
	stage2_walk_range(kvm, kvm->arch.pgd, level, start, end, stage2_invalidate_leaf);
	kvm_tlb_flush_vmid(kvm);
	stage2_walk_range(kvm, kvm->arch.pgd, level, start, end, stage2_release_leaf);
	mutex_unlock(&kvm->arch.mmu_lock);
}

void kvm_arch_flush_shadow_memslot(struct kvm *kvm, const struct kvm_memory_slot *slot)
{
	stage2_unmap_range(kvm, slot->base_gfn << PAGE_SHIFT,
			   (slot->base_gfn + slot->npages) << PAGE_SHIFT);
}

/* Frees a table and the tables below it (not the pages its leaves map). */
static void pgtable_free(u64 *table, int level)
{
	unsigned int i;

	if (level < S2_LAST_LEVEL)
		for (i = 0; i < S2_PTRS_PER_TABLE; i++)
			if (table[i] & S2_PTE_VALID)
				pgtable_free(stage2_table(table[i]), level + 1);
	free_page((unsigned long)table);
}

/**
 * kvm_free_stage2_pgd() - unmap and unpin everything, free the tables
 * @kvm: a VM whose vCPUs are gone
 *
 * The VMID's tag stays taken until the next rollover, as in KVM.
 */
void kvm_free_stage2_pgd(struct kvm *kvm)
{
	if (!kvm->arch.pgd)
		return;
	/* Also clears the VMID's TLB entries before another VM may get its tag. */
	stage2_unmap_range(kvm, 0, 1ULL << kvm->arch.ipa_bits);
	pgtable_free(kvm->arch.pgd, kvm->arch.start_level);
	kvm->arch.pgd = NULL;
}

/**
 * kvm_hyp_init_pgtable() - nVHE: EL2's empty stage 1, wide enough for any physical address
 *
 * The input size is the CPUs' physical address size (at most 48 bits), so that an
 * identity map can hold every page; 4 KiB granule, walks from level 0 above 39 bits.
 * Returns 0 or -ENOMEM.
 */
int kvm_hyp_init_pgtable(void)
{
	hyp_va_bits = id_aa64mmfr0_parange_to_phys_shift(kvm_parange());
	hyp_start_level = hyp_va_bits > S2_LEVEL1_MAX_BITS ? 0 : 1;
	hyp_pgd = (u64 *)get_zeroed_page(GFP_KERNEL);
	return hyp_pgd ? 0 : -ENOMEM;
}

/** kvm_hyp_free_pgtable() - free EL2's tables, once no CPU runs EL2 with them. */
void kvm_hyp_free_pgtable(void)
{
	if (!hyp_pgd)
		return;
	pgtable_free(hyp_pgd, hyp_start_level);
	hyp_pgd = NULL;
}

/**
 * kvm_hyp_map() - nVHE: map physical pages at EL2, at their own address
 * @start: physical address of the first byte
 * @size: bytes
 * @exec: code (else execute-never)
 *
 * Normal cacheable memory, inner shareable, as the kernel's linear map has it: EL1 and
 * EL2 share the data through the caches. An identity mapping never changes, so a page is
 * mapped once and stays (a page freed and reused for another vCPU maps the same), and
 * adding it needs no TLB invalidation. Returns 0 or -ENOMEM.
 */
int kvm_hyp_map(phys_addr_t start, size_t size, bool exec)
{
	phys_addr_t pa;
	u64 *ptep;
	int r = 0;

	mutex_lock(&hyp_pgd_lock);
	for (pa = ALIGN_DOWN(start, PAGE_SIZE); pa < start + size; pa += PAGE_SIZE) {
		ptep = pgtable_get_pte(hyp_pgd, hyp_start_level, pa);
		if (!ptep) {
			r = -ENOMEM;
			break;
		}
		if (!(*ptep & S2_PTE_VALID))
			WRITE_ONCE(*ptep, pa | S2_PTE_VALID | S2_PTE_TABLE | S2_PTE_AF |
					  S2_PTE_SH_INNER | (exec ? 0 : HYP_PTE_XN));
	}
	/* Seen by EL2's walks before the hyp call that uses the pages. */
	dsb(ishst);
	mutex_unlock(&hyp_pgd_lock);
	return r;
}

u64 kvm_hyp_ttbr0(void)
{
	return virt_to_phys(hyp_pgd);
}

u64 kvm_hyp_tcr(void)
{
	return TCR_EL2_RES1 | HYP_TCR_SH0_INNER | HYP_TCR_ORGN0_WBWA | HYP_TCR_IRGN0_WBWA |
	       kvm_parange() << TCR_EL2_PS_SHIFT | (64 - hyp_va_bits);
}

u64 kvm_hyp_mair(void)
{
	return HYP_MAIR_NORMAL;
}

/*
 * DFSC/IFSC of a synchronous external abort, or of an ECC error, on the access itself or
 * on one of its stage-1 table walks (levels -1 to 3): 0x10, 0x13-0x17, 0x18, 0x1b-0x1f.
 */
#define DFSC_SEA			0x10
#define DFSC_SEA_TTW_FIRST	0x13
#define DFSC_SEA_TTW_LAST	0x17
#define DFSC_SECC		0x18
#define DFSC_SECC_TTW_FIRST	0x1b
#define DFSC_SECC_TTW_LAST	0x1f

static bool fsc_is_sea(u64 esr)
{
	u64 fsc = esr & ESR_ELx_FSC;

	return fsc == DFSC_SEA || fsc == DFSC_SECC ||
	       (fsc >= DFSC_SEA_TTW_FIRST && fsc <= DFSC_SEA_TTW_LAST) ||
	       (fsc >= DFSC_SECC_TTW_FIRST && fsc <= DFSC_SECC_TTW_LAST);
}

/* Maps the page of a memslot the guest touched. Returns 1 to re-enter, or an errno. */
static int user_mem_abort(struct kvm_vcpu *vcpu, gpa_t ipa, struct kvm_memory_slot *slot)
{
	struct kvm *kvm = vcpu->kvm;
	struct page *page;
	int r;

	page = kvm_pin_guest_page(kvm, slot, ipa >> PAGE_SHIFT);
	if (IS_ERR(page)) {
		pr_err_ratelimited("guest IPA 0x%llx: its memslot's memory is not mapped\n", ipa);
		return PTR_ERR(page);
	}
	r = stage2_map_page(kvm, ipa, page, !(slot->flags & KVM_MEM_READONLY));
	if (r)
		kvm_unpin_guest_page(kvm, page);
	return r == -EEXIST ? 1 : r ?: 1;
}

/**
 * kvm_handle_guest_abort() - a stage-2 data or instruction abort (ESR_EL2.EC DABT_LOW,
 *	IABT_LOW)
 * @vcpu: the vCPU
 *
 * An access to a memslot gets its page mapped; any other data access, and a write to a
 * read-only slot, is MMIO (D13.2.39: HPFAR_EL2 holds the IPA's page, FAR_EL2 its offset;
 * for a permission fault, the exit path translated FAR_EL2 instead, hyp/switch.S). A
 * synchronous external abort (HCR_EL2.TEA) becomes an SError for the guest, as in KVM
 * without firmware-first error handling. Returns >0 to re-enter, 0 for userspace, <0 on
 * error.
 */
int kvm_handle_guest_abort(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_hyp *hyp = &vcpu->arch.hyp;
	u64 esr = hyp->esr_el2;
	bool is_iabt = ESR_ELx_EC(esr) == ESR_ELx_EC_IABT_LOW;
	bool s1ptw = esr & ESR_ELx_S1PTW;
	/* A stage-1 walk may write (Access flag updates): treat it as a write, as KVM. */
	bool write = !is_iabt && (s1ptw || ((esr & ESR_ELx_WNR) && !(esr & ESR_ELx_CM)));
	u64 fsc = esr & ESR_ELx_FSC_TYPE;
	gpa_t ipa = (hyp->hpfar_el2 & HPFAR_MASK) << 8;
	struct kvm_memory_slot *slot;
	int idx, r;

	if (fsc_is_sea(esr)) {
		kvm_inject_vabt(vcpu);
		return 1;
	}
	/* The guest changed its stage 1 before the exit path could translate: retry. */
	if (hyp->hpfar_el2 == HYP_HPFAR_INVALID)
		return 1;
	if (fsc != ESR_ELx_FSC_FAULT && fsc != ESR_ELx_FSC_PERM) {
		pr_err_ratelimited("unexpected stage-2 abort: ESR_EL2 0x%llx IPA 0x%llx\n", esr,
				   ipa);
		return -EFAULT;
	}

	idx = srcu_read_lock(&vcpu->kvm->srcu);
	slot = gfn_to_memslot(vcpu->kvm, ipa >> PAGE_SHIFT);
	if (slot && !(write && (slot->flags & KVM_MEM_READONLY))) {
		r = user_mem_abort(vcpu, ipa, slot);
	} else if (is_iabt || s1ptw) {
		pr_err_ratelimited("guest %s at IPA 0x%llx outside memory, PC 0x%llx\n",
				   is_iabt ? "instruction fetch" : "page-table walk", ipa,
				   *vcpu_pc(vcpu));
		r = -EFAULT;
	} else {
		r = io_mem_abort(vcpu, ipa | (hyp->far_el2 & ~PAGE_MASK));
	}
	srcu_read_unlock(&vcpu->kvm->srcu, idx);
	return r;
}
