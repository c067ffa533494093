// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's Intel VMX backend: entering and leaving VMX operation on every CPU.
 *
 * References are to the Intel SDM, Volume 3C: chapter 24 (VMX operation), 25.11.5 (the
 * VMXON region), appendix A (the VMX capability MSRs).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <asm/asm.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/tlbflush.h>

#include <minikvm/kvm_host.h>

/* IA32_VMX_BASIC (SDM A.1): the fields minikvm needs. */
#define VMX_BASIC_REVISION_MASK		GENMASK_ULL(30, 0)
#define VMX_BASIC_REGION_SIZE(basic)	(((basic) >> 32) & GENMASK_ULL(12, 0))
#define VMX_BASIC_MEMTYPE(basic)	(((basic) >> 50) & GENMASK_ULL(3, 0))
#define VMX_BASIC_MEMTYPE_WB		6

/* CPUID.1:ECX bit 5 (SDM 24.6): the processor supports VMX. */
#define CPUID_1_ECX_VMX			BIT(5)

/**
 * struct vmcs_config - what every CPU's VMX regions are made from
 * @revision_id: VMCS revision identifier, written at the start of VMXON and VMCS regions
 * @region_size: bytes the CPU may touch in such a region (at most a page)
 */
static struct vmcs_config {
	u32 revision_id;
	u32 region_size;
} vmcs_config;

/* Each CPU's VMXON region (a page of its own, SDM 25.11.5), and whether VMXON ran. */
static DEFINE_PER_CPU(struct page *, vmxon_region);
static DEFINE_PER_CPU(bool, vmx_enabled);

/*
 * Raw CPUID, not X86_FEATURE_VMX: Linux clears the feature flag when firmware disabled VMX,
 * and we want to say which of the two is the case.
 */
static bool cpu_has_vmx(void)
{
	return cpuid_ecx(1) & CPUID_1_ECX_VMX;
}

/*
 * Firmware decides whether VMX may be used through IA32_FEATURE_CONTROL (SDM 24.7): once
 * locked, VMXON outside SMX #GPs unless the enable bit is set. An unlocked MSR is ours to
 * set and lock, as Linux itself does at boot on Intel CPUs.
 */
static int vmx_check_feature_control(void)
{
	u64 msr;

	rdmsrl(MSR_IA32_FEAT_CTL, msr);
	if (!(msr & FEAT_CTL_LOCKED)) {
		msr |= FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX;
		wrmsrl(MSR_IA32_FEAT_CTL, msr);
		return 0;
	}
	if (!(msr & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("VMX disabled by firmware (IA32_FEATURE_CONTROL) on cpu%d\n",
		       smp_processor_id());
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * CR0 and CR4 must hold the values IA32_VMX_CRn_FIXED0/1 demand in VMX operation (SDM A.7,
 * A.8): bits set in FIXED0 must be 1, bits clear in FIXED1 must be 0. Linux runs with
 * paging and protection on, so this holds once CR4.VMXE is set; check rather than assume.
 */
static bool vmx_cr_fixed_ok(unsigned long cr, u32 fixed0_msr, u32 fixed1_msr)
{
	u64 fixed0, fixed1;

	rdmsrl(fixed0_msr, fixed0);
	rdmsrl(fixed1_msr, fixed1);
	return (cr & fixed0) == fixed0 && !(cr & ~fixed1);
}

/* VMXON; returns 0, -EFAULT if it faulted, or -EIO if it failed (CF or ZF set). */
static int kvm_cpu_vmxon(u64 pa)
{
	asm goto("1: vmxon %[pa]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (pa) : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	return -EFAULT;
}

/* VMXOFF; a fault means we were not in VMX operation: say so, never oops. */
static void kvm_cpu_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : fault);
	return;
fault:
	pr_err("VMXOFF faulted on cpu%d\n", smp_processor_id());
}

int kvm_arch_hardware_setup(void)
{
	u64 basic;
	int cpu;

	if (!cpu_has_vmx()) {
		pr_err("no VMX on this CPU\n");
		return -EOPNOTSUPP;
	}

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vmcs_config.revision_id = basic & VMX_BASIC_REVISION_MASK;
	vmcs_config.region_size = VMX_BASIC_REGION_SIZE(basic);
	if (vmcs_config.region_size > PAGE_SIZE) {
		pr_err("VMCS region of %u bytes does not fit a page\n", vmcs_config.region_size);
		return -EOPNOTSUPP;
	}
	if (VMX_BASIC_MEMTYPE(basic) != VMX_BASIC_MEMTYPE_WB) {
		pr_err("VMX regions are not write-back memory\n");
		return -EOPNOTSUPP;
	}

	for_each_possible_cpu(cpu) {
		struct page *page = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);

		if (!page)
			goto out_free;
		*(u32 *)page_address(page) = vmcs_config.revision_id;
		per_cpu(vmxon_region, cpu) = page;
	}

	pr_info("VMX: VMCS revision 0x%x, region %u bytes\n", vmcs_config.revision_id,
		vmcs_config.region_size);
	return 0;

out_free:
	kvm_arch_hardware_unsetup();
	return -ENOMEM;
}

void kvm_arch_hardware_unsetup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(vmxon_region, cpu))
			__free_page(per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
}

