// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 VMIDs: the tag in VTTBR_EL2.VMID that keeps the TLB entries of different
 * VMs apart. There are 255 of them (8 bits, 0 being the host's), far fewer than the VMs a
 * host may run, so they are handed out by generation, as KVM (vmid.c) and the kernel's
 * ASID allocator do. A VM's VMID is a 64-bit value, the generation above the tag. A VM
 * whose value is of an older generation gets a new tag the next time one of its vCPUs is
 * loaded on a CPU. When a generation has no free tag left, the next one starts: every
 * guest TLB entry of every CPU is invalidated, and only the tags in use on some CPU at
 * that moment (or last used there, if none is now) stay taken, by the VMs that hold them.
 * A destroyed VM's tag is freed by the next rollover, its TLB entries being gone already
 * (kvm_free_stage2_pgd()).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <asm/cpufeature.h>

#include <minikvm/kvm_host.h>

#include "arm.h"

/* ID_AA64MMFR1_EL1.VMIDBits: 0b0010, 16-bit VMIDs (VTCR_EL2.VS) are implemented. */
#define ID_AA64MMFR1_VMIDBITS_16	2

/* The tags' width: 8 bits, unless the CPUs outnumber 8-bit tags (see kvm_arm_vmid_init()). */
static unsigned int kvm_vmid_bits __ro_after_init;
#define VMID_GEN_FIRST		(1ULL << kvm_vmid_bits)
#define VMID_TAGS		VMID_GEN_FIRST
#define vmid_tag(vmid)		((vmid) & (VMID_GEN_FIRST - 1))

/*
 * A CPU's active VMID between kvm_arch_vcpu_load() and kvm_arch_vcpu_put(): tag 0 of the
 * first generation, which no VM ever holds, says "none". 0 says that a rollover took the
 * value into reserved_vmids meanwhile, and the CPU must go through the lock.
 */
#define VMID_ACTIVE_NONE	VMID_GEN_FIRST

static atomic64_t vmid_generation;
static unsigned long *vmid_map;
static DEFINE_RAW_SPINLOCK(vmid_lock);
static DEFINE_PER_CPU(atomic64_t, active_vmids);
static DEFINE_PER_CPU(u64, reserved_vmids);

static bool vmid_is_current(u64 vmid)
{
	return !((vmid ^ atomic64_read(&vmid_generation)) >> kvm_vmid_bits);
}

/*
 * Starts a new generation's map with only the tags that some CPU runs (or last ran) in it:
 * a VM running elsewhere keeps its tag. Then no CPU may hold a TLB entry of the old
 * generation: another VM will get its tag. Under vmid_lock.
 */
static void vmid_flush_context(void)
{
	u64 vmid;
	int cpu;

	bitmap_zero(vmid_map, VMID_TAGS);
	for_each_possible_cpu(cpu) {
		vmid = atomic64_xchg_relaxed(&per_cpu(active_vmids, cpu), 0);
		/* 0: the CPU has not run a vCPU since the last rollover; keep what it had. */
		if (!vmid)
			vmid = per_cpu(reserved_vmids, cpu);
		__set_bit(vmid_tag(vmid), vmid_map);
		per_cpu(reserved_vmids, cpu) = vmid;
	}
	kvm_flush_vm_context();
}

/* Whether @vmid is reserved on some CPU; if so, it becomes @newvmid there. */
static bool vmid_update_reserved(u64 vmid, u64 newvmid)
{
	bool hit = false;
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(reserved_vmids, cpu) == vmid) {
			per_cpu(reserved_vmids, cpu) = newvmid;
			hit = true;
		}
	}
	return hit;
}

