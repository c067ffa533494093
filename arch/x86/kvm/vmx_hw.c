// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's VMX hardware set-up: what the CPU offers, and VMXON and VMXOFF on every CPU.
 *
 * At load, the checks that the CPU can enter VMX operation and the capability MSRs, kept in
 * vmcs_config for every VMCS (vmx.c), and a VMXON region per CPU; then, through the core's
 * CPU hotplug state, VMXON on each CPU that comes online and VMXOFF on each that leaves: the
 * hardware_setup() and hardware_enable/disable() steps of KVM's vmx/vmx.c.
 *
 * Coexistence with kvm_intel: a CPU is in VMX operation for one hypervisor at a time, and
 * both take it by setting CR4.VMXE. Whoever sets it first on a CPU wins; the other sees the
 * bit set and refuses with -EBUSY.
 *
 * No emergency callback (cpu_emergency_register_virt_callback(), exported by 6.1 and 6.12)
 * leaves VMX on a crash: the kernel holds a single such callback and kvm_intel takes it
 * (6.1: while loaded; 6.12: while it has virtualization enabled), so registering ours WARNs
 * in whichever module registers second. The core leaves VMX from a reboot notifier; a crash
 * kexec with minikvm loaded and kvm_intel not loaded leaves the CPUs in VMX operation,
 * where INIT is blocked (SDM 23.8 "Restrictions on VMX operation").
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <asm/asm.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/mtrr.h>
#include <asm/perf_event.h>
#include <asm/processor-flags.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/tsc.h>
#include <asm/vmx.h>

#include <minikvm/kvm_host.h>

#include "vmx.h"

/*
 * CPUID.1:ECX.VMX[bit 5] (SDM 23.6 "Discovering support for VMX"). X86_FEATURE_VMX numbers
 * the same bit in the kernel's feature word for CPUID.1:ECX.
 */
#define CPUID_1_ECX_VMX			BIT(X86_FEATURE_VMX % 32)

/*
 * IA32_VMX_BASIC[53:50] (SDM A.1 "Basic VMX information"): the memory type the CPU uses
 * for VMCS and VMXON regions, in the PAT/MTRR encoding. <asm/vmx.h> names this field
 * differently in 6.1 and 6.12.
 */
#define VMX_BASIC_REGION_MEMTYPE	GENMASK_ULL(53, 50)

/*
 * IA32_VMX_BASIC[54]: exits of INS/OUTS report the instruction information; [55]: the
 * IA32_VMX_TRUE_*_CTLS MSRs exist (SDM A.1).
 */
#define VMX_BASIC_HAS_INSOUTS_INFO	BIT_ULL(54)
#define VMX_BASIC_HAS_TRUE_CTLS		BIT_ULL(55)

/* Filled once by kvm_arch_hardware_setup(), read-only after: vmx.c makes each VMCS of it. */
struct vmcs_config vmcs_config;

/*
 * Each CPU's VMXON region: a page of its own that software must not touch between VMXON
 * and VMXOFF (SDM 24.11.5 "VMXON region"). One is allocated per possible CPU at load, not
 * as each CPU is enabled: enabling runs with interrupts off, where the allocator cannot
 * sleep, and then has no memory to fail on or free on its error paths or at CPU offline.
 */
static DEFINE_PER_CPU(struct page *, vmxon_region);

/* Whether this CPU is in VMX operation for minikvm: VMXON succeeded and no VMXOFF since. */
static DEFINE_PER_CPU(bool, vmx_enabled);

/*
 * Raw CPUID is the hardware's answer; X86_FEATURE_VMX is not enough, as the kernel clears
 * it when firmware disabled VMX, and minikvm wants to say which of the two is the case.
 */
static bool cpu_has_vmx(void)
{
	return cpuid_ecx(1) & CPUID_1_ECX_VMX;
}

/*
 * IA32_FEATURE_CONTROL is firmware's say on VMX (SDM 23.7 "Enabling and entering VMX
 * operation"): once the lock bit is set the MSR cannot change until reset, and VMXON
 * outside SMX #GPs unless VMX-outside-SMX is enabled in it.
 */
static bool vmx_disabled_by_firmware(u64 feat_ctl)
{
	return (feat_ctl & FEAT_CTL_LOCKED) && !(feat_ctl & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX);
}

