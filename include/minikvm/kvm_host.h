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

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <kvm_arch.h>

struct kvm_io_bus;
struct dentry;
struct seq_file;

/* KVM_GET_API_VERSION: the ABI of <linux/kvm.h> that minikvm follows. */
#define MINIKVM_API_VERSION	12

/* Memory slots per VM (KVM_CAP_NR_MEMSLOTS): few enough to search one by one. */
#define KVM_USER_MEM_SLOTS	32

typedef u64 gfn_t;
typedef u64 gpa_t;

/* The buses of the in-kernel io bus (include/minikvm/iodev.h). */
enum kvm_bus {
	KVM_MMIO_BUS,
	KVM_PIO_BUS,
	KVM_NR_BUSES
};

/**
 * struct kvm_vm_stat - a VM's counters, in the VM's binary stats (KVM_GET_STATS_FD);
 *	atomic, as every vCPU thread counts into them
 * @remote_tlb_flush: guest-physical TLB invalidations for this VM (INVEPT, TLBI VMALLS12E1IS)
 * @pages_pinned: guest pages currently pinned and mapped in stage-2 / EPT
 * @ioeventfd_signals: eventfds signalled by guest writes
 */
struct kvm_vm_stat {
	atomic64_t remote_tlb_flush;
	atomic64_t pages_pinned;
	atomic64_t ioeventfd_signals;
};

/**
 * struct kvm_vcpu_stat - a vCPU's counters, in the vCPU's binary stats
 * @exits: exits from the guest, whatever their reason
 * @exit_reasons: exits by the arch's reason (x86: basic VM-exit reason; arm64: ESR_EL2.EC)
 * @userspace_exits: returns of KVM_RUN to userspace with an exit_reason set
 * @io_exits: of those, KVM_EXIT_IO
 * @mmio_exits: of those, KVM_EXIT_MMIO
 * @signal_exits: of those, KVM_EXIT_INTR (a signal, or need to reschedule with one pending)
 * @halt_exits: the guest halted (HLT, WFI)
 * @io_bus_pio: port accesses an in-kernel device handled
 * @io_bus_mmio: MMIO accesses an in-kernel device handled
 * @arch: the arch's own counters (struct kvm_vcpu_arch_stat in its kvm_arch.h)
 */
struct kvm_vcpu_stat {
	u64 exits;
	u64 exit_reasons[KVM_NR_EXIT_REASONS];
	u64 userspace_exits;
	u64 io_exits;
	u64 mmio_exits;
	u64 signal_exits;
	u64 halt_exits;
	u64 io_bus_pio;
	u64 io_bus_mmio;
	struct kvm_vcpu_arch_stat arch;
};

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
 * @buses: the in-kernel io buses, read under @srcu, updated under @slots_lock
 * @ioeventfds: the VM's KVM_IOEVENTFD registrations, under @slots_lock
 * @created_vcpus: vCPUs created or being created
 * @vcpus: vCPUs by creation order
 * @stat: counters
 * @arch: the backend's per-VM state
 */
struct kvm {
	struct mm_struct *mm;
	refcount_t users_count;
	struct mutex lock;
	struct mutex slots_lock;
	struct srcu_struct srcu;
	struct kvm_memslots __rcu *memslots;
	struct kvm_io_bus __rcu *buses[KVM_NR_BUSES];
	struct list_head ioeventfds;
	int created_vcpus;
	struct kvm_vcpu *vcpus[KVM_MAX_VCPUS];
	struct kvm_vm_stat stat;
	struct kvm_arch arch;
};

/* Where a vCPU's thread is, for kvm_vcpu_kick(). */
enum kvm_vcpu_mode {
	OUTSIDE_GUEST_MODE,
	IN_GUEST_MODE,
};

/**
 * struct kvm_vcpu - a virtual CPU
 * @kvm: its VM
 * @vcpu_id: the id userspace gave it
 * @mutex: one ioctl at a time
 * @run: the struct kvm_run page shared with userspace through mmap
 * @cpu: the host CPU the vCPU is loaded on (between vcpu_load() and vcpu_put(), and
 *	again after each preemption), or -1
 * @preempt_notifier: calls kvm_arch_vcpu_put() and kvm_arch_vcpu_load() around preemption
 * @mode: IN_GUEST_MODE from just before entry (interrupts off) to just after exit
 * @wq: where the vCPU thread sleeps in kvm_vcpu_block()
 * @stat: counters, updated by the vCPU's own thread
 * @arch: the backend's per-vCPU state
 */
