// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest memory on x86: the VM's EPT tables (SDM 29.3 "The extended page-table mechanism"),
 * filled one 4 KiB page at a time on EPT violations from the core's memslots, and emptied
 * when a slot goes away or the VM dies. What KVM's mmu/ does, without large pages, access
 * tracking or shadow paging: every guest page is a pinned host page, mapped once.
 *
 * A leaf taken away keeps its frame number with its R/W/X bits cleared: the CPU ignores
 * every other bit of an entry whose bits 2:0 are 0 (SDM 29.3.2), so the page can be
 * unpinned after INVEPT, once no CPU can still reach it through a cached translation.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/smp.h>
#include <linux/srcu.h>
#include <asm/asm.h>
#include <asm/mtrr.h>
#include <asm/vmx.h>

#include <minikvm/kvm_host.h>

#include "vmx.h"

#define EPT_LEVELS		4
#define EPT_ENTRIES		512
#define EPT_LEVEL_SHIFT(level)	(PAGE_SHIFT + 9 * ((level) - 1))
#define EPT_INDEX(gpa, level)	(((gpa) >> EPT_LEVEL_SHIFT(level)) & (EPT_ENTRIES - 1))
/* Bits 51:12 of an entry address the next table or the page (SDM Table 29-2 to 29-6). */
#define EPT_PFN_MASK		GENMASK_ULL(51, PAGE_SHIFT)

/* An entry pointing to a table allows everything: the leaf alone decides (SDM 29.3.3). */
#define EPT_TABLE_PROT		VMX_EPT_RWX_MASK

/*
 * Guest RAM is write-back whatever the guest's PAT says (ignore-PAT, SDM 29.3.7): it is
 * ordinary host memory, which the host maps write-back too.
 */
#define EPT_LEAF_MEMTYPE	((MTRR_TYPE_WRBACK << VMX_EPT_MT_EPTE_SHIFT) | VMX_EPT_IPAT_BIT)

/* Exit qualification of an EPT violation (SDM Table 28-7): the access that faulted. */
#define EPT_VIOLATION_WRITE	BIT(1)

static bool ept_present(u64 entry)
{
	return entry & VMX_EPT_RWX_MASK;
}

static u64 *ept_table(u64 entry)
{
	return __va(entry & EPT_PFN_MASK);
}

/*
 * INVEPT (SDM 30.3 "INVEPT"): drop every guest-physical and combined translation of the
 * EPT tables @eptp names from this CPU's TLBs, for one context if the CPU can, else for
 * all. A CPU not in VMX operation has none and #UDs: the fault is expected, and ignored.
 */
void ept_sync_context(u64 eptp)
{
	struct {
		u64 eptp;
		u64 reserved;
	} desc = { eptp, 0 };
	unsigned long type = vmx_ept_caps() & VMX_EPT_EXTENT_CONTEXT_BIT ?
			     VMX_EPT_EXTENT_CONTEXT : VMX_EPT_EXTENT_GLOBAL;

	asm goto("1: invept %[desc], %[type]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory" : fault);
fault:
	return;
}

static void ept_sync_context_ipi(void *eptp)
{
	ept_sync_context(*(u64 *)eptp);
}

/* Every CPU may have run one of the VM's vCPUs, and cached its translations. */
static void kvm_flush_remote_tlbs(struct kvm *kvm)
{
	on_each_cpu(ept_sync_context_ipi, &kvm->arch.eptp, 1);
	atomic64_inc(&kvm->stat.remote_tlb_flush);
}

int kvm_mmu_init_vm(struct kvm *kvm)
{
	mutex_init(&kvm->arch.mmu_lock);
	kvm->arch.ept_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!kvm->arch.ept_root)
		return -ENOMEM;
	/* Write-back tables, 4-level walk, no accessed/dirty flags (SDM 25.6.11). */
	kvm->arch.eptp = __pa(kvm->arch.ept_root) | VMX_EPTP_MT_WB | VMX_EPTP_PWL_4;
	return 0;
}

/* The leaf entry of @gpa, with the tables on the way allocated if @alloc; or NULL. */
static u64 *ept_walk(struct kvm *kvm, gpa_t gpa, bool alloc)
{
	u64 *table = kvm->arch.ept_root;
	int level;

	lockdep_assert_held(&kvm->arch.mmu_lock);
	for (level = EPT_LEVELS; level > 1; level--) {
		u64 *entry = &table[EPT_INDEX(gpa, level)];

		if (!ept_present(*entry)) {
			unsigned long next;

			if (!alloc)
				return NULL;
			next = get_zeroed_page(GFP_KERNEL_ACCOUNT);
			if (!next)
				return NULL;
			WRITE_ONCE(*entry, __pa(next) | EPT_TABLE_PROT);
		}
		table = ept_table(*entry);
	}
	return &table[EPT_INDEX(gpa, 1)];
}

/**
 * kvm_mmu_page_fault() - an EPT violation
 * @vcpu: the vCPU that took it
 * @gpa: the guest-physical address accessed
 * @qualification: the exit qualification, which says the kind of access
 *
 * Maps the page of a memslot holding @gpa. An address in no slot, or a write to a
 * read-only slot, is MMIO (emulate.c).
 *
 * Return: 1 to re-enter the guest, 0 for userspace, or -EFAULT when the slot's memory is
 * not mapped in the VM owner's address space (as KVM's KVM_RUN).
 */
