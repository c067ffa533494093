// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm core: the /dev/minikvm device, its system ioctls, and the per-CPU hardware
 * enable/disable that every backend needs: what kvm_main.c is to KVM.
 *
 * Virtualization is enabled on every CPU when the module loads (as KVM 6.12 does by
 * default with enable_virt_at_load), through a CPU hotplug state so that CPUs coming online
 * later are enabled too and CPUs going offline are disabled. Loading early makes a failure
 * visible at insmod time, with one dmesg line, instead of at the first KVM_CREATE_VM.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/reboot.h>
#include <linux/seq_file.h>
#include <linux/smp.h>

#include <minikvm/kvm_host.h>

static enum cpuhp_state kvm_online_state;
static struct dentry *kvm_debugfs_dir;

static long kvm_dev_ioctl_check_extension_generic(long ext)
{
	/* Nothing generic is implemented yet: every capability is answered by the arch. */
	return kvm_arch_dev_ioctl_check_extension(ext);
}

static long kvm_dev_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		/* KVM refuses a non-zero argument: the ioctl takes none. */
		if (arg)
			return -EINVAL;
		return MINIKVM_API_VERSION;
	case KVM_CHECK_EXTENSION:
		return kvm_dev_ioctl_check_extension_generic(arg);
	default:
		return -EINVAL;
	}
}

static const struct file_operations kvm_chardev_ops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kvm_dev_ioctl,
	.compat_ioctl	= kvm_dev_ioctl,
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
	kvm_arch_hardware_unsetup();
	return r;
}

static void __exit kvm_exit(void)
{
	misc_deregister(&kvm_dev);
	debugfs_remove_recursive(kvm_debugfs_dir);
	unregister_reboot_notifier(&kvm_reboot_notifier);
	cpuhp_remove_state(kvm_online_state);
	kvm_arch_hardware_unsetup();
}

module_init(kvm_init);
module_exit(kvm_exit);

MODULE_DESCRIPTION("minikvm: a small, readable KVM");
MODULE_LICENSE("GPL");
