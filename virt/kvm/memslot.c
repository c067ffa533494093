// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory slots: KVM_SET_USER_MEMORY_REGION, with KVM's checks and errnos.
 *
 * A slot only records where guest memory lives in the VM owner's address space: nothing is
 * allocated or pinned here, so a slot of any size is created in constant time and memory.
 * The backends' fault paths bring pages in one at a time (kvm_pin_guest_page()), and give
 * them back when a slot is deleted or moved (kvm_arch_flush_shadow_memslot()) or the VM dies.
 *
 * Pages stay pinned while mapped for the guest: minikvm has no MMU notifier, so if the VM
 * owner unmaps or remaps a slot's memory under a running guest, the guest keeps the old
 * pages until the slot changes. The host's memory is never at risk, only coherence.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <minikvm/kvm_host.h>

/* KVM's limit for one slot: its page count must fit a signed 32-bit int. */
#define KVM_MEM_MAX_NR_PAGES	((1UL << 31) - 1)

int kvm_init_memslots(struct kvm *kvm)
{
	struct kvm_memslots *slots = kzalloc(sizeof(*slots), GFP_KERNEL_ACCOUNT);

	if (!slots)
		return -ENOMEM;
	RCU_INIT_POINTER(kvm->memslots, slots);
	return 0;
}

/*
 * At VM destruction: no fd, hence no reader, is left; the arch has already dropped its
 * mappings and pins in kvm_arch_destroy_vm().
 */
void kvm_free_memslots(struct kvm *kvm)
{
	kfree(rcu_dereference_protected(kvm->memslots, true));
}

struct kvm_memory_slot *gfn_to_memslot(struct kvm *kvm, gfn_t gfn)
{
	struct kvm_memslots *slots = srcu_dereference(kvm->memslots, &kvm->srcu);
	int i;

	for (i = 0; i < slots->used; i++) {
		struct kvm_memory_slot *s = &slots->slots[i];

		if (gfn >= s->base_gfn && gfn < s->base_gfn + s->npages)
			return s;
	}
	return NULL;
}

static unsigned long gfn_to_hva(const struct kvm_memory_slot *slot, gfn_t gfn)
{
	return slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
}

struct page *kvm_pin_guest_page(struct kvm *kvm, const struct kvm_memory_slot *slot, gfn_t gfn)
{
	/*
	 * FOLL_WRITE on a writable slot breaks copy-on-write now, so that what the guest
	 * writes is what the VM owner reads. FOLL_LONGTERM: the pin lasts as long as the slot,
	 * so the page must not sit in a movable zone or CMA. The _fast variant, as 6.1's
	 * pin_user_pages_unlocked() refuses FOLL_LONGTERM with a WARN and -EINVAL.
	 */
	unsigned int flags = FOLL_LONGTERM;
	struct page *page;
	long n;

	if (!(slot->flags & KVM_MEM_READONLY))
		flags |= FOLL_WRITE;
	n = pin_user_pages_fast(gfn_to_hva(slot, gfn), 1, flags, &page);
	if (n != 1)
		return ERR_PTR(n < 0 ? n : -EFAULT);
	atomic64_inc(&kvm->stat.pages_pinned);
	return page;
}

void kvm_unpin_guest_page(struct kvm *kvm, struct page *page)
{
	atomic64_dec(&kvm->stat.pages_pinned);
	unpin_user_page(page);
}

/* One copy per slot crossed; @write picks the direction. */
static int kvm_access_guest(struct kvm *kvm, gpa_t gpa, void *data, unsigned long len,
			    bool write)
{
	int idx = srcu_read_lock(&kvm->srcu);
	int r = 0;

	while (len) {
		struct kvm_memory_slot *slot = gfn_to_memslot(kvm, gpa >> PAGE_SHIFT);
		unsigned long hva, n;

		if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
			r = -EFAULT;
			break;
		}
		hva = gfn_to_hva(slot, gpa >> PAGE_SHIFT) + offset_in_page(gpa);
		n = min(len, slot->userspace_addr + (slot->npages << PAGE_SHIFT) - hva);
		if (write ? copy_to_user((void __user *)hva, data, n) :
			    copy_from_user(data, (void __user *)hva, n)) {
			r = -EFAULT;
			break;
		}
		gpa += n;
		data += n;
		len -= n;
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return r;
}

int kvm_read_guest(struct kvm *kvm, gpa_t gpa, void *data, unsigned long len)
{
	return kvm_access_guest(kvm, gpa, data, len, false);
}

int kvm_write_guest(struct kvm *kvm, gpa_t gpa, const void *data, unsigned long len)
{
	return kvm_access_guest(kvm, gpa, (void *)data, len, true);
}

static struct kvm_memory_slot *id_to_memslot(struct kvm_memslots *slots, u16 id)
{
	int i;

	for (i = 0; i < slots->used; i++)
		if (slots->slots[i].id == id)
			return &slots->slots[i];
	return NULL;
}

/* Whether [start, end) meets a slot other than @id. */
static bool kvm_check_memslot_overlap(struct kvm_memslots *slots, u16 id, gfn_t start,
				      gfn_t end)
{
	int i;

	for (i = 0; i < slots->used; i++) {
		struct kvm_memory_slot *s = &slots->slots[i];

		if (s->id != id && start < s->base_gfn + s->npages && s->base_gfn < end)
			return true;
	}
	return false;
}