struct kvm_vcpu {
	struct kvm *kvm;
	u32 vcpu_id;
	struct mutex mutex;
	struct kvm_run *run;
	int cpu;
	struct preempt_notifier preempt_notifier;
	int mode;
	struct wait_queue_head wq;
	struct kvm_vcpu_stat stat;
	struct kvm_vcpu_arch arch;
};

/**
 * kvm_refuse() - say in dmesg why a request from userspace is refused, and return the errno
 * @err: the negative errno, as KVM returns it for the same request
 * @fmt: the reason: one line, no newline
 *
 * Rate-limited, as userspace decides how often it is refused. The caller's pr_fmt applies.
 */
#define kvm_refuse(err, fmt, ...) ({						\
	pr_info_ratelimited("%s[%d]: " fmt "\n", current->comm, task_pid_nr(current),	\
			    ##__VA_ARGS__);					\
	(err);									\
})

/*
 * Set once a reboot takes virtualization away from every CPU (kvm_main.c): a vCPU thread
 * still running may then fault on a VMX instruction, which is no bug (x86's
 * kvm_spurious_fault()).
 */
extern bool kvm_rebooting;

void kvm_get_kvm(struct kvm *kvm);
void kvm_put_kvm(struct kvm *kvm);

/* Memory slots (virt/kvm/memslot.c). */
int kvm_init_memslots(struct kvm *kvm);
void kvm_free_memslots(struct kvm *kvm);
int kvm_set_memory_region(struct kvm *kvm, const struct kvm_userspace_memory_region *mem);

/**
 * gfn_to_memslot() - the slot holding a guest frame
 * @kvm: the VM
 * @gfn: the guest frame number
 *
 * Call under srcu_read_lock(&kvm->srcu) and use the slot only until srcu_read_unlock().
 * Returns NULL when no slot holds @gfn: to the guest, that address is MMIO.
 */
struct kvm_memory_slot *gfn_to_memslot(struct kvm *kvm, gfn_t gfn);

/**
 * kvm_pin_guest_page() - the host page behind a guest frame, pinned for a stage-2 mapping
 * @slot: the slot holding @gfn, from gfn_to_memslot()
 * @gfn: the guest frame number
 *
 * Faults the page in from the slot's userspace mapping in the calling thread's mm (the VM
 * owner's: the ioctl paths check that), writable unless the slot is KVM_MEM_READONLY, and
 * pins it until kvm_unpin_guest_page(): a backend keeps it mapped in its tables while the
 * slot exists and unpins it in kvm_arch_flush_shadow_memslot() or at VM destruction.
 * Returns the page or an ERR_PTR (-EFAULT when the address is not mapped there).
 */
struct page *kvm_pin_guest_page(struct kvm *kvm, const struct kvm_memory_slot *slot, gfn_t gfn);

/** kvm_unpin_guest_page() - release a page from kvm_pin_guest_page(). */
void kvm_unpin_guest_page(struct kvm *kvm, struct page *page);

/**
 * kvm_read_guest() - copy from guest physical memory
 * @kvm: the VM
 * @gpa: guest physical address
 * @data: destination
 * @len: bytes to copy, possibly across slots
 *
 * Goes through the slots' userspace mappings; call in the VM owner's thread. Returns 0, or
 * -EFAULT when part of the range is in no slot or not mapped.
 */
int kvm_read_guest(struct kvm *kvm, gpa_t gpa, void *data, unsigned long len);

/**
 * kvm_write_guest() - copy to guest physical memory; as kvm_read_guest(), and never to a
 * read-only slot
 */
int kvm_write_guest(struct kvm *kvm, gpa_t gpa, const void *data, unsigned long len);

/* Binary stats (virt/kvm/stats.c): KVM_GET_STATS_FD on a VM and on a vCPU. */
int kvm_vm_ioctl_get_stats_fd(struct kvm *kvm);
int kvm_vcpu_ioctl_get_stats_fd(struct kvm_vcpu *vcpu);

/* The run loop's helpers (virt/kvm/kvm_main.c). */

