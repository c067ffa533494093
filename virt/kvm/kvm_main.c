// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm core: the /dev/minikvm device, the VM and vCPU objects and their fds, and the
 * per-CPU hardware enable/disable that every backend needs: what kvm_main.c is to KVM.
 *
 * Virtualization is enabled on every CPU when the module loads (as KVM 6.12 does by
 * default with enable_virt_at_load), through a CPU hotplug state so that CPUs coming online
 * later are enabled too and CPUs going offline are disabled. Loading early makes a failure
 * visible at insmod time, with one dmesg line, instead of at the first KVM_CREATE_VM.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/reboot.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smp.h>

#include <minikvm/iodev.h>
#include <minikvm/kvm_host.h>

#define CREATE_TRACE_POINTS
#include <minikvm/trace.h>

static enum cpuhp_state kvm_online_state;

/* A reboot is taking virtualization away from every CPU (kvm_reboot()). */
bool kvm_rebooting;
static struct dentry *kvm_debugfs_dir;

/* Generic capabilities: what the core implements for every arch. */
static int kvm_vm_ioctl_check_extension_generic(struct kvm *kvm, long ext)
{
	switch (ext) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_CHECK_EXTENSION_VM:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_BINARY_STATS_FD:
		return 1;
	case KVM_CAP_NR_MEMSLOTS:
		return KVM_USER_MEM_SLOTS;
	case KVM_CAP_NR_VCPUS:
		/* The recommended maximum: more vCPUs than host CPUs only time-share. */
		return min_t(int, num_online_cpus(), KVM_MAX_VCPUS);
	case KVM_CAP_MAX_VCPUS:
		return KVM_MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return KVM_MAX_VCPU_IDS;
	default:
		return kvm_vm_ioctl_check_extension(kvm, ext);
	}
}

void kvm_get_kvm(struct kvm *kvm)
{
	refcount_inc(&kvm->users_count);
}

/* Frees a vCPU whose kvm_arch_vcpu_create() succeeded: its arch part, kvm_run, itself. */
static void kvm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	kvm_arch_vcpu_destroy(vcpu);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

static void kvm_destroy_vm(struct kvm *kvm)
{
	struct mm_struct *mm = kvm->mm;
	int i;

	for (i = 0; i < kvm->created_vcpus; i++)
		kvm_vcpu_destroy(kvm->vcpus[i]);
	kvm_io_bus_destroy(kvm);
	kvm_arch_destroy_vm(kvm);
	kvm_free_memslots(kvm);
	cleanup_srcu_struct(&kvm->srcu);
	kfree(kvm);
	mmdrop(mm);
}

/* Drops a reference; the last one, from the last fd closed, destroys the VM. */
void kvm_put_kvm(struct kvm *kvm)
{
	if (refcount_dec_and_test(&kvm->users_count))
		kvm_destroy_vm(kvm);
}

/*
 * Drops a reference that cannot be the last one, because the caller still holds another
 * (the VM fd, in an ioctl): undoing a kvm_get_kvm() on an error path. The VM stays.
 */
static void kvm_put_kvm_no_destroy(struct kvm *kvm)
{
	WARN_ON(refcount_dec_and_test(&kvm->users_count));
}

static inline struct kvm_vcpu *preempt_notifier_to_vcpu(struct preempt_notifier *pn)
{
	return container_of(pn, struct kvm_vcpu, preempt_notifier);
}

static void kvm_sched_in(struct preempt_notifier *pn, int cpu)
{
	struct kvm_vcpu *vcpu = preempt_notifier_to_vcpu(pn);

	WRITE_ONCE(vcpu->cpu, cpu);
	kvm_arch_vcpu_load(vcpu, cpu);
}

static void kvm_sched_out(struct preempt_notifier *pn, struct task_struct *next)
{
	struct kvm_vcpu *vcpu = preempt_notifier_to_vcpu(pn);

	kvm_arch_vcpu_put(vcpu);
	WRITE_ONCE(vcpu->cpu, -1);
}

static struct preempt_ops kvm_preempt_ops = {
	.sched_in = kvm_sched_in,
	.sched_out = kvm_sched_out,
};