int kvm_arch_hardware_enable(void)
{
	int cpu = raw_smp_processor_id();
	u64 pa = page_to_phys(per_cpu(vmxon_region, cpu));
	int r;

	/* Another hypervisor (kvm_intel with a VM, say) is in VMX operation here. */
	if (__read_cr4() & X86_CR4_VMXE) {
		pr_err("VMX already in use on cpu%d (kvm_intel loaded?)\n", cpu);
		return -EBUSY;
	}
	r = vmx_check_feature_control();
	if (r)
		return r;
	if (!vmx_cr_fixed_ok(read_cr0(), MSR_IA32_VMX_CR0_FIXED0, MSR_IA32_VMX_CR0_FIXED1) ||
	    !vmx_cr_fixed_ok(__read_cr4() | X86_CR4_VMXE, MSR_IA32_VMX_CR4_FIXED0,
			     MSR_IA32_VMX_CR4_FIXED1)) {
		pr_err("CR0/CR4 do not allow VMX operation on cpu%d\n", cpu);
		return -EOPNOTSUPP;
	}

	cr4_set_bits(X86_CR4_VMXE);
	r = kvm_cpu_vmxon(pa);
	if (r) {
		cr4_clear_bits(X86_CR4_VMXE);
		pr_err("VMXON %s on cpu%d\n", r == -EIO ? "failed" : "faulted", cpu);
		return r;
	}
	__this_cpu_write(vmx_enabled, true);
	return 0;
}

void kvm_arch_hardware_disable(void)
{
	if (!__this_cpu_read(vmx_enabled))
		return;
	kvm_cpu_vmxoff();
	cr4_clear_bits(X86_CR4_VMXE);
	__this_cpu_write(vmx_enabled, false);
}

/*
 * VMPTRST is legal only in VMX operation (it #UDs outside it): executing it proves VMXON
 * happened on this CPU. With no current VMCS it stores all ones.
 */
void kvm_arch_hardware_report(struct seq_file *m)
{
	int cpu = smp_processor_id();
	u64 vmcs_ptr;

	asm goto("1: vmptrst %[ptr]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : [ptr] "=m" (vmcs_ptr) : : "memory" : fault);
	seq_printf(m, "cpu%d: vmx=on vmxon=0x%llx revision=0x%x vmcs_ptr=0x%llx\n", cpu,
		   (u64)page_to_phys(per_cpu(vmxon_region, cpu)), vmcs_config.revision_id,
		   vmcs_ptr);
	return;
fault:
	seq_printf(m, "cpu%d: vmx=off\n", cpu);
}