/* A VMID of the current generation for @kvm_vmid, under vmid_lock. */
static u64 vmid_new(struct kvm_vmid *kvm_vmid)
{
	static unsigned long next_tag = 1;
	u64 vmid = atomic64_read(&kvm_vmid->id);
	u64 generation = atomic64_read(&vmid_generation);
	unsigned long tag;

	/* The VM keeps its old tag if a CPU reserved it or nobody took it yet. */
	if (vmid) {
		u64 newvmid = generation | vmid_tag(vmid);

		if (vmid_update_reserved(vmid, newvmid) ||
		    !__test_and_set_bit(vmid_tag(vmid), vmid_map)) {
			atomic64_set(&kvm_vmid->id, newvmid);
			return newvmid;
		}
	}

	tag = find_next_zero_bit(vmid_map, VMID_TAGS, next_tag);
	if (tag == VMID_TAGS) {
		generation = atomic64_add_return_relaxed(VMID_GEN_FIRST, &vmid_generation);
		vmid_flush_context();
		/* The CPUs hold fewer tags than there are (kvm_arm_vmid_init()). */
		tag = find_next_zero_bit(vmid_map, VMID_TAGS, 1);
	}
	__set_bit(tag, vmid_map);
	next_tag = tag;
	vmid = generation | tag;
	atomic64_set(&kvm_vmid->id, vmid);
	return vmid;
}

/**
 * kvm_arm_vmid_update() - make sure a VM's VMID is of the current generation, and mark it
 *	active on this CPU
 * @kvm_vmid: the VM's VMID
 *
 * Called from kvm_arch_vcpu_load(), preemption off. Returns the VMID.
 */
u64 kvm_arm_vmid_update(struct kvm_vmid *kvm_vmid)
{
	atomic64_t *active = this_cpu_ptr(&active_vmids);
	u64 vmid = atomic64_read(&kvm_vmid->id);
	u64 old_active = atomic64_read(active);
	unsigned long flags;

	/*
	 * The fast path, lock-free: a current VMID goes in unless a rollover cleared this
	 * CPU's entry meanwhile (0), which the cmpxchg sees. Then the lock decides.
	 */
	if (old_active && vmid_is_current(vmid) &&
	    atomic64_cmpxchg_relaxed(active, old_active, vmid))
		return vmid;

	raw_spin_lock_irqsave(&vmid_lock, flags);
	vmid = atomic64_read(&kvm_vmid->id);
	if (!vmid_is_current(vmid))
		vmid = vmid_new(kvm_vmid);
	atomic64_set(active, vmid);
	raw_spin_unlock_irqrestore(&vmid_lock, flags);
	return vmid;
}

/* kvm_arch_vcpu_put(): no VMID is active on this CPU; a rollover need not keep one. */
void kvm_arm_vmid_clear_active(void)
{
	atomic64_set(this_cpu_ptr(&active_vmids), VMID_ACTIVE_NONE);
}

/** kvm_arm_vmid_bits() - the width of VTTBR_EL2.VMID in use: 8 or 16 */
unsigned int kvm_arm_vmid_bits(void)
{
	return kvm_vmid_bits;
}

/**
 * kvm_arm_vmid_init() - choose the VMID width and allocate the tag map
 *
 * 8-bit tags, so that a rollover comes every 255 VMs and costs a small map; 16-bit ones,
 * where the CPUs have them, only when 8 bits would not leave a free tag beyond the one
 * each CPU may keep at a rollover. Returns 0, -ENOMEM, or -EINVAL when neither serves.
 */
int kvm_arm_vmid_init(void)
{
	u64 mmfr1 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1);
	bool vmid16 = cpuid_feature_extract_unsigned_field(mmfr1,
		ID_AA64MMFR1_EL1_VMIDBits_SHIFT) == ID_AA64MMFR1_VMIDBITS_16;

	kvm_vmid_bits = 8;
	if (num_possible_cpus() >= VMID_TAGS - 1) {
		if (!vmid16) {
			pr_err("%u CPUs and 8-bit VMIDs: a VMID rollover could not find a free one\n",
			       num_possible_cpus());
			return -EINVAL;
		}
		kvm_vmid_bits = 16;
	}
	atomic64_set(&vmid_generation, VMID_GEN_FIRST);
	vmid_map = bitmap_zalloc(VMID_TAGS, GFP_KERNEL);
	return vmid_map ? 0 : -ENOMEM;
}

void kvm_arm_vmid_free(void)
{
	bitmap_free(vmid_map);
	vmid_map = NULL;
}