void vcpu_load(struct kvm_vcpu *vcpu)
{
	int cpu = get_cpu();

	preempt_notifier_register(&vcpu->preempt_notifier);
	WRITE_ONCE(vcpu->cpu, cpu);
	kvm_arch_vcpu_load(vcpu, cpu);
	put_cpu();
}

void vcpu_put(struct kvm_vcpu *vcpu)
{
	preempt_disable();
	kvm_arch_vcpu_put(vcpu);
	preempt_notifier_unregister(&vcpu->preempt_notifier);
	WRITE_ONCE(vcpu->cpu, -1);
	preempt_enable();
}

static void kvm_signal_exit(struct kvm_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_INTR;
	vcpu->stat.signal_exits++;
	kvm_vcpu_exit_to_user(vcpu);
}

int kvm_vcpu_handle_host_work(struct kvm_vcpu *vcpu)
{
	if (signal_pending(current)) {
		kvm_signal_exit(vcpu);
		return -EINTR;
	}
	cond_resched();
	return 1;
}

int kvm_vcpu_block(struct kvm_vcpu *vcpu)
{
	DEFINE_WAIT(wait);
	int r = 1;

	for (;;) {
		prepare_to_wait(&vcpu->wq, &wait, TASK_INTERRUPTIBLE);
		if (kvm_arch_vcpu_runnable(vcpu))
			break;
		if (signal_pending(current)) {
			kvm_signal_exit(vcpu);
			r = -EINTR;
			break;
		}
		schedule();
	}
	finish_wait(&vcpu->wq, &wait);
	return r;
}

/* An IPI that does nothing: taking it is what makes the guest on that CPU exit. */
static void kvm_kick_ipi(void *unused)
{
}

void kvm_vcpu_kick(struct kvm_vcpu *vcpu)
{
	int cpu, me;

	wake_up_interruptible(&vcpu->wq);
	me = get_cpu();
	cpu = READ_ONCE(vcpu->cpu);
	/* Pairs with the barrier in kvm_vcpu_enter_guest_mode(). */
	smp_mb();
	if (cpu != me && cpu >= 0 && READ_ONCE(vcpu->mode) == IN_GUEST_MODE)
		smp_call_function_single(cpu, kvm_kick_ipi, NULL, 0);
	put_cpu();
}

void kvm_vcpu_exit_to_user(struct kvm_vcpu *vcpu)
{
	u32 reason = vcpu->run->exit_reason;

	vcpu->stat.userspace_exits++;
	if (reason == KVM_EXIT_IO)
		vcpu->stat.io_exits++;
	else if (reason == KVM_EXIT_MMIO)
		vcpu->stat.mmio_exits++;
	trace_kvm_userspace_exit(vcpu->vcpu_id, reason);
}

void kvm_prepare_mmio_exit(struct kvm_vcpu *vcpu, gpa_t gpa, unsigned int len, bool is_write,
			   const void *data)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = len;
	run->mmio.is_write = is_write;
	/* Bytes past @len, and a load's until userspace answers, show nothing stale. */
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (is_write)
		memcpy(run->mmio.data, data, len);
}

void kvm_prepare_internal_error_exit(struct kvm_vcpu *vcpu, u32 suberror, const u64 *data,
				     u32 ndata)
{
	struct kvm_run *run = vcpu->run;

	if (WARN_ON_ONCE(ndata > ARRAY_SIZE(run->internal.data)))
		ndata = ARRAY_SIZE(run->internal.data);
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = ndata;
	memcpy(run->internal.data, data, ndata * sizeof(*data));
}

vm_fault_t kvm_vcpu_fault_page(struct vm_fault *vmf, void *addr)
{
	struct page *page = virt_to_page(addr);

	/* The mapping's reference: the page outlives the vCPU while userspace maps it. */
	get_page(page);
	vmf->page = page;
	return 0;
}

/*
 * The vCPU's mmap: page 0 is struct kvm_run, further pages are the arch's (x86: PIO data).
 * Pages are handed out one fault at a time, as KVM does; an offset beyond them is SIGBUS.
 */
static vm_fault_t kvm_vcpu_fault(struct vm_fault *vmf)
{
	struct kvm_vcpu *vcpu = vmf->vma->vm_file->private_data;

	if (vmf->pgoff != 0)
		return kvm_arch_vcpu_fault(vcpu, vmf);
	return kvm_vcpu_fault_page(vmf, vcpu->run);
}

