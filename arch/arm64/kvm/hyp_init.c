// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 EL2, brought up and given back on each CPU: the checks at module load,
 * and in nVHE (the kernel at EL1, Linux's hyp stub at EL2) the installation of our EL2
 * code (hyp/) through the stub, and its removal at unload, around a CPU's
 * power-down (CPU PM) and for kexec. Also each CPU's HYP_FLAG_* bits, what the world
 * switch must do on it, and /sys/kernel/debug/minikvm's hardware report and cpu_pm hook.
 *
 * VHE (the kernel runs at EL2, HCR_EL2.E2H set): EL2 is already ours to use, and a hyp
 * call is a plain function call.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/cpu.h>
#include <linux/cpu_pm.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/workqueue.h>
#include <asm/cpufeature.h>
#include <asm/sysreg.h>
#include <asm/virt.h>

#include <minikvm/kvm_host.h>

#include "arm.h"

/* CurrentEL.EL, bits [3:2] (Arm ARM C5.2.1): the Exception level the CPU runs at. */
#define CURRENTEL_EL_MASK	GENMASK(3, 2)

/* ID_AA64MMFR3_EL1, which 6.1's headers do not name: TCRX, bits [3:0]; S1PIE, [11:8]. */
#define SYS_ID_AA64MMFR3		sys_reg(3, 0, 0, 7, 3)
#define ID_AA64MMFR3_TCRX_SHIFT		0
#define ID_AA64MMFR3_S1PIE_SHIFT	8
#define ID_AA64MMFR3_S1POE_SHIFT	16

/*
 * nVHE: the pages holding our EL2 code, and whether this CPU's VBAR_EL2 points at them
 * (kept over CPU_PM_ENTER, which gives EL2 back to the stub until CPU_PM_EXIT).
 */
static struct page *hyp_page;
static DEFINE_PER_CPU(bool, hyp_vectors_installed);

/* Each CPU's HYP_FLAG_* bits and host MDCR_EL2, from kvm_arch_hardware_enable(). */
static DEFINE_PER_CPU(u64, hyp_cpu_flags);
static DEFINE_PER_CPU(u64, host_mdcr_el2);

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
 * Whether EL2 holds Linux's hyp stub (or our vectors, which answer the probe as it does):
 * only the stub may be asked to run our installer, since other EL2 code would run it with
 * its own MMU on, where our physical addresses mean nothing.
 */
static bool hyp_is_linux_stub(void)
{
	return __kvm_call_hyp(MINIKVM_HC_PROBE) == HVC_STUB_ERR;
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

/* The smallest D-cache line of any CPU, in bytes; set by kvm_arch_hardware_setup(). */
static unsigned long kvm_dcache_line __ro_after_init;

/*
 * kvm_flush_dcache_to_poc() - clean and invalidate @addr..@addr+@size to the point of
 * coherency
 *
 * The stub runs EL2 with SCTLR_EL2.{M,C,I} clear, and so does our installer until it
 * turns them on: it fetches and loads from memory, the point of coherency, around the
 * caches; a guest with its MMU off does the same. Line by line with the smallest D-cache
 * line of any CPU, since dcache_clean_inval_poc() is not exported. Invalidating too drops
 * lines the CPU may have fetched meanwhile.
 */
void kvm_flush_dcache_to_poc(void *addr, size_t size)
{
	unsigned long start = ALIGN_DOWN((unsigned long)addr, kvm_dcache_line);

	for (; start < (unsigned long)addr + size; start += kvm_dcache_line)
		asm volatile("dc civac, %0" : : "r" (start) : "memory");
	/* As dcache_clean_inval_poc(): MMU-off accesses are outer shareable. */
	dsb(sy);
}

/*
 * kvm_flush_icache() - invalidate every I-cache: EL2 and a guest fetch code at physical
 * addresses, which an aliasing (VIPT) I-cache indexes differently from the linear-map
 * address that caches_clean_inval_pou() would invalidate.
 */
void kvm_flush_icache(void)
{
	asm volatile("ic ialluis" : : : "memory");
	dsb(ish);
	isb();
}

/*
 * Copies the EL2 code into pages of its own, with what the installer needs to turn
 * EL2's MMU on, and maps them in EL2's tables. Returns 0 or -ENOMEM.
 */
static int hyp_install_code(void)
{
	size_t size = __minikvm_hyp_end - __minikvm_hyp_start;
	int r;

	hyp_page = alloc_pages(GFP_KERNEL, get_order(size));
	if (!hyp_page)
		return -ENOMEM;
	memcpy(page_address(hyp_page), __minikvm_hyp_start, size);
	*(u64 *)hyp_kaddr(__minikvm_hyp_panic_handler) = (u64)nvhe_hyp_panic_handler;
	r = kvm_hyp_map(page_to_phys(hyp_page), size, true);
	if (r) {
		__free_pages(hyp_page, get_order(size));
		hyp_page = NULL;
		return r;
	}
	/* The installer runs it with the MMU, and so the caches, still off. */
	kvm_flush_dcache_to_poc(page_address(hyp_page), size);
	kvm_flush_icache();
	return 0;
}

/*
 * cpu_hyp_install() - point this CPU's VBAR_EL2 at our vectors
 *
 * The stub's HVC_SOFT_RESTART branches, at EL2, to the physical address in x1, with x2-x4
 * moved to x0-x2: our installer there saves the stub's VBAR_EL2 (the stub's address is not
 * exported, and its HVC_RESET_VECTORS does nothing) and installs ours, with EL2's stage 1
 * from those three arguments. Our vectors, if installed already,
 * take the same call as kexec's: they give EL2 back to the stub, which runs the installer.
 * Called with preemption disabled. Returns 0, or a negative errno after logging why.
 */
static int cpu_hyp_install(void)
{
	if (!hyp_is_linux_stub()) {
		pr_err("cpu%d: EL2 is not the Linux hyp stub\n", smp_processor_id());
		return -ENODEV;
	}
	__kvm_call_hyp(HVC_SOFT_RESTART, hyp_pa(__minikvm_hyp_install), kvm_hyp_mair(),
		       kvm_hyp_tcr(), kvm_hyp_ttbr0());
	/* Only our vectors answer this call. */
	if (__kvm_call_hyp(MINIKVM_HC___kvm_get_current_el) != CurrentEL_EL2) {
		pr_err("cpu%d: cannot install our EL2 vectors\n", smp_processor_id());
		return -EIO;
	}
	return 0;
}

/* Whether this CPU's EL2 runs our vectors: only they answer MINIKVM_HC___kvm_get_current_el. */
static bool cpu_hyp_is_ours(void)
{
	return __kvm_call_hyp(MINIKVM_HC___kvm_get_current_el) != HVC_STUB_ERR;
}

/*
 * cpu_hyp_reset() - give this CPU's EL2 back to the stub: our handler of HVC_RESET_VECTORS
 * puts back the stub it saved, with the MMU off. Returns whether it worked.
 */
static bool cpu_hyp_reset(void)
{
	__kvm_call_hyp(HVC_RESET_VECTORS);
	return !WARN_ONCE(cpu_hyp_is_ours(), "cannot give EL2 back to the hyp stub on cpu%d\n",
			  smp_processor_id());
}

/*
 * A CPU that powers down in an idle state or suspend loses EL2 and comes back through the
 * kernel's cpu_resume, with the stub; one that did not power down after all (entering
 * failed, or a shallower state) keeps what it had. As KVM does, give EL2 back to the stub
 * before (CPU_PM_ENTER) and install ours after (CPU_PM_EXIT, CPU_PM_ENTER_FAILED): EL2 is
 * then the stub's whenever the kernel's low-power code may expect it, and ours after,
 * either way. hyp_vectors_installed stays set in between, to say that we want it back.
 */
static int hyp_cpu_pm_notify(struct notifier_block *nb, unsigned long cmd, void *unused)
{
	if (!__this_cpu_read(hyp_vectors_installed))
		return NOTIFY_DONE;
	switch (cmd) {
	case CPU_PM_ENTER:
		cpu_hyp_reset();
		return NOTIFY_OK;
	case CPU_PM_ENTER_FAILED:
	case CPU_PM_EXIT:
		if (cpu_hyp_install())
			__this_cpu_write(hyp_vectors_installed, false);
		return NOTIFY_OK;
	}
	return NOTIFY_DONE;
}

static struct notifier_block hyp_cpu_pm_nb = {
	.notifier_call = hyp_cpu_pm_notify,
};

int kvm_arch_hardware_setup(void)
{
	u64 ctr = read_sanitised_ftr_reg(SYS_CTR_EL0);
	int r;

	/*
	 * CTR_EL0.DminLine: log2 of the line in 4-byte words, sanitised to the smallest of all
	 * CPUs. Read once: the lookup is a binary search, and each stage-2 fault cleans a page.
	 */
	kvm_dcache_line = 4UL << cpuid_feature_extract_unsigned_field(ctr, CTR_EL0_DminLine_SHIFT);

	/* Without debugfs, KVM's directory cannot exist whether KVM owns EL2 or not. */
	if (!debugfs_initialized()) {
		pr_err("debugfs is off: cannot tell whether KVM owns EL2\n");
		return -ENODEV;
	}
	if (kvm_owns_el2()) {
		pr_err("KVM owns EL2; boot with kvm-arm.mode=none\n");
		return -EBUSY;
	}
	r = kvm_arm_vmid_init();
	if (r)
		return r;
	kvm_spectre_init();
	kvm_guest_hcr_init();
	if (is_kernel_in_hyp_mode()) {
		pr_info("mode=vhe: the kernel runs at EL2\n");
		return 0;
	}
	/* Without EL2, "hvc" is UNDEFINED: check before making the first hyp call. */
	if (!cpu_has_el2()) {
		pr_err("no EL2; boot at EL2 with kvm-arm.mode=none\n");
		r = -ENODEV;
		goto out_free_vmid;
	}
	if (!hyp_is_linux_stub()) {
		pr_err("EL2 is not the Linux hyp stub; boot at EL2 with kvm-arm.mode=none\n");
		r = -ENODEV;
		goto out_free_vmid;
	}

	r = kvm_hyp_init_pgtable();
	if (r)
		goto out_free_vmid;
	r = hyp_install_code();
	if (r)
		goto out_free_pgtable;
	r = cpu_pm_register_notifier(&hyp_cpu_pm_nb);
	if (r)
		goto out_free;
	pr_info("mode=nvhe: the kernel runs at EL1, minikvm's EL2 vectors at %pa\n",
		&(phys_addr_t){ page_to_phys(hyp_page) });
	return 0;

out_free:
	__free_pages(hyp_page, get_order(__minikvm_hyp_end - __minikvm_hyp_start));
	hyp_page = NULL;
out_free_pgtable:
	kvm_hyp_free_pgtable();
out_free_vmid:
	kvm_arm_vmid_free();
	return r;
}

void kvm_arch_hardware_unsetup(void)
{
	int cpu;

	kvm_arm_vmid_free();
	if (!hyp_page)
		return;
	cpu_pm_unregister_notifier(&hyp_cpu_pm_nb);
	/* A CPU whose VBAR_EL2 still points at the page would run whatever reuses it. */
	for_each_possible_cpu(cpu)
		if (WARN_ON(per_cpu(hyp_vectors_installed, cpu)))
			return;
	__free_pages(hyp_page, get_order(__minikvm_hyp_end - __minikvm_hyp_start));
	hyp_page = NULL;
	kvm_hyp_free_pgtable();
}

/* This CPU's ID register field at @shift, 4 bits, as the CPU reports it. */
#define cpu_id_field(reg, shift) \
	cpuid_feature_extract_unsigned_field(read_sysreg_s(reg), shift)

/*
 * The HYP_FLAG_* bits of this CPU (hyp.h), from the CPU's own ID registers where a register
 * exists or not, and from the kernel's capabilities where it decided (RAS, GICv3, errata).
 */
static u64 hyp_cpu_flags_now(void)
{
	u64 flags = kvm_spectre_hyp_flags();

	if (cpu_id_field(SYS_ID_AA64MMFR1_EL1, ID_AA64MMFR1_EL1_HCX_SHIFT))
		flags |= BIT(HYP_FLAG_HCX);
	if (cpu_id_field(SYS_ID_AA64MMFR0_EL1, ID_AA64MMFR0_EL1_FGT_SHIFT))
		flags |= BIT(HYP_FLAG_FGT);
	else if (cpu_id_field(SYS_ID_AA64PFR1_EL1, ID_AA64PFR1_EL1_SME_SHIFT))
		flags |= BIT(HYP_FLAG_TPIDR2);
	if (kvm_has_ras())
		flags |= BIT(HYP_FLAG_RAS);
	if (cpus_have_final_cap(ARM64_CAP_GIC_CPUIF))
		flags |= BIT(HYP_FLAG_GICV3);
	if (cpus_have_final_cap(ARM64_WORKAROUND_834220))
		flags |= BIT(HYP_FLAG_AT_ALL_ABORTS);
	if (is_kernel_in_hyp_mode())
		flags |= BIT(HYP_FLAG_VHE);
	return flags;
}

/** kvm_hyp_cpu_flags() - this CPU's HYP_FLAG_* bits; preemption off */
u64 kvm_hyp_cpu_flags(void)
{
	return __this_cpu_read(hyp_cpu_flags);
}

/** kvm_host_mdcr_el2() - the host's MDCR_EL2 on this CPU; preemption off */
u64 kvm_host_mdcr_el2(void)
{
	return __this_cpu_read(host_mdcr_el2);
}

int kvm_arch_hardware_enable(void)
{
	int r = 0;

	/* No idle (and so no CPU PM notifier) between installing and saying so. */
	preempt_disable();
	__this_cpu_write(hyp_cpu_flags, hyp_cpu_flags_now());
	if (!is_kernel_in_hyp_mode() && !__this_cpu_read(hyp_vectors_installed)) {
		r = cpu_hyp_install();
		__this_cpu_write(hyp_vectors_installed, !r);
	}
	/* It never changes: the stub's in nVHE (through our vectors), the kernel's in VHE. */
	if (!r)
		__this_cpu_write(host_mdcr_el2, kvm_call_hyp(__kvm_get_mdcr_el2));
	preempt_enable();
	return r;
}

void kvm_arch_hardware_disable(void)
{
	preempt_disable();
	if (__this_cpu_read(hyp_vectors_installed))
		__this_cpu_write(hyp_vectors_installed, !cpu_hyp_reset());
	preempt_enable();
}

/*
 * After the proof of EL2, what this CPU has of the features the world switch cares about
 * (the emulators' "-cpu max" has some, not all), and the flags it runs with.
 */
static void hyp_report_features(struct seq_file *m)
{
	seq_printf(m, " hcx=%u fgt=%u sme=%u ras=%u tcr2=%u s1pie=%u s1poe=%u csv2=%u ecbhb=%u clrbhb=%u flags=0x%llx\n",
		   cpu_id_field(SYS_ID_AA64MMFR1_EL1, ID_AA64MMFR1_EL1_HCX_SHIFT),
		   cpu_id_field(SYS_ID_AA64MMFR0_EL1, ID_AA64MMFR0_EL1_FGT_SHIFT),
		   cpu_id_field(SYS_ID_AA64PFR1_EL1, ID_AA64PFR1_EL1_SME_SHIFT),
		   cpu_id_field(SYS_ID_AA64PFR0_EL1, ID_AA64PFR0_EL1_RAS_SHIFT),
		   cpu_id_field(SYS_ID_AA64MMFR3, ID_AA64MMFR3_TCRX_SHIFT),
		   cpu_id_field(SYS_ID_AA64MMFR3, ID_AA64MMFR3_S1PIE_SHIFT),
		   cpu_id_field(SYS_ID_AA64MMFR3, ID_AA64MMFR3_S1POE_SHIFT),
		   cpu_id_field(SYS_ID_AA64PFR0_EL1, ID_AA64PFR0_EL1_CSV2_SHIFT),
		   cpu_id_field(SYS_ID_AA64MMFR1_EL1, ID_AA64MMFR1_EL1_ECBHB_SHIFT),
		   cpu_id_field(SYS_ID_AA64ISAR2_EL1, ID_AA64ISAR2_EL1_CLRBHB_SHIFT),
		   __this_cpu_read(hyp_cpu_flags));
}

void kvm_arch_hardware_report(struct seq_file *m)
{
	const char *mode = is_kernel_in_hyp_mode() ? "vhe" : "nvhe";
	unsigned long el = kvm_call_hyp(__kvm_get_current_el);

	/* The stub's answer: our vectors are not installed on this CPU. */
	if (el == HVC_STUB_ERR)
		seq_printf(m, "cpu%d: mode=%s hyp=stub", smp_processor_id(), mode);
	else if (is_kernel_in_hyp_mode())
		seq_printf(m, "cpu%d: mode=%s current_el=%lu", smp_processor_id(), mode,
			   FIELD_GET(CURRENTEL_EL_MASK, el));
	else
		seq_printf(m, "cpu%d: mode=%s current_el=%lu el2_mmu=%s", smp_processor_id(),
			   mode, FIELD_GET(CURRENTEL_EL_MASK, el),
			   kvm_call_hyp(__kvm_get_sctlr_el2) & SCTLR_ELx_M ?
			   "on" : "off");
	hyp_report_features(m);
}

/*
 * One CPU's turn of the cpu_pm test hook, in a worker bound to it: the calls an idle state
 * that loses the CPU's state makes around its power-down, with interrupts off, the stub
 * expected in EL2 between them and our vectors after; then our vectors' HVC_SOFT_RESTART,
 * as kexec would make it, aimed at our installer, and our vectors expected again.
 */
static long hyp_cpu_pm_cycle(void *unused)
{
	bool ours, stub_between = true, ours_after = true;
	long r = 0;

	local_irq_disable();
	ours = __this_cpu_read(hyp_vectors_installed);
	r = cpu_pm_enter();
	if (!r) {
		if (ours)
			stub_between = !cpu_hyp_is_ours();
		cpu_pm_exit();
		if (ours) {
			ours_after = cpu_hyp_is_ours();
			ours_after &= !cpu_hyp_install() && cpu_hyp_is_ours();
		}
	}
	local_irq_enable();
	if (!r && !(stub_between && ours_after)) {
		pr_err("cpu%d: CPU PM: EL2 %s\n", smp_processor_id(),
		       stub_between ? "not ours again after CPU_PM_EXIT or a soft restart" :
				      "still ours after CPU_PM_ENTER");
		r = -EIO;
	}
	return r;
}

/*
 * /sys/kernel/debug/minikvm/cpu_pm, a test hook: a write runs hyp_cpu_pm_cycle() on every
 * online CPU (the lab's emulated CPUs have no idle state that powers down) and fails with
 * its error, if any.
 */
static ssize_t hyp_cpu_pm_write(struct file *file, const char __user *buf, size_t count,
				loff_t *ppos)
{
	unsigned int cpu;
	long r = 0;

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		r = work_on_cpu(cpu, hyp_cpu_pm_cycle, NULL);
		if (r)
			break;
	}
	cpus_read_unlock();
	return r ?: count;
}

static const struct file_operations hyp_cpu_pm_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= hyp_cpu_pm_write,
	.llseek	= noop_llseek,
};

void kvm_arch_create_debugfs(struct dentry *dir)
{
	debugfs_create_file("cpu_pm", 0200, dir, NULL, &hyp_cpu_pm_fops);
}