/**
 * vcpu_load() - make @vcpu current on this CPU for an ioctl
 *
 * Calls kvm_arch_vcpu_load() with preemption off and registers a preempt notifier that
 * calls kvm_arch_vcpu_put() when the thread is scheduled out and kvm_arch_vcpu_load() on
 * whatever CPU it comes back to, so the arch's per-CPU state (a loaded VMCS) follows the
 * thread. Undone by vcpu_put().
 */
void vcpu_load(struct kvm_vcpu *vcpu);

/** vcpu_put() - undo vcpu_load(). */
void vcpu_put(struct kvm_vcpu *vcpu);

/**
 * kvm_vcpu_handle_host_work() - give the host its due between two guest entries
 * @vcpu: the running vCPU
 *
 * Called with interrupts on before each entry: reschedules when the host needs this CPU,
 * and on a pending signal sets KVM_EXIT_INTR and counts it. Returns 1 to go on entering,
 * -EINTR to return to userspace. (The kernel's xfer_to_guest_mode_handle_work() does this
 * for KVM, but it writes into upstream KVM's struct kvm_vcpu, which ours is not.)
 */
int kvm_vcpu_handle_host_work(struct kvm_vcpu *vcpu);

/**
 * kvm_vcpu_block() - sleep until kvm_arch_vcpu_runnable() or a signal
 * @vcpu: the running vCPU (HLT in the kernel, WFI)
 *
 * Returns 1 when the vCPU became runnable, -EINTR (with KVM_EXIT_INTR) on a signal.
 */
int kvm_vcpu_block(struct kvm_vcpu *vcpu);

/**
 * kvm_vcpu_kick() - make @vcpu notice a change another thread made (an interrupt to inject)
 *
 * Wakes it from kvm_vcpu_block(), and if it is in the guest on another CPU, interrupts that
 * CPU so that the guest exits and the run loop looks at its state again.
 */
void kvm_vcpu_kick(struct kvm_vcpu *vcpu);

/**
 * kvm_vcpu_enter_guest_mode() - announce an entry; false when there must be none
 * @vcpu: the running vCPU, with interrupts off
 *
 * Sets vcpu->mode to IN_GUEST_MODE, then looks for a signal or a reschedule request that
 * came since kvm_vcpu_handle_host_work(): entering anyway would leave it waiting for the
 * guest's next exit. The barrier pairs with kvm_vcpu_kick(): either the kicker sees
 * IN_GUEST_MODE and sends its IPI (which stays pending while interrupts are off, and makes
 * the guest exit at once), or this CPU sees what the kicker changed.
 *
 * Return: true to enter; false, back in OUTSIDE_GUEST_MODE, to go round the run loop.
 */
static inline bool kvm_vcpu_enter_guest_mode(struct kvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->mode, IN_GUEST_MODE);
	smp_mb(); /* pairs with kvm_vcpu_kick()'s */
	if (likely(!signal_pending(current) && !need_resched()))
		return true;
	WRITE_ONCE(vcpu->mode, OUTSIDE_GUEST_MODE);
	return false;
}

/**
 * kvm_vcpu_count_exit() - count an exit from the guest in the vCPU's stats
 * @vcpu: the vCPU, just back from the guest
 * @reason: the arch's reason (x86: basic VM-exit reason; arm64: ESR_EL2.EC), or a value
 *	    from KVM_NR_EXIT_REASONS up for exits without one, counted in @exits only
 */
static inline void kvm_vcpu_count_exit(struct kvm_vcpu *vcpu, unsigned int reason)
{
	vcpu->stat.exits++;
	if (reason < KVM_NR_EXIT_REASONS)
		vcpu->stat.exit_reasons[reason]++;
}

/**
 * kvm_vcpu_exit_to_user() - count and trace a return of KVM_RUN to userspace
 * @vcpu: the vCPU whose run->exit_reason is set
 *
 * The arch calls it once per KVM_RUN that ends with an exit for userspace to handle.
 */
void kvm_vcpu_exit_to_user(struct kvm_vcpu *vcpu);

/**
 * kvm_prepare_mmio_exit() - hand a guest's MMIO access that no io device took to userspace
 * @vcpu: the vCPU
 * @gpa: the guest physical address accessed
 * @len: the access's size in bytes, 1 to 8
 * @is_write: a store; else a load, whose data userspace leaves in run->mmio.data
 * @data: a store's @len bytes (unused for a load)
 *
 * Fills run->mmio for KVM_EXIT_MMIO; the arch completes a load at the next KVM_RUN.
 */