static const struct vm_operations_struct kvm_vcpu_vm_ops = {
	.fault = kvm_vcpu_fault,
};

static int kvm_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &kvm_vcpu_vm_ops;
	return 0;
}

static int kvm_vcpu_release(struct inode *inode, struct file *filp)
{
	struct kvm_vcpu *vcpu = filp->private_data;

	/* The vCPU itself lives as long as its VM. */
	kvm_put_kvm(vcpu->kvm);
	return 0;
}

static long kvm_vcpu_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	struct kvm_vcpu *vcpu = filp->private_data;
	long r;

	/* Guest memory is the creator's address space: another process has no business here. */
	if (vcpu->kvm->mm != current->mm)
		return kvm_refuse(-EIO, "vCPU used by another process than its VM's creator");
	if (_IOC_TYPE(ioctl) != KVMIO)
		return kvm_refuse(-EINVAL, "ioctl 0x%x on a vCPU is not a KVM ioctl", ioctl);

	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	switch (ioctl) {
	case KVM_RUN:
		/* KVM_RUN takes no argument; KVM refuses one. */
		if (arg) {
			r = kvm_refuse(-EINVAL, "KVM_RUN takes no argument");
			break;
		}
		r = kvm_arch_vcpu_ioctl_run(vcpu);
		break;
	case KVM_GET_STATS_FD:
		r = kvm_vcpu_ioctl_get_stats_fd(vcpu);
		break;
	default:
		r = kvm_arch_vcpu_ioctl(filp, ioctl, arg);
		break;
	}
	mutex_unlock(&vcpu->mutex);
	return r;
}

static const struct file_operations kvm_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= kvm_vcpu_release,
	.unlocked_ioctl	= kvm_vcpu_ioctl,
	.mmap		= kvm_vcpu_mmap,
	.llseek		= noop_llseek,
};

static struct kvm_vcpu *kvm_get_vcpu_by_id(struct kvm *kvm, u32 id)
{
	int i;

	for (i = 0; i < kvm->created_vcpus; i++)
		if (kvm->vcpus[i]->vcpu_id == id)
			return kvm->vcpus[i];
	return NULL;
}

/*
 * KVM_CREATE_VCPU. A vCPU is created whole under kvm->lock and published in kvm->vcpus
 * before its fd exists; it is destroyed only with its VM, even if its fd is closed (as in
 * KVM: a guest may still reference it).
 */