/**
 * vmx_enable_feature_control() - make IA32_FEATURE_CONTROL of this CPU allow VMXON
 * @cpu: this CPU, for the message
 *
 * An unlocked MSR is the OS's to set: enable VMX outside SMX and lock it, as KVM did before
 * Linux began doing so itself at boot on every Intel CPU.
 *
 * Return: 0, or -EOPNOTSUPP if firmware locked VMX out.
 */
static int vmx_enable_feature_control(int cpu)
{
	u64 feat_ctl;

	rdmsrl(MSR_IA32_FEAT_CTL, feat_ctl);
	if (vmx_disabled_by_firmware(feat_ctl)) {
		pr_err("VMX disabled by firmware (IA32_FEATURE_CONTROL) on cpu%d\n", cpu);
		return -EOPNOTSUPP;
	}
	if (!(feat_ctl & FEAT_CTL_LOCKED))
		wrmsrl(MSR_IA32_FEAT_CTL,
		       feat_ctl | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX | FEAT_CTL_LOCKED);
	return 0;
}

/*
 * In VMX operation, a control register must have every bit set that is set in its
 * IA32_VMX_CRn_FIXED0 MSR and no bit set that is clear in its IA32_VMX_CRn_FIXED1 MSR
 * (SDM A.7 "VMX-fixed bits in CR0", A.8 "VMX-fixed bits in CR4"); VMXON #GPs otherwise.
 */
static bool vmx_cr_allowed(unsigned long val, u32 fixed0_msr, u32 fixed1_msr)
{
	u64 fixed0, fixed1;

	rdmsrl(fixed0_msr, fixed0);
	rdmsrl(fixed1_msr, fixed1);
	return (val & fixed0) == fixed0 && !(val & ~fixed1);
}

/**
 * kvm_cpu_vmxon() - execute VMXON
 * @vmxon_pointer: physical address of this CPU's VMXON region
 *
 * A #GP or #UD (a hypervisor below that hides VMX, say) goes through the exception table
 * to the fault label instead of oopsing. VMXON signals VMfailInvalid with CF and
 * VMfailValid with ZF (SDM 30.2 "Conventions"); the latter only means "VMXON executed in VMX
 * root operation", which the CR4.VMXE check before already rules out.
 *
 * Return: 0, -EFAULT if VMXON faulted, or -EIO if it failed.
 */
static int kvm_cpu_vmxon(u64 vmxon_pointer)
{
	asm goto("1: vmxon %[vmxon_pointer]\n\t"
		 "jna %l[fail]\n\t"	/* CF or ZF set */
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [vmxon_pointer] "m" (vmxon_pointer) : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	return -EFAULT;
}

/*
 * VMXOFF, which #UDs outside VMX operation: a fault means this CPU was not in it after
 * all. Return: 0, or -EFAULT if VMXOFF faulted.
 */
static int kvm_cpu_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : fault);
	return 0;
fault:
	return -EFAULT;
}

/*
 * A control is allowed 0 where bit n of the capability MSR's low half is 0, and allowed 1
 * where bit n of its high half is 1 (SDM A.3 "VM-execution controls"). Takes what the CPU
 * allows of @optional, refuses if it forbids any of @required.
 */
static int adjust_vmx_controls(u32 required, u32 optional, u32 msr, u32 *result)
{
	u32 allowed0, allowed1, ctl;

	rdmsr(msr, allowed0, allowed1);
	ctl = ((required | optional) & allowed1) | allowed0;
	if (required & ~ctl) {
		pr_err("VMX controls 0x%x missing from MSR 0x%x\n", required & ~ctl, msr);
		return -EOPNOTSUPP;
	}
	*result = ctl;
	return 0;
}

/*
 * The VMX-preemption timer counts down from its VMCS value at the TSC rate divided by
 * 2^IA32_VMX_MISC[4:0] and exits at 0 (SDM 26.5.1), whatever the guest's RFLAGS.IF. A
 * spinning guest exits on the host's timer interrupt anyway; this timer, one host tick
 * long, costs at most one more exit per tick, and gets control back where interrupts
 * do not: the lab's Bochs never delivers the exit for an interrupt to a guest that spins
 * with IF=0 (lab-notes), so signals could not get such a guest out.
 */
