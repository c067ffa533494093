// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 backend: getting to EL2.
 *
 * VHE (the kernel runs at EL2, HCR_EL2.E2H set): EL2 is already ours to use, and a hyp
 * call is a plain function call.
 * nVHE (the kernel runs at EL1 and Linux's hyp stub waits at EL2): the module installs its
 * own EL2 vectors (hyp/hyp-entry.S) on every CPU through the stub, and a hyp call is
 * "hvc #0".
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/cpu_pm.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <asm/barrier.h>
#include <asm/cpufeature.h>
#include <asm/sysreg.h>
#include <asm/virt.h>

#include <minikvm/compat.h>
#include <minikvm/kvm_host.h>

#include "hyp.h"

/* CurrentEL.EL, bits [3:2] (Arm ARM C5.2.1): the Exception level the CPU runs at. */
#define CURRENTEL_EL_MASK	GENMASK(3, 2)

/* nVHE: the page holding our EL2 code, and whether this CPU's VBAR_EL2 points at it. */
static struct page *hyp_page;
static DEFINE_PER_CPU(bool, hyp_vectors_installed);

/**
 * kvm_call_hyp() - run hyp call @nr at EL2 and return its result
 * @nr: a MINIKVM_HC_* number
 *
 * nVHE: "hvc #0" into our vectors. VHE: the kernel already runs at EL2, so the same hyp
 * call is a direct call.
 */
static unsigned long kvm_call_hyp(unsigned long nr)
{
	if (!is_kernel_in_hyp_mode())
		return __kvm_call_hyp(nr, 0, 0, 0);

	switch (nr) {
	case MINIKVM_HC_CURRENT_EL:
		return read_sysreg(CurrentEL);
	}
	/* What EL2 answers to a number it does not know. */
	return HVC_STUB_ERR;
}

/*
 * Whether real KVM took EL2 at boot. It is built into Debian's kernel (CONFIG_KVM=y) and
 * does so unless kvm-arm.mode=none, with which kvm_arm_init() (kvm_arch_init() in 6.1)
 * returns before kvm_init() creates KVM's debugfs directory. KVM exports no flag for it
 * (kvm_debugfs_dir is exported by 6.1 only), so that directory is the sign.
 */
static bool kvm_owns_el2(void)
{
	struct dentry *kvm_dir = debugfs_lookup("kvm", NULL);

	dput(kvm_dir);
	return kvm_dir != NULL;
}

/* ID_AA64PFR0_EL1.EL2, sanitised over every CPU: 0 means some CPU has no EL2. */
static bool cpu_has_el2(void)
{
	u64 pfr0 = read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1);

	return cpuid_feature_extract_unsigned_field(pfr0, ID_AA64PFR0_EL1_EL2_SHIFT) !=
	       ID_AA64PFR0_EL1_EL2_NI;
}

/*
 * Whether EL2 holds Linux's hyp stub (or our vectors, which pass it the probe): only the
 * stub may be asked to run our installer, since other EL2 code would run it with its own
 * MMU on, where our physical addresses mean nothing.
 */
static bool hyp_is_linux_stub(void)
{
	return __kvm_call_hyp(MINIKVM_HC_PROBE, 0, 0, 0) == HVC_STUB_ERR;
}

/* Kernel address, in the copied page, of a symbol of the EL2 code. */
static void *hyp_kaddr(const char *sym)
{
	return page_address(hyp_page) + (sym - __minikvm_hyp_start);
}

/* Physical address, in the copied page, of a symbol of the EL2 code: what EL2 runs on. */
static phys_addr_t hyp_pa(const char *sym)
{
	return page_to_phys(hyp_page) + (sym - __minikvm_hyp_start);
}

/**
 * nvhe_hyp_panic_handler() - report an exception our EL2 vectors cannot handle
 * @vector: offset of the vector entry EL2 took
 * @esr: ESR_EL2, the syndrome (meaningless for IRQ and FIQ)
 * @elr: ELR_EL2, where the exception was taken
 * @spsr: SPSR_EL2, the PSTATE it was taken from
 * @far: FAR_EL2, the faulting address of an abort
 *
 * Entered at EL1, with every exception masked, by an ERET from hyp_panic (hyp-entry.S)
 * instead of a return to the code that was running: that code cannot be resumed.
 */
static void __noreturn nvhe_hyp_panic_handler(u64 vector, u64 esr, u64 elr, u64 spsr,
					      u64 far)
{
	panic("minikvm: unexpected exception at EL2: vector 0x%llx ESR_EL2 0x%llx ELR_EL2 0x%llx SPSR_EL2 0x%llx FAR_EL2 0x%llx\n",
	      vector, esr, elr, spsr, far);
}