static int kvm_vm_ioctl_create_vcpu(struct kvm *kvm, unsigned long id)
{
	struct kvm_vcpu *vcpu;
	int r;

	if (id >= KVM_MAX_VCPU_IDS)
		return kvm_refuse(-EINVAL, "vCPU id %lu: ids are 0 to %d", id, KVM_MAX_VCPU_IDS - 1);

	mutex_lock(&kvm->lock);
	if (kvm->created_vcpus >= KVM_MAX_VCPUS) {
		r = kvm_refuse(-EINVAL, "vCPU %lu: a VM has at most %d", id, KVM_MAX_VCPUS);
		goto out_unlock;
	}
	if (kvm_get_vcpu_by_id(kvm, id)) {
		r = kvm_refuse(-EEXIST, "vCPU %lu exists already", id);
		goto out_unlock;
	}

	r = -ENOMEM;
	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		goto out_unlock;
	BUILD_BUG_ON(sizeof(struct kvm_run) > PAGE_SIZE);
	vcpu->run = (struct kvm_run *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run)
		goto out_free_vcpu;
	vcpu->kvm = kvm;
	vcpu->vcpu_id = id;
	mutex_init(&vcpu->mutex);
	vcpu->cpu = -1;
	preempt_notifier_init(&vcpu->preempt_notifier, &kvm_preempt_ops);
	init_waitqueue_head(&vcpu->wq);

	r = kvm_arch_vcpu_create(vcpu);
	if (r)
		goto out_free_run;

	/* The fd's reference; taken first so that closing the fd at once cannot free the VM. */
	kvm_get_kvm(kvm);
	r = anon_inode_getfd("kvm-vcpu", &kvm_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (r < 0) {
		kvm_put_kvm_no_destroy(kvm);
		/* The whole vCPU exists now: it goes as a VM's vCPUs go. */
		kvm_vcpu_destroy(vcpu);
		goto out_unlock;
	}
	kvm->vcpus[kvm->created_vcpus++] = vcpu;
	mutex_unlock(&kvm->lock);
	return r;

out_free_run:
	free_page((unsigned long)vcpu->run);
out_free_vcpu:
	kfree(vcpu);
out_unlock:
	mutex_unlock(&kvm->lock);
	return r;
}

static int kvm_vm_release(struct inode *inode, struct file *filp)
{
	kvm_put_kvm(filp->private_data);
	return 0;
}

static long kvm_vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	struct kvm *kvm = filp->private_data;
	struct kvm_userspace_memory_region mem;
	struct kvm_ioeventfd ioeventfd;

	if (kvm->mm != current->mm)
		return kvm_refuse(-EIO, "VM used by another process than its creator");

	switch (ioctl) {
	case KVM_CREATE_VCPU:
		return kvm_vm_ioctl_create_vcpu(kvm, arg);
	case KVM_SET_USER_MEMORY_REGION:
		if (copy_from_user(&mem, (void __user *)arg, sizeof(mem)))
			return -EFAULT;
		return kvm_set_memory_region(kvm, &mem);
	case KVM_CHECK_EXTENSION:
		return kvm_vm_ioctl_check_extension_generic(kvm, arg);
	case KVM_IOEVENTFD:
		if (copy_from_user(&ioeventfd, (void __user *)arg, sizeof(ioeventfd)))
			return -EFAULT;
		return kvm_ioeventfd(kvm, &ioeventfd);
	case KVM_GET_STATS_FD:
		return kvm_vm_ioctl_get_stats_fd(kvm);
	default:
		return kvm_arch_vm_ioctl(filp, ioctl, arg);
	}
}

static const struct file_operations kvm_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= kvm_vm_release,
	.unlocked_ioctl	= kvm_vm_ioctl,
	.llseek		= noop_llseek,
};

static struct kvm *kvm_create_vm(unsigned long type)
{
	struct kvm *kvm;
	int r;

	kvm = kzalloc(sizeof(*kvm), GFP_KERNEL_ACCOUNT);
	if (!kvm)
		return ERR_PTR(-ENOMEM);
	mmgrab(current->mm);
	kvm->mm = current->mm;
	refcount_set(&kvm->users_count, 1);
	mutex_init(&kvm->lock);
	mutex_init(&kvm->slots_lock);
	INIT_LIST_HEAD(&kvm->ioeventfds);

	r = init_srcu_struct(&kvm->srcu);
	if (r)
		goto out_free;
	r = kvm_init_memslots(kvm);
	if (r)
		goto out_cleanup_srcu;
	r = kvm_arch_init_vm(kvm, type);
	if (r)
		goto out_free_memslots;
	return kvm;

out_free_memslots:
	kvm_free_memslots(kvm);
out_cleanup_srcu:
	cleanup_srcu_struct(&kvm->srcu);
out_free:
	mmdrop(kvm->mm);
	kfree(kvm);
	return ERR_PTR(r);
}

static int kvm_dev_ioctl_create_vm(unsigned long type)
{
	struct file *file;
	struct kvm *kvm;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	kvm = kvm_create_vm(type);
	if (IS_ERR(kvm)) {
		put_unused_fd(fd);
		return PTR_ERR(kvm);
	}
	file = anon_inode_getfile("kvm-vm", &kvm_vm_fops, kvm, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		kvm_put_kvm(kvm);
		return PTR_ERR(file);
	}
	fd_install(fd, file);
	return fd;
}

long __weak kvm_arch_dev_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	return kvm_refuse(-EINVAL, "unknown ioctl 0x%x on /dev/minikvm", ioctl);
}