static void vmx_setup_preemption_timer(struct vmcs_config *c)
{
	u64 misc, ticks;

	if (!(c->pin_based_exec_ctrl & PIN_BASED_VMX_PREEMPTION_TIMER) || !tsc_khz) {
		c->pin_based_exec_ctrl &= ~PIN_BASED_VMX_PREEMPTION_TIMER;
		return;
	}
	rdmsrl(MSR_IA32_VMX_MISC, misc);
	ticks = ((u64)tsc_khz * 1000 / HZ) >> vmx_misc_preemption_timer_rate(misc);
	c->preemption_timer_value = clamp_t(u64, ticks, 1, U32_MAX);
}

/*
 * What every vCPU runs with. The TRUE_* MSRs, when present, allow clearing the "default1"
 * controls, CR3-load/store exiting among them, which EPT makes useless (SDM A.2).
 */
static int setup_vmcs_config(u64 basic)
{
	bool true_ctls = basic & VMX_BASIC_HAS_TRUE_CTLS;
	u32 pin_msr = true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS;
	u32 proc_msr = true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS;
	u32 exit_msr = true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS;
	u32 entry_msr = true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS;
	struct vmcs_config *c = &vmcs_config;
	u64 cr4_fixed1;

	/*
	 * External interrupts and NMIs exit so that the host takes them; HLT, port I/O (every
	 * port: no I/O bitmaps), MOV DR and, through the bitmap, every MSR access exit. So do
	 * the instructions that would otherwise reach host state: MOV to and from CR8, which
	 * is the physical local APIC's TPR without a TPR shadow (SDM 10.8.6.1), so that a
	 * guest cannot raise the host's TPR and mask its interrupts; RDPMC, which reads the
	 * host's performance counters; MONITOR and MWAIT, which would put the host's CPU to
	 * sleep; and WBINVD (where the CPU can, SDM 25.6.2), which would flush all of the
	 * host's caches at the guest's whim. The TSC is offset (SDM 26.6.5). Entry loads DR7
	 * and IA32_DEBUGCTL from the VMCS ("load debug controls", a default1 control that the
	 * TRUE MSRs may let go): without it the host's DR7, breakpoints armed, and its
	 * DEBUGCTL (LBRs, branch trace) would stay live in the guest.
	 */
	if (adjust_vmx_controls(PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING,
				PIN_BASED_VMX_PREEMPTION_TIMER, pin_msr,
				&c->pin_based_exec_ctrl) ||
	    adjust_vmx_controls(CPU_BASED_HLT_EXITING | CPU_BASED_UNCOND_IO_EXITING |
				CPU_BASED_MOV_DR_EXITING | CPU_BASED_USE_MSR_BITMAPS |
				CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING |
				CPU_BASED_RDPMC_EXITING | CPU_BASED_MWAIT_EXITING |
				CPU_BASED_MONITOR_EXITING | CPU_BASED_USE_TSC_OFFSETTING |
				CPU_BASED_ACTIVATE_SECONDARY_CONTROLS | CPU_BASED_INTR_WINDOW_EXITING,
				0, proc_msr,
				&c->cpu_based_exec_ctrl) ||
	    adjust_vmx_controls(SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST,
				SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_ENABLE_RDTSCP |
				SECONDARY_EXEC_WBINVD_EXITING, MSR_IA32_VMX_PROCBASED_CTLS2,
				&c->cpu_based_2nd_exec_ctrl) ||
	    adjust_vmx_controls(VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER |
				VM_EXIT_LOAD_IA32_EFER | VM_EXIT_SAVE_IA32_PAT |
				VM_EXIT_LOAD_IA32_PAT, 0, exit_msr, &c->vmexit_ctrl) ||
	    adjust_vmx_controls(VM_ENTRY_LOAD_DEBUG_CONTROLS | VM_ENTRY_LOAD_IA32_EFER |
				VM_ENTRY_LOAD_IA32_PAT, 0, entry_msr, &c->vmentry_ctrl))
		return -EOPNOTSUPP;
	if (!(c->cpu_based_2nd_exec_ctrl & SECONDARY_EXEC_WBINVD_EXITING))
		pr_warn("no WBINVD exiting: a guest's WBINVD flushes the host's caches\n");
	/*
	 * The host takes external interrupts itself once interrupts are on again after the
	 * exit: an acknowledged one would have to be dispatched by hand, and NMI-window or
	 * interrupt-window exiting are turned on only when wanted.
	 */
	c->vmexit_ctrl &= ~VM_EXIT_ACK_INTR_ON_EXIT;
	c->cpu_based_exec_ctrl &= ~CPU_BASED_INTR_WINDOW_EXITING;
	c->vmentry_ctrl &= ~VM_ENTRY_IA32E_MODE;

	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, c->ept_caps);
	if (!(c->ept_caps & VMX_EPT_PAGE_WALK_4_BIT) || !(c->ept_caps & VMX_EPTP_WB_BIT) ||
	    !(c->ept_caps & VMX_EPT_INVEPT_BIT) ||
	    !(c->ept_caps & (VMX_EPT_EXTENT_CONTEXT_BIT | VMX_EPT_EXTENT_GLOBAL_BIT))) {
		pr_err("EPT lacks 4-level tables, write-back or INVEPT (caps 0x%llx)\n",
		       c->ept_caps);
		return -EOPNOTSUPP;
	}

	c->insouts_info = basic & VMX_BASIC_HAS_INSOUTS_INFO;
	vmx_setup_preemption_timer(c);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, c->cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, c->cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, cr4_fixed1);
	c->cr4_fixed1 = cr4_fixed1;
	pr_info("VMX controls: pin 0x%x cpu 0x%x secondary 0x%x exit 0x%x entry 0x%x\n",
		c->pin_based_exec_ctrl, c->cpu_based_exec_ctrl, c->cpu_based_2nd_exec_ctrl,
		c->vmexit_ctrl, c->vmentry_ctrl);
	return 0;
}