/*
 * The stub runs EL2 with SCTLR_EL2.{M,C,I} clear: EL2 fetches and loads from memory, the
 * point of coherency, around the caches. So clean the copy out of the D-cache to the PoC,
 * line by line with the smallest D-cache line of any CPU (CTR_EL0.DminLine: log2 of the
 * line size in 4-byte words), since dcache_clean_inval_poc() is not exported; then
 * invalidate every I-cache: EL2 fetches the code at its physical address, which an
 * aliasing (VIPT) I-cache indexes differently from the linear-map address that
 * caches_clean_inval_pou() would invalidate.
 */
static void hyp_clean_to_poc(void *start, size_t size)
{
	u64 ctr = read_sanitised_ftr_reg(SYS_CTR_EL0);
	unsigned long line = 4UL << cpuid_feature_extract_unsigned_field(ctr,
								 CTR_EL0_DminLine_SHIFT);
	unsigned long addr = ALIGN_DOWN((unsigned long)start, line);

	for (; addr < (unsigned long)start + size; addr += line)
		asm volatile("dc civac, %0" : : "r" (addr) : "memory");
	/* As dcache_clean_inval_poc(): EL2's MMU-off accesses are outer shareable. */
	dsb(sy);
	asm volatile("ic ialluis" : : : "memory");
	dsb(ish);
	isb();
}

/* Copies the EL2 code into a page of its own, which EL2 can run with its MMU off. */
static int hyp_install_code(void)
{
	size_t size = __minikvm_hyp_end - __minikvm_hyp_start;

	if (WARN_ON(size > PAGE_SIZE))
		return -E2BIG;
	hyp_page = alloc_page(GFP_KERNEL);
	if (!hyp_page)
		return -ENOMEM;
	memcpy(page_address(hyp_page), __minikvm_hyp_start, size);
	*(u64 *)hyp_kaddr(__minikvm_hyp_panic_handler) = (u64)nvhe_hyp_panic_handler;
	hyp_clean_to_poc(page_address(hyp_page), size);
	return 0;
}

/*
 * cpu_hyp_install() - point this CPU's VBAR_EL2 at our vectors
 *
 * The stub's HVC_SOFT_RESTART branches, at EL2, to the physical address in x1: our
 * installer there saves the stub's VBAR_EL2 (the stub's address is not exported, and its
 * HVC_RESET_VECTORS does nothing) and installs ours. Called with preemption disabled.
 * Returns 0, or a negative errno after logging why.
 */
static int cpu_hyp_install(void)
{
	if (!hyp_is_linux_stub()) {
		pr_err("cpu%d: EL2 is not the Linux hyp stub\n", smp_processor_id());
		return -ENODEV;
	}
	__kvm_call_hyp(HVC_SOFT_RESTART, hyp_pa(__minikvm_hyp_install), 0, 0);
	/* Only our vectors answer this call. */
	if (__kvm_call_hyp(MINIKVM_HC_CURRENT_EL, 0, 0, 0) != CurrentEL_EL2) {
		pr_err("cpu%d: cannot install our EL2 vectors\n", smp_processor_id());
		return -EIO;
	}
	return 0;
}

/*
 * A CPU that powers down in a deep idle state comes back through the kernel's cpu_resume,
 * which points VBAR_EL2 at the stub again: install ours again. A CPU that kept its state
 * still has them, and the installer leaves them be.
 */
static int hyp_cpu_pm_notify(struct notifier_block *nb, unsigned long cmd, void *unused)
{
	if (cmd == CPU_PM_EXIT && __this_cpu_read(hyp_vectors_installed) && cpu_hyp_install())
		__this_cpu_write(hyp_vectors_installed, false);
	return NOTIFY_OK;
}

static struct notifier_block hyp_cpu_pm_nb = {
	.notifier_call = hyp_cpu_pm_notify,
};

int kvm_arch_hardware_setup(void)
{
	int r;

	/* Without debugfs, KVM's directory cannot exist whether KVM owns EL2 or not. */
	if (!debugfs_initialized()) {
		pr_err("debugfs is off: cannot tell whether KVM owns EL2\n");
		return -ENODEV;
	}
	if (kvm_owns_el2()) {
		pr_err("KVM owns EL2; boot with kvm-arm.mode=none\n");
		return -EBUSY;
	}
	if (is_kernel_in_hyp_mode()) {
		pr_info("mode=vhe: the kernel runs at EL2\n");
		return 0;
	}
	/* Without EL2, "hvc" is UNDEFINED: check before making the first hyp call. */
	if (!cpu_has_el2()) {
		pr_err("no EL2; boot at EL2 with kvm-arm.mode=none\n");
		return -ENODEV;
	}
	if (!hyp_is_linux_stub()) {
		pr_err("EL2 is not the Linux hyp stub; boot at EL2 with kvm-arm.mode=none\n");
		return -ENODEV;
	}

	r = hyp_install_code();
	if (r)
		return r;
	r = cpu_pm_register_notifier(&hyp_cpu_pm_nb);
	if (r)
		goto out_free;
	pr_info("mode=nvhe: the kernel runs at EL1, minikvm's EL2 vectors at %pa\n",
		&(phys_addr_t){ page_to_phys(hyp_page) });
	return 0;

out_free:
	__free_page(hyp_page);
	hyp_page = NULL;
	return r;
}