static long kvm_dev_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		/* KVM refuses a non-zero argument: the ioctl takes none. */
		if (arg)
			return kvm_refuse(-EINVAL, "KVM_GET_API_VERSION takes no argument");
		return MINIKVM_API_VERSION;
	case KVM_CREATE_VM:
		return kvm_dev_ioctl_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		return kvm_vm_ioctl_check_extension_generic(NULL, arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return kvm_refuse(-EINVAL, "KVM_GET_VCPU_MMAP_SIZE takes no argument");
		return KVM_VCPU_MMAP_PAGES * PAGE_SIZE;
	default:
		return kvm_arch_dev_ioctl(filp, ioctl, arg);
	}
}

static const struct file_operations kvm_chardev_ops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kvm_dev_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kvm_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "minikvm",
	.fops	= &kvm_chardev_ops,
	.mode	= 0600,
};

static int kvm_online_cpu(unsigned int cpu)
{
	return kvm_arch_hardware_enable();
}

static int kvm_offline_cpu(unsigned int cpu)
{
	kvm_arch_hardware_disable();
	return 0;
}

static void hardware_disable_one(void *unused)
{
	kvm_arch_hardware_disable();
}

/*
 * Leave virtualization on every CPU before a reboot or kexec: a CPU left in VMX operation
 * blocks INIT, so the next kernel could not start it; arm64 kexec needs the hyp stub back.
 *
 * A crash kexec skips reboot notifiers. x86 has a callback for that path
 * (cpu_emergency_register_virt_callback), but it holds one callback only and kvm_intel
 * takes it at load: registering ours beside it WARNs, so minikvm leaves that path alone.
 */
static int kvm_reboot(struct notifier_block *nb, unsigned long code, void *unused)
{
	pr_info("disabling virtualization on every CPU for reboot\n");
	/* vCPU threads may still run: a virtualization instruction of theirs may fault, forgiven. */
	WRITE_ONCE(kvm_rebooting, true);
	on_each_cpu(hardware_disable_one, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block kvm_reboot_notifier = {
	.notifier_call = kvm_reboot,
};

static void hardware_report_one(void *m)
{
	kvm_arch_hardware_report(m);
}

/*
 * /sys/kernel/debug/minikvm/hardware: one line per online CPU, written on that CPU by the
 * arch, proving that the CPU really is in virtualization mode (see kvm_host.h).
 */
static int hardware_show(struct seq_file *m, void *unused)
{
	unsigned int cpu;

	cpus_read_lock();
	for_each_online_cpu(cpu)
		smp_call_function_single(cpu, hardware_report_one, m, 1);
	cpus_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hardware);

static int __init kvm_init(void)
{
	int r;

	r = kvm_arch_hardware_setup();
	if (r)
		return r;
	/* Switches the scheduler's preempt notifier calls on, for vcpu_load(). */
	preempt_notifier_inc();

	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "minikvm:online", kvm_online_cpu,
			      kvm_offline_cpu);
	if (r < 0) {
		pr_err("cannot enable virtualization on every online CPU (%d)\n", r);
		goto out_unsetup;
	}
	kvm_online_state = r;
	register_reboot_notifier(&kvm_reboot_notifier);

	kvm_debugfs_dir = debugfs_create_dir("minikvm", NULL);
	debugfs_create_file("hardware", 0400, kvm_debugfs_dir, NULL, &hardware_fops);
	kvm_arch_create_debugfs(kvm_debugfs_dir);

	r = misc_register(&kvm_dev);
	if (r) {
		pr_err("cannot register /dev/minikvm (%d)\n", r);
		goto out_debugfs;
	}
	return 0;

out_debugfs:
	debugfs_remove_recursive(kvm_debugfs_dir);
	unregister_reboot_notifier(&kvm_reboot_notifier);
	cpuhp_remove_state(kvm_online_state);
out_unsetup:
	preempt_notifier_dec();
	kvm_arch_hardware_unsetup();
	return r;
}

static void __exit kvm_exit(void)
{
	misc_deregister(&kvm_dev);
	debugfs_remove_recursive(kvm_debugfs_dir);
	unregister_reboot_notifier(&kvm_reboot_notifier);
	cpuhp_remove_state(kvm_online_state);
	preempt_notifier_dec();
	kvm_arch_hardware_unsetup();
}

module_init(kvm_init);
module_exit(kvm_exit);

MODULE_DESCRIPTION("minikvm: a small, readable KVM");
MODULE_LICENSE("GPL");