bool vmx_has_vpid(void)
{
	return vmcs_config.cpu_based_2nd_exec_ctrl & SECONDARY_EXEC_ENABLE_VPID;
}

bool vmx_has_insouts_info(void)
{
	return vmcs_config.insouts_info;
}

/* Guests may run RDTSCP and RDPID, where the VMCS lets them (SDM 25.6.2). */
bool vmx_has_rdtscp(void)
{
	return (vmcs_config.cpu_based_2nd_exec_ctrl & SECONDARY_EXEC_ENABLE_RDTSCP) &&
	       boot_cpu_has(X86_FEATURE_RDTSCP);
}

u64 vmx_ept_caps(void)
{
	return vmcs_config.ept_caps;
}

int kvm_arch_hardware_setup(void)
{
	u64 feat_ctl, basic;
	struct page *page;
	int cpu;

	if (!cpu_has_vmx()) {
		pr_err("no VMX on this CPU\n");
		return -EOPNOTSUPP;
	}
	/* Refuse early; each CPU's MSR is checked, and locked if need be, when it is enabled. */
	rdmsrl(MSR_IA32_FEAT_CTL, feat_ctl);
	if (vmx_disabled_by_firmware(feat_ctl)) {
		pr_err("VMX disabled by firmware (IA32_FEATURE_CONTROL)\n");
		return -EOPNOTSUPP;
	}

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vmcs_config.revision_id = vmx_basic_vmcs_revision_id(basic);
	vmcs_config.size = vmx_basic_vmcs_size(basic);
	if (vmcs_config.size > PAGE_SIZE) {
		pr_err("VMCS and VMXON regions of %u bytes do not fit in a page\n",
		       vmcs_config.size);
		return -EOPNOTSUPP;
	}
	/* minikvm's regions are ordinary kernel memory, which is write-back. */
	if (FIELD_GET(VMX_BASIC_REGION_MEMTYPE, basic) != MTRR_TYPE_WRBACK) {
		pr_err("VMX regions must be of memory type %llu; minikvm's are write-back\n",
		       FIELD_GET(VMX_BASIC_REGION_MEMTYPE, basic));
		return -EOPNOTSUPP;
	}

	if (setup_vmcs_config(basic))
		return -EOPNOTSUPP;
	if (vmx_vmcs_setup())
		return -ENOMEM;
	if (vmx_setup_l1d_flush())
		goto err_free_regions;
	vmx_setup_perf_guest_msrs();

	for_each_possible_cpu(cpu) {
		page = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		if (!page)
			goto err_free_regions;
		/* Bits 30:0 the revision, bit 31 clear (SDM 24.11.5 "VMXON region"). */
		*(u32 *)page_address(page) = vmcs_config.revision_id;
		per_cpu(vmxon_region, cpu) = page;
	}

	pr_info("VMX: VMCS revision 0x%x, regions of %u bytes\n", vmcs_config.revision_id,
		vmcs_config.size);
	return 0;

err_free_regions:
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
	vmx_cleanup_l1d_flush();
	vmx_vmcs_unsetup();
}

