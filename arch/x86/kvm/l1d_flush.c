// SPDX-License-Identifier: GPL-2.0-only
/*
 * L1 Terminal Fault (L1TF, CVE-2018-3646): a guest can read, speculatively, whatever the
 * L1 data cache holds of the host's memory, through a guest page-table entry that is not
 * present (Intel's "Deep dive: Intel analysis of L1 Terminal Fault"). EPT does not stop
 * it, as the attack runs on the guest's own paging. So on a CPU with the bug, the L1D is
 * flushed before entering a guest, as KVM's vmx.c does it: by the IA32_FLUSH_CMD MSR where
 * the microcode offers it, else by reading 64 KiB of memory of our own, which evicts
 * every line. The mode follows the kernel's L1TF mitigation (l1tf= on its command line),
 * as KVM's default "auto": "cond" flushes only when the host may have brought secrets
 * into the L1D since the last entry (a return from userspace, an interrupt, a task
 * switch, emulation that touched guest memory through the host's mappings); "always"
 * before every entry. The result is the host's own report, in
 * /sys/devices/system/cpu/vulnerabilities/l1tf ("VMX: conditional cache flushes").
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/jump_label.h>
#include <linux/mm.h>
#include <linux/sched/smt.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/hardirq.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/vmx.h>

#include <minikvm/kvm_host.h>

#include "vmx.h"

/* 64 KiB: twice the L1D of every CPU with the bug, as KVM reads. */
#define L1D_FLUSH_ORDER		4
#define L1D_FLUSH_SIZE		(PAGE_SIZE << L1D_FLUSH_ORDER)
#define L1D_FLUSH_LINE		64

/*
 * What minikvm does, decided at load: flush before an entry at all (KVM's static keys of
 * the same names), and only when there is a reason ("cond"); the buffer of the software
 * flush.
 */
DEFINE_STATIC_KEY_FALSE(vmx_l1d_should_flush);
static DEFINE_STATIC_KEY_FALSE(vmx_l1d_flush_cond);
static void *vmx_l1d_flush_pages;
/* l1tf_vmx_mitigation was ours to set (kvm_intel had not set it): ours to reset. */
static bool vmx_l1d_flush_reported;

/**
 * vmx_setup_l1d_flush() - choose the L1D flush mode, as KVM's vmentry_l1d_flush=auto
 *
 * No flush where the CPU is not affected or says a VM entry needs none
 * (IA32_ARCH_CAPABILITIES.SKIP_L1DFL_VMENTRY); else by the kernel's l1tf= choice: off
 * never, flush "cond", full "always". Return: 0 or -ENOMEM.
 */
int vmx_setup_l1d_flush(void)
{
	enum vmx_l1d_flush_state mode = VMENTER_L1D_FLUSH_NOT_REQUIRED;
	u64 caps = 0;
	int i;

	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, caps);
	if (boot_cpu_has_bug(X86_BUG_L1TF) && !(caps & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH)) {
		switch (l1tf_mitigation) {
		case L1TF_MITIGATION_OFF:
			mode = VMENTER_L1D_FLUSH_NEVER;
			break;
		case L1TF_MITIGATION_FULL:
		case L1TF_MITIGATION_FULL_FORCE:
			mode = VMENTER_L1D_FLUSH_ALWAYS;
			break;
		default:
			mode = VMENTER_L1D_FLUSH_COND;
			break;
		}
	}
	if ((mode == VMENTER_L1D_FLUSH_COND || mode == VMENTER_L1D_FLUSH_ALWAYS) &&
	    !boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		vmx_l1d_flush_pages = (void *)__get_free_pages(GFP_KERNEL, L1D_FLUSH_ORDER);
		if (!vmx_l1d_flush_pages)
			return -ENOMEM;
		/* Pages of different contents, which no page merging can fold into one. */
		for (i = 0; i < BIT(L1D_FLUSH_ORDER); i++)
			memset(vmx_l1d_flush_pages + i * PAGE_SIZE, i + 1, PAGE_SIZE);
	}
	if (mode == VMENTER_L1D_FLUSH_COND || mode == VMENTER_L1D_FLUSH_ALWAYS)
		static_branch_enable(&vmx_l1d_should_flush);
	if (mode == VMENTER_L1D_FLUSH_COND)
		static_branch_enable(&vmx_l1d_flush_cond);
	if (l1tf_vmx_mitigation == VMENTER_L1D_FLUSH_AUTO) {
		l1tf_vmx_mitigation = mode;
		vmx_l1d_flush_reported = true;
	}
	return 0;
}