int kvm_mmu_page_fault(struct kvm_vcpu *vcpu, gpa_t gpa, unsigned long qualification)
{
	bool write = qualification & EPT_VIOLATION_WRITE;
	struct kvm *kvm = vcpu->kvm;
	struct kvm_memory_slot *slot;
	gfn_t gfn = gpa >> PAGE_SHIFT;
	struct page *page;
	u64 *sptep;
	int idx, r;

	idx = srcu_read_lock(&kvm->srcu);
	slot = gfn_to_memslot(kvm, gfn);
	/* No slot, or a store to a read-only one: MMIO, as KVM_CAP_READONLY_MEM says. */
	if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
		srcu_read_unlock(&kvm->srcu, idx);
		return kvm_emulate_mmio(vcpu, gpa);
	}
	page = kvm_pin_guest_page(kvm, slot, gfn);
	if (IS_ERR(page)) {
		pr_info_ratelimited("vcpu %u: guest page 0x%llx not mapped by its slot %u\n",
				    vcpu->vcpu_id, gpa, slot->id);
		r = PTR_ERR(page);
		goto out_unlock_srcu;
	}

	mutex_lock(&kvm->arch.mmu_lock);
	sptep = ept_walk(kvm, gpa, true);
	r = -ENOMEM;
	if (!sptep)
		goto out_unpin;
	r = 1;
	/* Another vCPU of the VM mapped it first: its page stays, ours goes back. */
	if (ept_present(*sptep))
		goto out_unpin;
	/*
	 * A frame left by a flush that has not released it yet cannot be here: flushes run
	 * under mmu_lock from start to end.
	 */
	WRITE_ONCE(*sptep, page_to_phys(page) | EPT_LEAF_MEMTYPE | VMX_EPT_READABLE_MASK |
		   VMX_EPT_EXECUTABLE_MASK |
		   (slot->flags & KVM_MEM_READONLY ? 0 : VMX_EPT_WRITABLE_MASK));
	mutex_unlock(&kvm->arch.mmu_lock);
	srcu_read_unlock(&kvm->srcu, idx);
	return 1;

out_unpin:
	mutex_unlock(&kvm->arch.mmu_lock);
	kvm_unpin_guest_page(kvm, page);
out_unlock_srcu:
	srcu_read_unlock(&kvm->srcu, idx);
	return r;
}

enum ept_walk_op {
	EPT_ZAP,		/* clear R/W/X of the leaves, keep their frames */
	EPT_RELEASE,		/* unpin the frames of zapped leaves */
	EPT_RELEASE_FREE,	/* and free the tables below the root */
};

/*
 * Applies @op to the leaves of @table (at @level, mapping from @base) that map
 * [@start, @end), visiting only tables that exist: a 4 GiB slot the guest never touched
 * costs a few entries, not a million.
 */
static void ept_walk_range(struct kvm *kvm, u64 *table, int level, gpa_t base, gpa_t start,
			   gpa_t end, enum ept_walk_op op)
{
	u64 size = 1ULL << EPT_LEVEL_SHIFT(level);
	int i;

	for (i = 0; i < EPT_ENTRIES; i++) {
		gpa_t gpa = base + i * size;
		u64 *entry = &table[i];

		if (gpa + size <= start || gpa >= end)
			continue;
		if (level > 1) {
			if (!ept_present(*entry))
				continue;
			ept_walk_range(kvm, ept_table(*entry), level - 1, gpa, start, end, op);
			if (op == EPT_RELEASE_FREE) {
				free_page((unsigned long)ept_table(*entry));
				*entry = 0;
			}
			continue;
		}
		if (op == EPT_ZAP) {
			WRITE_ONCE(*entry, *entry & ~VMX_EPT_RWX_MASK);
		} else if (*entry & EPT_PFN_MASK) {
			kvm_unpin_guest_page(kvm, pfn_to_page((*entry & EPT_PFN_MASK) >>
							      PAGE_SHIFT));
			*entry = 0;
		}
	}
}

/* Unmaps [@start, @end), invalidates every CPU's translations, then unpins the pages. */
static void kvm_unmap_gfn_range(struct kvm *kvm, gpa_t start, gpa_t end, bool free_tables)
{
	mutex_lock(&kvm->arch.mmu_lock);
	ept_walk_range(kvm, kvm->arch.ept_root, EPT_LEVELS, 0, start, end, EPT_ZAP);
	kvm_flush_remote_tlbs(kvm);
	ept_walk_range(kvm, kvm->arch.ept_root, EPT_LEVELS, 0, start, end,
		       free_tables ? EPT_RELEASE_FREE : EPT_RELEASE);
	mutex_unlock(&kvm->arch.mmu_lock);
}

void kvm_arch_flush_shadow_memslot(struct kvm *kvm, const struct kvm_memory_slot *slot)
{
	gpa_t start = slot->base_gfn << PAGE_SHIFT;

	kvm_unmap_gfn_range(kvm, start, start + ((gpa_t)slot->npages << PAGE_SHIFT), false);
}

/* Every vCPU is gone: no CPU runs these tables any more, but some may cache them. */
void kvm_mmu_destroy_vm(struct kvm *kvm)
{
	if (!kvm->arch.ept_root)
		return;
	kvm_unmap_gfn_range(kvm, 0, 1ULL << (EPT_LEVEL_SHIFT(EPT_LEVELS) + 9), true);
	free_page((unsigned long)kvm->arch.ept_root);
	kvm->arch.ept_root = NULL;
}