/* The checks KVM makes before looking at the existing slots, with its errnos. */
static int check_memory_region(const struct kvm_userspace_memory_region *mem)
{
	/* Dirty logging is not implemented: refuse it rather than log nothing. */
	if (mem->flags & ~KVM_MEM_READONLY)
		return kvm_refuse(-EINVAL, "memslot %u: flags 0x%x: only KVM_MEM_READONLY is supported",
				  mem->slot, mem->flags);
	/* One address space (x86's SMM space is not supported): slot >> 16 must be 0. */
	if (mem->slot >= KVM_USER_MEM_SLOTS)
		return kvm_refuse(-EINVAL, "memslot %u: slots are 0 to %d", mem->slot,
				  KVM_USER_MEM_SLOTS - 1);
	if (!PAGE_ALIGNED(mem->memory_size) || !PAGE_ALIGNED(mem->guest_phys_addr) ||
	    !PAGE_ALIGNED(mem->userspace_addr))
		return kvm_refuse(-EINVAL, "memslot %u: size and addresses must be page-aligned",
				  mem->slot);
	if (!access_ok((void __user *)(unsigned long)mem->userspace_addr, mem->memory_size))
		return kvm_refuse(-EINVAL, "memslot %u: userspace range is not user memory",
				  mem->slot);
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return kvm_refuse(-EINVAL, "memslot %u: guest range wraps around", mem->slot);
	if ((mem->memory_size >> PAGE_SHIFT) > KVM_MEM_MAX_NR_PAGES)
		return kvm_refuse(-EINVAL, "memslot %u: more than %lu pages", mem->slot,
				  KVM_MEM_MAX_NR_PAGES);
	return 0;
}

/*
 * Applies one KVM_SET_USER_MEMORY_REGION to a copy of the current slots: create, delete
 * (size 0), move (new guest address) or change flags. Returns 1 if nothing changes. A
 * deleted or moved slot is copied to @gone, for its mappings to be flushed.
 */
static int kvm_prepare_memslots(struct kvm *kvm, struct kvm_memslots *slots,
				const struct kvm_userspace_memory_region *mem,
				struct kvm_memory_slot *gone)
{
	struct kvm_memory_slot *old = id_to_memslot(slots, mem->slot);
	gfn_t base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	unsigned long npages = mem->memory_size >> PAGE_SHIFT;
	struct kvm_memory_slot new;
	int r;

	if (!npages) {
		if (!old)
			return kvm_refuse(-EINVAL, "memslot %u: deleting a slot that does not exist",
					  mem->slot);
		*gone = *old;
		*old = slots->slots[--slots->used];
		return 0;
	}
	if (old) {
		/* A slot keeps its backing and size; only its place and flags may change. */
		if (mem->userspace_addr != old->userspace_addr || npages != old->npages ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
			return kvm_refuse(-EINVAL,
					  "memslot %u: a slot's size, backing and read-only flag cannot change",
					  mem->slot);
		if (base_gfn == old->base_gfn && mem->flags == old->flags)
			return 1;
	}
	if (kvm_check_memslot_overlap(slots, mem->slot, base_gfn, base_gfn + npages))
		return kvm_refuse(-EEXIST, "memslot %u: overlaps another slot", mem->slot);
	new = (struct kvm_memory_slot) {
		.base_gfn = base_gfn,
		.npages = npages,
		.userspace_addr = mem->userspace_addr,
		.flags = mem->flags,
		.id = mem->slot,
	};
	if (!old || old->base_gfn != base_gfn) {
		r = kvm_arch_prepare_memory_region(kvm, &new);
		if (r)
			return r;
	}
	if (!old)
		old = &slots->slots[slots->used++];
	else if (old->base_gfn != base_gfn)
		*gone = *old;
	*old = new;
	return 0;
}

/**
 * kvm_set_memory_region() - KVM_SET_USER_MEMORY_REGION
 * @kvm: the VM
 * @mem: the request, copied from userspace
 *
 * Builds the next generation of the VM's slots and publishes it; readers of the old one
 * (under kvm->srcu) finish before it is freed. The wait is expedited, as the io bus's: a
 * normal SRCU grace period takes milliseconds, and a VMM sets slots one ioctl at a time.
 * A slot deleted or moved is then flushed from the arch's tables: once the readers are
 * gone, no vCPU can be mapping from it.
 * Returns 0 or KVM's errno for the request.
 */
int kvm_set_memory_region(struct kvm *kvm, const struct kvm_userspace_memory_region *mem)
{
	struct kvm_memory_slot gone = { .npages = 0 };
	struct kvm_memslots *old, *new;
	int r;

	r = check_memory_region(mem);
	if (r)
		return r;

	mutex_lock(&kvm->slots_lock);
	old = rcu_dereference_protected(kvm->memslots, lockdep_is_held(&kvm->slots_lock));
	new = kmemdup(old, sizeof(*old), GFP_KERNEL_ACCOUNT);
	r = -ENOMEM;
	if (!new)
		goto out_unlock;
	r = kvm_prepare_memslots(kvm, new, mem, &gone);
	if (r) {
		/* An error, or 1: the request changes nothing. */
		kfree(new);
		r = min(r, 0);
		goto out_unlock;
	}
	rcu_assign_pointer(kvm->memslots, new);
	synchronize_srcu_expedited(&kvm->srcu);
	if (gone.npages)
		kvm_arch_flush_shadow_memslot(kvm, &gone);
	kfree(old);
out_unlock:
	mutex_unlock(&kvm->slots_lock);
	return r;
}