void kvm_prepare_mmio_exit(struct kvm_vcpu *vcpu, gpa_t gpa, unsigned int len, bool is_write,
			   const void *data);

/**
 * kvm_prepare_internal_error_exit() - tell userspace why KVM_RUN cannot go on
 * @vcpu: the vCPU
 * @suberror: KVM_INTERNAL_ERROR_*
 * @data: what KVM reports with that suberror, in its order
 * @ndata: how many values @data holds, at most 16 (the ABI's room)
 *
 * Fills run->internal for KVM_EXIT_INTERNAL_ERROR.
 */
void kvm_prepare_internal_error_exit(struct kvm_vcpu *vcpu, u32 suberror, const u64 *data,
				     u32 ndata);

/**
 * kvm_vcpu_fault_page() - hand out one page of a vCPU's mmap
 * @vmf: the fault on the vCPU fd's mapping
 * @addr: the kernel address of the page to map there (kvm_run, or an arch's page)
 *
 * Returns 0 with vmf->page set and referenced, as a .fault handler returns it.
 */
vm_fault_t kvm_vcpu_fault_page(struct vm_fault *vmf, void *addr);

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
 * kvm_arch_create_debugfs() - add the arch's own files to /sys/kernel/debug/minikvm
 * @dir: that directory
 *
 * An arch that has any defines __KVM_HAVE_ARCH_DEBUGFS in its kvm_arch.h, as KVM's archs
 * declare their optional hooks.
 */
#ifdef __KVM_HAVE_ARCH_DEBUGFS
void kvm_arch_create_debugfs(struct dentry *dir);
#else
static inline void kvm_arch_create_debugfs(struct dentry *dir)
{
}
#endif

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
 * kvm_arch_vcpu_load() - make the vCPU's hardware state current on @cpu
 *
 * Called with preemption off by vcpu_load() and after each preemption (x86: VMPTRLD,
 * first VMCLEARing it on the CPU it was last loaded on).
 */
void kvm_arch_vcpu_load(struct kvm_vcpu *vcpu, int cpu);

/** kvm_arch_vcpu_put() - the vCPU leaves this CPU (preemption off). */
void kvm_arch_vcpu_put(struct kvm_vcpu *vcpu);

/** kvm_arch_vcpu_runnable() - whether a blocked vCPU has something to do (an interrupt). */
bool kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu);

/**
 * kvm_arch_vcpu_ioctl_run() - KVM_RUN
 * @vcpu: the vCPU, its mutex held
 *
 * The arch's run loop, as KVM's of the same name: complete the access userspace just
 * handled, honour run->immediate_exit (-EINTR), then enter the guest and handle exits
 * until a handler wants userspace (return 0 with run->exit_reason set and
 * kvm_vcpu_exit_to_user() called), kvm_vcpu_handle_host_work() says -EINTR, or an error.
 */
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu);

/**
 * kvm_arch_flush_shadow_memslot() - forget every stage-2 / EPT mapping of a slot
 * @kvm: the VM
 * @slot: a slot being deleted or moved, already unpublished (no vCPU can look it up)
 *
 * Unmap the slot's range, invalidate the guest-physical TLBs of every CPU for the VM, and
 * unpin the pages with kvm_unpin_guest_page().
 */
void kvm_arch_flush_shadow_memslot(struct kvm *kvm, const struct kvm_memory_slot *slot);

/**
 * kvm_arch_dev_ioctl() - a /dev/minikvm ioctl the core does not handle
 *
 * x86: KVM_GET_SUPPORTED_CPUID, KVM_GET_MSR_INDEX_LIST. The core's default, for an arch
 * with none, refuses every ioctl with -EINVAL, KVM's answer.
 */
long kvm_arch_dev_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg);

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
 * x86 maps the PIO data page at KVM_PIO_PAGE_OFFSET. Returns kvm_vcpu_fault_page()'s 0, or
 * VM_FAULT_SIGBUS.
 */
vm_fault_t kvm_arch_vcpu_fault(struct kvm_vcpu *vcpu, struct vm_fault *vmf);

#endif /* __MINIKVM_KVM_HOST_H */