/*
 * At each VM's creation, as KVM: the flush protects this thread's L1D, not its sibling's;
 * with SMT on, a guest may still read what the other thread of the core brings in,
 * unless the administrator said that is fine (l1tf=off, flush,nowarn) or forced it off.
 */
void vmx_l1d_flush_vm_check(void)
{
	if (!boot_cpu_has_bug(X86_BUG_L1TF))
		return;
	switch (l1tf_mitigation) {
	case L1TF_MITIGATION_FLUSH:
	case L1TF_MITIGATION_FLUSH_NOSMT:
	case L1TF_MITIGATION_FULL:
		if (sched_smt_active())
			pr_warn_once("L1TF CPU bug present and SMT on: a guest may read its sibling thread's L1D (CVE-2018-3646)\n");
		break;
	default:
		break;
	}
}

void vmx_cleanup_l1d_flush(void)
{
	static_branch_disable(&vmx_l1d_should_flush);
	static_branch_disable(&vmx_l1d_flush_cond);
	if (vmx_l1d_flush_reported)
		l1tf_vmx_mitigation = VMENTER_L1D_FLUSH_AUTO;
	vmx_l1d_flush_reported = false;
	free_pages((unsigned long)vmx_l1d_flush_pages, L1D_FLUSH_ORDER);
	vmx_l1d_flush_pages = NULL;
}

/* The software flush reads 16 lines a round: the loads are the flush, not the loop. */
#define L1D_FLUSH_ROUND		(16 * L1D_FLUSH_LINE)

/*
 * The software flush, as KVM's: touch each page once so that the TLB holds them all, a
 * serializing CPUID so that no load of the second loop runs before the first is done,
 * then one load per cache line of the 64 KiB. KVM's loop spends three instructions of
 * overhead on every line; here the rounds are unrolled to 16 lines, the same 1,024 loads
 * in 1,216 instructions instead of 4,096.
 */
static void vmx_l1d_flush_sw(void)
{
	asm volatile("xor %%eax, %%eax\n"
		     "1: movzbl (%[pages], %%rax), %%ecx\n\t"
		     "add $%c[page], %%eax\n\t"
		     "cmp %%eax, %[size]\n\t"
		     "jne 1b\n\t"
		     "xor %%eax, %%eax\n\t"
		     "cpuid\n\t"
		     "xor %%eax, %%eax\n"
		     "2:\n\t"
		     ".irp line, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15\n\t"
		     "movzbl \\line * %c[line](%[pages], %%rax), %%ecx\n\t"
		     ".endr\n\t"
		     "add $%c[round], %%eax\n\t"
		     "cmp %%eax, %[size]\n\t"
		     "jne 2b\n\t"
		     "lfence\n"
		     : : [pages] "r" (vmx_l1d_flush_pages), [size] "r" ((u32)L1D_FLUSH_SIZE),
		       [page] "i" (PAGE_SIZE), [line] "i" (L1D_FLUSH_LINE),
		       [round] "i" (L1D_FLUSH_ROUND)
		     : "eax", "ebx", "ecx", "edx", "memory");
}

/**
 * vmx_l1d_flush() - flush the L1D before an entry, where the mode asks for it
 * @vcpu: the vCPU about to enter, interrupts off
 *
 * Called when vmx_l1d_should_flush is on. "cond" looks at the vCPU's reasons
 * (vcpu->arch.l1tf_flush_l1d: a new KVM_RUN, a task switch, emulation) and the CPU's (an
 * interrupt or softirq ran here: the kernel's entry code sets irq_stat's flag for KVM),
 * and clears both.
 */
void vmx_l1d_flush(struct kvm_vcpu *vcpu)
{
	if (static_branch_likely(&vmx_l1d_flush_cond)) {
		bool flush = vcpu->arch.l1tf_flush_l1d || kvm_get_cpu_l1tf_flush_l1d();

		vcpu->arch.l1tf_flush_l1d = false;
		kvm_clear_cpu_l1tf_flush_l1d();
		if (!flush)
			return;
	}
	vcpu->stat.arch.l1d_flush++;
	if (boot_cpu_has(X86_FEATURE_FLUSH_L1D))
		native_wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
	else
		vmx_l1d_flush_sw();
}