void kvm_arch_hardware_unsetup(void)
{
	int cpu;

	if (!hyp_page)
		return;
	cpu_pm_unregister_notifier(&hyp_cpu_pm_nb);
	/* A CPU whose VBAR_EL2 still points at the page would run whatever reuses it. */
	for_each_possible_cpu(cpu)
		if (WARN_ON(per_cpu(hyp_vectors_installed, cpu)))
			return;
	__free_page(hyp_page);
	hyp_page = NULL;
}

int kvm_arch_hardware_enable(void)
{
	int r = 0;

	if (is_kernel_in_hyp_mode())
		return 0;
	/* No idle (and so no CPU PM notifier) between installing and saying so. */
	preempt_disable();
	if (!__this_cpu_read(hyp_vectors_installed)) {
		r = cpu_hyp_install();
		__this_cpu_write(hyp_vectors_installed, !r);
	}
	preempt_enable();
	return r;
}

void kvm_arch_hardware_disable(void)
{
	bool still_ours;

	preempt_disable();
	if (__this_cpu_read(hyp_vectors_installed)) {
		/* Our handler of HVC_RESET_VECTORS puts back the stub it saved. */
		__kvm_call_hyp(HVC_RESET_VECTORS, 0, 0, 0);
		/* The stub answers our call with HVC_STUB_ERR; our vectors would not. */
		still_ours = __kvm_call_hyp(MINIKVM_HC_CURRENT_EL, 0, 0, 0) != HVC_STUB_ERR;
		WARN_ONCE(still_ours, "cannot give EL2 back to the hyp stub on cpu%d\n",
			  smp_processor_id());
		__this_cpu_write(hyp_vectors_installed, still_ours);
	}
	preempt_enable();
}

void kvm_arch_hardware_report(struct seq_file *m)
{
	const char *mode = is_kernel_in_hyp_mode() ? "vhe" : "nvhe";
	unsigned long el = kvm_call_hyp(MINIKVM_HC_CURRENT_EL);

	/* The stub's answer: our vectors are not installed on this CPU. */
	if (el == HVC_STUB_ERR)
		seq_printf(m, "cpu%d: mode=%s hyp=stub\n", smp_processor_id(), mode);
	else
		seq_printf(m, "cpu%d: mode=%s current_el=%lu\n", smp_processor_id(), mode,
			   FIELD_GET(CURRENTEL_EL_MASK, el));
}

int kvm_vm_ioctl_check_extension(struct kvm *kvm, long ext)
{
	return 0;
}

int kvm_arch_init_vm(struct kvm *kvm, unsigned long type)
{
	/*
	 * The type selects the guest's IPA size (KVM_VM_TYPE_ARM_IPA_SIZE); until stage 2
	 * exists only the default, 0, is accepted.
	 */
	return type ? -EINVAL : 0;
}

int kvm_arch_prepare_memory_region(struct kvm *kvm, const struct kvm_memory_slot *new)
{
	/* Stage 2 covers the VM's IPA space; a slot beyond it is EFAULT, as in KVM. */
	return new->base_gfn + new->npages > KVM_PHYS_SIZE_DEFAULT >> PAGE_SHIFT ? -EFAULT : 0;
}

void kvm_arch_destroy_vm(struct kvm *kvm)
{
}

int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)
{
	return 0;
}

void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)
{
}

long kvm_arch_vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	return -EINVAL;
}

void kvm_arch_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
}

void kvm_arch_vcpu_put(struct kvm_vcpu *vcpu)
{
}

bool kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu)
{
	return false;
}

void kvm_arch_flush_shadow_memslot(struct kvm *kvm, const struct kvm_memory_slot *slot)
{
}

/* Until the backend can enter a guest: the contract's first step, then a clear refusal. */
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	if (kvm_run_immediate_exit(vcpu->run))
		return -EINTR;
	pr_info_ratelimited("KVM_RUN: this backend cannot enter a guest yet\n");
	return -EOPNOTSUPP;
}

long kvm_arch_vcpu_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	return -EINVAL;
}

vm_fault_t kvm_arch_vcpu_fault(struct kvm_vcpu *vcpu, struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}