/*
 * The steps of SDM 23.7 "Enabling and entering VMX operation" on this CPU, with interrupts
 * off: from the CR4.VMXE check to VMXON no IPI may run here that takes VMX for another
 * hypervisor (kvm_intel enables VMX on each CPU from one) or leaves it (the core's reboot
 * notifier), or both would believe they own VMX operation.
 */
static int vmx_hardware_enable_irqsoff(void)
{
	int cpu = smp_processor_id();
	int r;

	if (__read_cr4() & X86_CR4_VMXE) {
		pr_err("VMX already in use on cpu%d (kvm_intel loaded?)\n", cpu);
		return -EBUSY;
	}
	r = vmx_enable_feature_control(cpu);
	if (r)
		return r;
	/* Linux runs with paging and protection on, so these hold; refuse rather than assume. */
	if (!vmx_cr_allowed(read_cr0(), MSR_IA32_VMX_CR0_FIXED0, MSR_IA32_VMX_CR0_FIXED1)) {
		pr_err("CR0 0x%lx does not meet IA32_VMX_CR0_FIXED0/1 on cpu%d\n",
		       read_cr0(), cpu);
		return -EOPNOTSUPP;
	}
	if (!vmx_cr_allowed(__read_cr4() | X86_CR4_VMXE, MSR_IA32_VMX_CR4_FIXED0,
			    MSR_IA32_VMX_CR4_FIXED1)) {
		pr_err("CR4 0x%lx does not meet IA32_VMX_CR4_FIXED0/1 on cpu%d\n",
		       __read_cr4(), cpu);
		return -EOPNOTSUPP;
	}

	/*
	 * VMXON clears IA32_RTIT_CTL.TraceEn where Intel PT cannot trace in VMX operation
	 * (IA32_VMX_MISC bit 14 clear, SDM A.6): tell perf not to turn tracing back on.
	 */
	intel_pt_handle_vmx(1);
	cr4_set_bits(X86_CR4_VMXE);
	r = kvm_cpu_vmxon(page_to_phys(per_cpu(vmxon_region, cpu)));
	if (r)
		goto err_vmxon;
	__this_cpu_write(vmx_enabled, true);
	vmx_uret_msrs_cpu_online();
	return 0;

err_vmxon:
	pr_err("VMXON %s on cpu%d\n", r == -EFAULT ? "faulted" : "failed", cpu);
	cr4_clear_bits(X86_CR4_VMXE);
	intel_pt_handle_vmx(0);
	return r;
}

int kvm_arch_hardware_enable(void)
{
	unsigned long flags;
	int r;

	local_irq_save(flags);
	r = vmx_hardware_enable_irqsoff();
	local_irq_restore(flags);
	return r;
}

/*
 * Interrupts are off so that the core's reboot notifier cannot run VMXOFF here too between
 * this VMXOFF and the flag that records it.
 */
void kvm_arch_hardware_disable(void)
{
	unsigned long flags;

	local_irq_save(flags);
	if (__this_cpu_read(vmx_enabled)) {
		vmclear_local_loaded_vmcss();
		if (kvm_cpu_vmxoff())
			pr_err("VMXOFF faulted on cpu%d\n", smp_processor_id());
		cr4_clear_bits(X86_CR4_VMXE);
		intel_pt_handle_vmx(0);
		__this_cpu_write(vmx_enabled, false);
	}
	local_irq_restore(flags);
}

/*
 * VMPTRST works only in VMX operation (it #UDs outside, SDM 30.3 "VMPTRST"), so its
 * success proves VMXON happened on this CPU; with no current VMCS it stores all ones.
 * It stores through a pointer so that the asm goto needs no output operand.
 */
void kvm_arch_hardware_report(struct seq_file *m)
{
	int cpu = smp_processor_id();
	u64 vmcs_ptr;

	asm goto("1: vmptrst (%[ptr])\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [ptr] "r" (&vmcs_ptr) : "memory" : fault);
	seq_printf(m, "cpu%d: vmx=on vmxon=0x%llx revision=0x%x vmcs_ptr=0x%llx\n", cpu,
		   (u64)page_to_phys(per_cpu(vmxon_region, cpu)), vmcs_config.revision_id,
		   vmcs_ptr);
	return;
fault:
	seq_printf(m, "cpu%d: vmx=off\n", cpu);
}
