/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * minikvm: the objects of the arch-independent core (virt/kvm/) and the interface between it
 * and a hardware backend (arch/x86/kvm/ or arch/arm64/kvm/). The core includes no arch file
 * but the arch's kvm_arch.h, which this header pulls in (found through the include path
 * Kbuild sets per arch); each arch implements the kvm_arch_*() hooks declared here, named
 * after KVM's hooks of the same step.
 */
#ifndef __MINIKVM_KVM_HOST_H
#define __MINIKVM_KVM_HOST_H

#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/srcu.h>
#include <linux/types.h>

#include <kvm_arch.h>

struct seq_file;

/* KVM_GET_API_VERSION: the ABI of <linux/kvm.h> that minikvm follows. */
#define MINIKVM_API_VERSION	12

/* Memory slots per VM (KVM_CAP_NR_MEMSLOTS): few enough to search one by one. */
#define KVM_USER_MEM_SLOTS	32

typedef u64 gfn_t;

/**
 * struct kvm_memory_slot - guest physical pages backed by a range of the VM owner's memory
 * @base_gfn: first guest frame
 * @npages: number of pages
 * @userspace_addr: where the first page is mapped in the VM owner's address space
 * @flags: KVM_MEM_* flags (KVM_MEM_READONLY)
 * @id: the slot number userspace chose
 */
struct kvm_memory_slot {
	gfn_t base_gfn;
	unsigned long npages;
	unsigned long userspace_addr;
	u32 flags;
	u16 id;
};

/**
 * struct kvm_memslots - one generation of a VM's memory map
 * @slots: the slots in use, in no order (they never overlap)
 * @used: number of entries of @slots in use
 *
 * Never changed once published: an update builds a new generation, publishes it with
 * rcu_assign_pointer() and frees the old one after synchronize_srcu(&kvm->srcu), so that
 * a vCPU looking up a gfn under srcu_read_lock() needs no lock.
 */
struct kvm_memslots {
	struct kvm_memory_slot slots[KVM_USER_MEM_SLOTS];
	int used;
};

/**
 * struct kvm - a virtual machine
 * @mm: address space of the process that created it: guest memory lives there, and only
 *	that process may use the VM's and vCPUs' fds
 * @users_count: references: the VM fd and one per vCPU fd
 * @lock: protects @vcpus and @created_vcpus
 * @slots_lock: serializes memslot updates
 * @srcu: protects readers of @memslots
 * @memslots: the current memory map
 * @created_vcpus: vCPUs created or being created
 * @vcpus: vCPUs by creation order
 * @arch: the backend's per-VM state
 */
struct kvm {
	struct mm_struct *mm;
	refcount_t users_count;
	struct mutex lock;
	struct mutex slots_lock;
	struct srcu_struct srcu;
	struct kvm_memslots __rcu *memslots;
	int created_vcpus;
	struct kvm_vcpu *vcpus[KVM_MAX_VCPUS];
	struct kvm_arch arch;
};

/**
 * struct kvm_vcpu - a virtual CPU
 * @kvm: its VM
 * @vcpu_id: the id userspace gave it
 * @mutex: one ioctl at a time
 * @run: the struct kvm_run page shared with userspace through mmap
 * @arch: the backend's per-vCPU state
 */
struct kvm_vcpu {
	struct kvm *kvm;
	u32 vcpu_id;
	struct mutex mutex;
	struct kvm_run *run;
	struct kvm_vcpu_arch arch;
};

void kvm_get_kvm(struct kvm *kvm);
void kvm_put_kvm(struct kvm *kvm);

/* Memory slots (virt/kvm/memslot.c). */
int kvm_init_memslots(struct kvm *kvm);
void kvm_free_memslots(struct kvm *kvm);
int kvm_set_memory_region(struct kvm *kvm, const struct kvm_userspace_memory_region *mem);

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
 * kvm_vm_ioctl_check_extension() - answer KVM_CHECK_EXTENSION for arch capabilities
 * @kvm: the VM asked through its fd, or NULL when asked through /dev/minikvm
 * @ext: the KVM_CAP_* number
 *
 * Returns the capability's value, or 0 for what this arch does not implement.
 */
int kvm_vm_ioctl_check_extension(struct kvm *kvm, long ext);

/**
 * kvm_arch_init_vm() - set up the arch's part of a new VM
 * @kvm: the VM, its core fields set up
 * @type: the machine type given to KVM_CREATE_VM
 *
 * Returns 0, or -EINVAL for a type the arch does not know, or another negative errno.
 */
int kvm_arch_init_vm(struct kvm *kvm, unsigned long type);

/**
 * kvm_arch_prepare_memory_region() - the arch's checks of a slot being created or moved
 * @kvm: the VM
 * @new: the slot as it will be
 *
 * Returns 0, or the errno KVM returns on that arch for a slot beyond the guest physical
 * address space (x86: -EINVAL, arm64: -EFAULT).
 */
int kvm_arch_prepare_memory_region(struct kvm *kvm, const struct kvm_memory_slot *new);

/** kvm_arch_destroy_vm() - free the arch's part of a VM; its vCPUs are gone already. */
void kvm_arch_destroy_vm(struct kvm *kvm);

/** kvm_arch_vcpu_create() - set up the arch's part of a new vCPU; 0 or a negative errno. */
int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu);

/** kvm_arch_vcpu_destroy() - free the arch's part of a vCPU. */
void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu);

/**
 * kvm_arch_vm_ioctl() - a VM ioctl the core does not handle
 *
 * Returns the ioctl's result; for an ioctl the arch does not know either, the errno KVM
 * returns on that arch (x86: -ENOTTY, arm64: -EINVAL).
 */
long kvm_arch_vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg);

/** kvm_arch_vcpu_ioctl() - a vCPU ioctl the core does not handle; -EINVAL if unknown. */
long kvm_arch_vcpu_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg);

/**
 * kvm_arch_vcpu_fault() - a page of the vCPU's mmap beyond struct kvm_run
 * @vcpu: the vCPU
 * @vmf: the fault; vmf->pgoff >= 1
 *
 * x86 maps the PIO data page at KVM_PIO_PAGE_OFFSET. Returns 0 with vmf->page set and
 * referenced, or VM_FAULT_SIGBUS.
 */
vm_fault_t kvm_arch_vcpu_fault(struct kvm_vcpu *vcpu, struct vm_fault *vmf);

#endif /* __MINIKVM_KVM_HOST_H */
