// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 backend: getting to EL2.
 *
 * VHE (the kernel runs at EL2, HCR_EL2.E2H set): EL2 is already ours to use, and a hyp
 * call is a plain function call.
 * nVHE (the kernel runs at EL1 and Linux's hyp stub waits at EL2): the module installs its
 * own EL2 vectors on every CPU through the stub, and a hyp call is "hvc #0".
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <asm/barrier.h>
#include <asm/cpufeature.h>
#include <asm/cputype.h>
#include <asm/sysreg.h>
#include <asm/virt.h>

#include <minikvm/kvm_host.h>

#include "hyp.h"

/* Real KVM, once initialised, registers this misc device; with kvm-arm.mode=none it does not. */
#define KVM_MISC_DEVICE_SYSFS	"/sys/class/misc/kvm"

/* nVHE: the page holding our EL2 code, and whether this CPU's VBAR_EL2 points at it. */
static struct page *hyp_page;
static DEFINE_PER_CPU(bool, hyp_vectors_installed);

/* "hvc #0" with up to four arguments, as the stub and our vectors expect them. */
static unsigned long __kvm_call_hyp_hvc(unsigned long nr, unsigned long a1, unsigned long a2,
					unsigned long a3)
{
	register unsigned long x0 asm("x0") = nr;
	register unsigned long x1 asm("x1") = a1;
	register unsigned long x2 asm("x2") = a2;
	register unsigned long x3 asm("x3") = a3;
	register unsigned long x4 asm("x4");

	/* The stub's soft restart moves x1-x4 around; our vectors use x16/x17 as scratch. */
	asm volatile("hvc #0"
		     : "+r" (x0), "+r" (x1), "+r" (x2), "+r" (x3), "=r" (x4)
		     : : "x16", "x17", "memory");
	return x0;
}

/* VHE: the hyp calls, run directly at EL2. */
static unsigned long __kvm_call_hyp_vhe(unsigned long nr)
{
	switch (nr) {
	case MINIKVM_HC_CURRENT_EL:
		return read_sysreg(CurrentEL);
	default:
		return HVC_STUB_ERR;
	}
}

/**
 * kvm_call_hyp() - run hyp call @nr at EL2 and return its result
 * @nr: a MINIKVM_HC_* number
 *
 * nVHE: a hyp call into our vectors. VHE: the kernel already runs at EL2, so the same work
 * is a direct call.
 */
static unsigned long kvm_call_hyp(unsigned long nr)
{
	if (is_kernel_in_hyp_mode())
		return __kvm_call_hyp_vhe(nr);
	return __kvm_call_hyp_hvc(nr, 0, 0, 0);
}

/*
 * Whether real KVM has taken EL2. Built into Debian's kernel, it does so at boot unless
 * kvm-arm.mode=none; it exports no way to ask, but then registers /dev/kvm, whose sysfs
 * entry we look up (an unmounted sysfs reads as "no KVM").
 */
static bool kvm_owns_el2(void)
{
	struct path path;

	if (kern_path(KVM_MISC_DEVICE_SYSFS, LOOKUP_FOLLOW, &path))
		return false;
	path_put(&path);
	return true;
}

static bool cpu_has_el2(void)
{
	u64 pfr0 = read_sysreg_s(SYS_ID_AA64PFR0_EL1);

	return cpuid_feature_extract_unsigned_field(pfr0, ID_AA64PFR0_EL1_EL2_SHIFT) != 0;
}

/*
 * EL2 runs our code with its MMU off, reading memory around the caches: clean the copy to
 * the point of coherency (dcache_clean_inval_poc() is not exported to modules).
 */
static void hyp_clean_to_poc(void *start, size_t size)
{
	u64 ctr = read_cpuid_cachetype();
	size_t line = 4 << ((ctr >> CTR_EL0_DminLine_SHIFT) & 0xf);
	unsigned long addr = (unsigned long)start & ~(line - 1);

	for (; addr < (unsigned long)start + size; addr += line)
		asm volatile("dc civac, %0" : : "r" (addr) : "memory");
	dsb(ish);
	/* Instruction fetches at EL2 must not hit stale lines either. */
	asm volatile("ic ialluis" : : : "memory");
	dsb(ish);
	isb();
}

static int hyp_install_code(void)
{
	size_t size = __minikvm_hyp_end - __minikvm_hyp_start;

	BUILD_BUG_ON(VECTOR_LOWER_A64_SYNC >= SZ_2K);
	if (WARN_ON(size > PAGE_SIZE))
		return -E2BIG;
	hyp_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!hyp_page)
		return -ENOMEM;
	memcpy(page_address(hyp_page), __minikvm_hyp_start, size);
	hyp_clean_to_poc(page_address(hyp_page), size);
	return 0;
}

/* Physical address, in the copied page, of a symbol of the EL2 code. */
static phys_addr_t hyp_pa(const char *sym)
{
	return page_to_phys(hyp_page) + (sym - __minikvm_hyp_start);
}

int kvm_arch_hardware_setup(void)
{
	unsigned long answer;
	int r;

	if (kvm_owns_el2()) {
		pr_err("KVM owns EL2; boot with kvm-arm.mode=none\n");
		return -EBUSY;
	}
	if (is_kernel_in_hyp_mode()) {
		pr_info("VHE: the kernel runs at EL2\n");
		return 0;
	}
	/* Without EL2, "hvc" is UNDEFINED: check before making the first call. */
	if (!cpu_has_el2()) {
		pr_err("no EL2; boot at EL2 with kvm-arm.mode=none\n");
		return -ENODEV;
	}
	answer = __kvm_call_hyp_hvc(MINIKVM_HC_PROBE, 0, 0, 0);
	if (answer != HVC_STUB_ERR) {
		pr_err("EL2 is not Linux's hyp stub (answer 0x%lx); boot at EL2 with kvm-arm.mode=none\n",
		       answer);
		return -ENODEV;
	}

	r = hyp_install_code();
	if (r)
		return r;
	pr_info("nVHE: the kernel runs at EL1, minikvm's EL2 code at %pa\n",
		&(phys_addr_t){ page_to_phys(hyp_page) });
	return 0;
}

void kvm_arch_hardware_unsetup(void)
{
	if (hyp_page)
		__free_page(hyp_page);
	hyp_page = NULL;
}

int kvm_arch_hardware_enable(void)
{
	unsigned long r;

	if (is_kernel_in_hyp_mode() || __this_cpu_read(hyp_vectors_installed))
		return 0;
	/* The stub branches to our installer at EL2; it saves the stub's VBAR_EL2 first. */
	r = __kvm_call_hyp_hvc(HVC_SOFT_RESTART, hyp_pa(__minikvm_hyp_install), 0, 0);
	if (r) {
		pr_err("cannot install EL2 vectors on cpu%d (0x%lx)\n", smp_processor_id(), r);
		return -EIO;
	}
	__this_cpu_write(hyp_vectors_installed, true);
	return 0;
}

void kvm_arch_hardware_disable(void)
{
	unsigned long r;

	if (!__this_cpu_read(hyp_vectors_installed))
		return;
	r = __kvm_call_hyp_hvc(HVC_RESET_VECTORS, 0, 0, 0);
	/* Our page is about to be freed: EL2 must answer as the stub again, not as us. */
	WARN_ONCE(r || __kvm_call_hyp_hvc(MINIKVM_HC_CURRENT_EL, 0, 0, 0) != HVC_STUB_ERR,
		  "cannot give EL2 back to the hyp stub on cpu%d\n", smp_processor_id());
	__this_cpu_write(hyp_vectors_installed, false);
}

void kvm_arch_hardware_report(struct seq_file *m)
{
	unsigned long el = kvm_call_hyp(MINIKVM_HC_CURRENT_EL);
	const char *mode = is_kernel_in_hyp_mode() ? "vhe" : "nvhe";

	if (el == HVC_STUB_ERR)
		seq_printf(m, "cpu%d: mode=%s hyp=stub\n", smp_processor_id(), mode);
	else
		seq_printf(m, "cpu%d: mode=%s current_el=%lu\n", smp_processor_id(), mode,
			   (el >> 2) & 3);
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

long kvm_arch_vcpu_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	return -EINVAL;
}

vm_fault_t kvm_arch_vcpu_fault(struct kvm_vcpu *vcpu, struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}
