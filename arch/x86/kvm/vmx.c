// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's VMX backend: each vCPU's VMCS, and entering the guest (vmx_vcpu_run()).
 *
 * A vCPU's VMCS is created with it, VMCLEARed on the CPU that last held it and loaded
 * (VMPTRLD) wherever its thread runs, and set up in the state of an x86 CPU after RESET,
 * as in KVM's vmx/vmx.c. The guest state it holds for userspace to read and write
 * (segments, descriptor tables, CR0, CR4, EFER) is in vmx_regs.c, VMXON and the
 * capabilities every VMCS is made from in vmx_hw.c, the exit handlers and the events the
 * next entry delivers in handle_exit.c, guest memory (EPT) in ept.c, the run loop in x86.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/irqflags.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/processor-flags.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/vmx.h>

#include <minikvm/kvm_host.h>

#include "vmx.h"

/*
 * The MSR bitmaps (SDM 25.6.9): a page of ones makes every RDMSR and WRMSR exit, whatever
 * the MSR. Shared by every vCPU; the CPU only reads it.
 */
static unsigned long *vmx_msr_bitmap;

/* VPIDs in use; 0 is the host's (SDM 29.1 "Virtual processor identifiers"). */
static DEFINE_IDA(vmx_vpid_ida);
#define VMX_NR_VPIDS			(1 << 16)

/*
 * The VMCSs whose data this CPU may cache (loaded since their last VMCLEAR): they must be
 * VMCLEARed here before VMXOFF or before another CPU loads them (SDM 25.11.1), and the
 * one current here, which VMPTRLD need not load again.
 */
static DEFINE_PER_CPU(struct list_head, loaded_vmcss_on_cpu);
static DEFINE_PER_CPU(void *, current_vmcs);

/**
 * vmx_vmcs_setup() - what every vCPU's VMCS shares, set up at load
 *
 * The MSR bitmap, and each CPU's (empty) list of the VMCSs it holds.
 *
 * Return: 0, or -ENOMEM.
 */
int vmx_vmcs_setup(void)
{
	int cpu;

	vmx_msr_bitmap = (unsigned long *)__get_free_page(GFP_KERNEL);
	if (!vmx_msr_bitmap)
		return -ENOMEM;
	memset(vmx_msr_bitmap, 0xff, PAGE_SIZE);
	for_each_possible_cpu(cpu)
		INIT_LIST_HEAD(&per_cpu(loaded_vmcss_on_cpu, cpu));
	return 0;
}

void vmx_vmcs_unsetup(void)
{
	free_page((unsigned long)vmx_msr_bitmap);
	vmx_msr_bitmap = NULL;
}

void kvm_spurious_fault(void)
{
	WARN_ONCE(!READ_ONCE(kvm_rebooting), "minikvm: VMX instruction faulted on cpu%d\n",
		  raw_smp_processor_id());
}

/* VMCLEAR (SDM 30.3): write the VMCS data back to memory and make its launch state clear. */
static void vmcs_clear(void *vmcs)
{
	u64 phys = __pa(vmcs);

	asm goto("1: vmclear %[phys]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [phys] "m" (phys) : "cc", "memory" : fail, fault);
	return;
fail:
	pr_err("VMCLEAR of VMCS 0x%llx failed on cpu%d\n", phys, smp_processor_id());
	return;
fault:
	kvm_spurious_fault();
}

/* VMPTRLD (SDM 30.3): make the VMCS current on this CPU. */
static void vmcs_load(void *vmcs)
{
	u64 phys = __pa(vmcs);

	asm goto("1: vmptrld %[phys]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [phys] "m" (phys) : "cc", "memory" : fail, fault);
	return;
fail:
	pr_err("VMPTRLD of VMCS 0x%llx failed on cpu%d\n", phys, smp_processor_id());
	return;
fault:
	kvm_spurious_fault();
}

/*
 * On the CPU that may cache @arg's VMCS, with interrupts off: VMCLEAR it there. The
 * list is changed only on its own CPU with interrupts off, so no lock is needed; the
 * write barrier orders the list removal before cpu = -1, which vmx_vcpu_load() reads
 * before adding the VMCS to another CPU's list.
 */
static void __loaded_vmcs_clear(void *arg)
{
	struct loaded_vmcs *loaded_vmcs = arg;
	int cpu = smp_processor_id();

	/* The CPU left VMX since (vmclear_local_loaded_vmcss()): done already. */
	if (loaded_vmcs->cpu != cpu)
		return;
	vmcs_clear(loaded_vmcs->vmcs);
	if (per_cpu(current_vmcs, cpu) == loaded_vmcs->vmcs)
		per_cpu(current_vmcs, cpu) = NULL;
	list_del(&loaded_vmcs->loaded_vmcss_on_cpu_link);
	/* The removal is seen before cpu = -1: pairs with smp_rmb() in vmx_vcpu_load(). */
	smp_wmb();
	loaded_vmcs->cpu = -1;
	loaded_vmcs->launched = false;
}

static void loaded_vmcs_clear(struct loaded_vmcs *loaded_vmcs)
{
	int cpu = loaded_vmcs->cpu;

	if (cpu != -1)
		smp_call_function_single(cpu, __loaded_vmcs_clear, loaded_vmcs, 1);
}

/*
 * Before VMXOFF (kvm_arch_hardware_disable()), interrupts off: VMCS data left in this CPU
 * would be lost.
 */
void vmclear_local_loaded_vmcss(void)
{
	struct list_head *list = this_cpu_ptr(&loaded_vmcss_on_cpu);
	struct loaded_vmcs *v, *n;

	list_for_each_entry_safe(v, n, list, loaded_vmcss_on_cpu_link)
		__loaded_vmcs_clear(v);
}

void vmx_vmwrite_error(unsigned long field, unsigned long value)
{
	pr_err_ratelimited("VMWRITE of 0x%lx to field 0x%lx failed: VM-instruction error %u\n",
			   value, field, vmcs_read32(VM_INSTRUCTION_ERROR));
}

/* The architectural state after RESET (SDM 10.1.1 "Processor state after reset"). */
#define RESET_CR0		(X86_CR0_CD | X86_CR0_NW | X86_CR0_ET)
#define RESET_RIP		0xfff0
#define RESET_CS_SELECTOR	0xf000
#define RESET_CS_BASE		0xffff0000
#define RESET_SEGMENT_LIMIT	0xffff
/* DR6 and DR7 after reset: no debug condition, no breakpoint enabled. */
#define RESET_DR6		DR6_ACTIVE_LOW
#define RESET_DR7		DR7_FIXED_1
/* EDX after reset holds the CPU signature; KVM gives family 6 (0x600). */
#define RESET_RDX		0x600
/* IA32_PAT's power-up value: WB, WT, UC-, UC in each half (SDM 13.12.4). */
#define RESET_PAT		0x0007040600070406ULL

/* Segment types after reset: read/write data, execute/read code (SDM Table 3-1). */
#define SEG_TYPE_DATA_RW	0x3
#define SEG_TYPE_CODE_RX	0xb

static void vmx_set_rflags(struct kvm_vcpu *vcpu, unsigned long rflags)
{
	vmcs_writel(GUEST_RFLAGS, rflags | X86_EFLAGS_FIXED);
}

int vmx_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct loaded_vmcs *loaded_vmcs = &vcpu->arch.vmcs;
	struct page *page;
	int vpid = 0;

	if (vmx_has_vpid()) {
		vpid = ida_alloc_range(&vmx_vpid_ida, 1, VMX_NR_VPIDS - 1, GFP_KERNEL);
		if (vpid < 0)
			vpid = 0;	/* none left: VPID 0 and a flush on every entry and exit */
	}
	page = alloc_pages_node(cpu_to_node(raw_smp_processor_id()),
				GFP_KERNEL_ACCOUNT | __GFP_ZERO, 0);
	if (!page) {
		if (vpid)
			ida_free(&vmx_vpid_ida, vpid);
		return -ENOMEM;
	}
	vcpu->arch.vpid = vpid;
	loaded_vmcs->vmcs = page_address(page);
	/* Bits 30:0 the revision, bit 31 clear: not a shadow VMCS (SDM 25.2). */
	*(u32 *)loaded_vmcs->vmcs = vmcs_config.revision_id;
	loaded_vmcs->cpu = -1;
	loaded_vmcs->launched = false;
	INIT_LIST_HEAD(&loaded_vmcs->loaded_vmcss_on_cpu_link);
	/* A new VMCS is VMCLEARed before its first VMPTRLD, to initialize it (SDM 25.11.3). */
	preempt_disable();
	vmcs_clear(loaded_vmcs->vmcs);
	preempt_enable();
	return 0;
}

void vmx_vcpu_free(struct kvm_vcpu *vcpu)
{
	loaded_vmcs_clear(&vcpu->arch.vmcs);
	free_page((unsigned long)vcpu->arch.vmcs.vmcs);
	if (vcpu->arch.vpid)
		ida_free(&vmx_vpid_ida, vcpu->arch.vpid);
}

/*
 * The base of the TSS of this CPU, from its descriptor in the GDT (SDM 8.2.3): a 64-bit
 * TSS descriptor holds base bits 15:0, 23:16, 31:24 and 63:32.
 */
static unsigned long segment_base_tr(void)
{
	struct desc_ptr gdt;
	struct ldttss_desc *d;
	u16 tr;

	native_store_gdt(&gdt);
	tr = native_store_tr();
	d = (struct ldttss_desc *)(gdt.address + (tr & ~SEGMENT_RPL_MASK));
	return d->base0 | ((unsigned long)d->base1 << 16) | ((unsigned long)d->base2 << 24) |
	       ((unsigned long)d->base3 << 32);
}

/* Host state of this CPU (SDM 25.5 "Host-state area"): what differs from CPU to CPU. */
static void vmx_set_host_state_per_cpu(void)
{
	struct desc_ptr gdt;
	u64 val;

	native_store_gdt(&gdt);
	vmcs_writel(HOST_GDTR_BASE, gdt.address);
	vmcs_writel(HOST_TR_BASE, segment_base_tr());
	rdmsrl(MSR_IA32_SYSENTER_ESP, val);
	vmcs_writel(HOST_IA32_SYSENTER_ESP, val);
	rdmsrl(MSR_GS_BASE, val);
	vmcs_writel(HOST_GS_BASE, val);
}

/*
 * kvm_arch_vcpu_load() for VMX, with preemption off: make the VMCS current here. A VMCS
 * last run on another CPU is VMCLEARed there first (an IPI), as a VMCS may be active on
 * one CPU only (SDM 25.11.1); its host state then gets this CPU's values, and this CPU's
 * TLB forgets what the guest left in it when it last ran here, which may be stale now.
 */
void vmx_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	struct loaded_vmcs *loaded_vmcs = &vcpu->arch.vmcs;
	bool already_loaded = loaded_vmcs->cpu == cpu;

	if (!already_loaded) {
		loaded_vmcs_clear(loaded_vmcs);
		local_irq_disable();
		/* Pairs with the smp_wmb() in __loaded_vmcs_clear(). */
		smp_rmb();
		list_add(&loaded_vmcs->loaded_vmcss_on_cpu_link,
			 &per_cpu(loaded_vmcss_on_cpu, cpu));
		local_irq_enable();
	}
	if (per_cpu(current_vmcs, cpu) != loaded_vmcs->vmcs) {
		per_cpu(current_vmcs, cpu) = loaded_vmcs->vmcs;
		vmcs_load(loaded_vmcs->vmcs);
		/*
		 * Another VM's guest (or this one's other vCPU) ran here last: what it left in
		 * the branch predictors must not steer this one (Spectre v2 between guests), as
		 * KVM does when it switches VMCSs. A no-op unless the kernel uses IBPB.
		 */
		indirect_branch_prediction_barrier();
	}
	/* The host ran here in between: what it left in the L1D is a reason to flush. */
	vcpu->arch.l1tf_flush_l1d = true;
	if (!already_loaded) {
		vmx_set_host_state_per_cpu();
		ept_sync_context(vcpu->kvm->arch.eptp);
		loaded_vmcs->cpu = cpu;
	}
}

/* Selector bits that make a selector unfit for the host-state area (SDM 27.2.3). */
#define SEGMENT_RPL_TI_MASK	(SEGMENT_RPL_MASK | SEGMENT_TI_MASK)

static u16 kvm_read_ldt(void)
{
	u16 ldt;

	asm volatile("sldt %0" : "=rm" (ldt));
	return ldt;
}

static void kvm_load_ldt(u16 sel)
{
	asm volatile("lldt %0" : : "rm" (sel));
}

/*
 * FS and GS as VM exit will load them (SDM 28.5.2): the selectors only if they are ones
 * the host-state area may hold (RPL 0 and in the GDT, SDM 27.2.3), else null; the bases
 * always, as the thread has them now. The VMCS keeps the last values, written again only
 * when they change.
 */
static void vmx_set_host_fs_gs(struct loaded_vmcs *v, u16 fs_sel, u16 gs_sel, u64 fs_base)
{
	if (unlikely(fs_sel != v->host_fs_sel)) {
		vmcs_write16(HOST_FS_SELECTOR, fs_sel & SEGMENT_RPL_TI_MASK ? 0 : fs_sel);
		v->host_fs_sel = fs_sel;
	}
	if (unlikely(gs_sel != v->host_gs_sel)) {
		vmcs_write16(HOST_GS_SELECTOR, gs_sel & SEGMENT_RPL_TI_MASK ? 0 : gs_sel);
		v->host_gs_sel = gs_sel;
	}
	if (unlikely(fs_base != v->host_fs_base)) {
		vmcs_writel(HOST_FS_BASE, fs_base);
		v->host_fs_base = fs_base;
	}
}

/*
 * Host state VMX does not switch, or loads with other values than the thread's: saved
 * before the first entry after a load (vmx_vcpu_run() calls this while
 * vcpu->arch.guest_state_loaded is clear) and given back when the vCPU leaves the CPU
 * (vmx_prepare_switch_to_host()), not around every entry. VM exit makes LDTR unusable
 * and DS, ES, and FS or GS held in the LDT or with RPL 3, null (SDM 28.5.2): a VMM whose
 * thread has an LDT or such selectors would fault on its next segment load. SWAPGS in a
 * 64-bit guest exchanges GS.base with IA32_KERNEL_GS_BASE, where the host keeps its user
 * GS base meanwhile. The user-return MSRs are msr.c's.
 */
void vmx_prepare_switch_to_guest(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *arch = &vcpu->arch;
	u16 fs_sel, gs_sel;
	u64 fs_base;

	arch->host_ldt_sel = kvm_read_ldt();
	savesegment(ds, arch->host_ds_sel);
	savesegment(es, arch->host_es_sel);
	savesegment(fs, fs_sel);
	savesegment(gs, gs_sel);
	arch->host_fs_sel = fs_sel;
	arch->host_gs_sel = gs_sel;
	rdmsrl(MSR_FS_BASE, fs_base);
	vmx_set_host_fs_gs(&arch->vmcs, fs_sel, gs_sel, fs_base);
	rdmsrl(MSR_KERNEL_GS_BASE, arch->host_kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, arch->msr_kernel_gs_base);
	arch->guest_state_loaded = true;
	vmx_load_uret_msrs(vcpu);
}

/*
 * VM exit also limited TR to 0x67 and GDTR to 0xffff (SDM 28.5.3): the kernel does not
 * mind, userspace and the I/O bitmap do. GS is reloaded through load_gs_index(), which
 * keeps the kernel's GS base; and with the LDT, as its selector may name an LDT entry.
 */
static void vmx_prepare_switch_to_host(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *arch = &vcpu->arch;

	if (!arch->guest_state_loaded)
		return;
	rdmsrl(MSR_KERNEL_GS_BASE, arch->msr_kernel_gs_base);
	if (arch->host_ldt_sel || (arch->host_gs_sel & SEGMENT_RPL_TI_MASK)) {
		kvm_load_ldt(arch->host_ldt_sel);
		load_gs_index(arch->host_gs_sel);
	}
	if (arch->host_fs_sel & SEGMENT_RPL_TI_MASK)
		loadsegment(fs, arch->host_fs_sel);
	if (unlikely(arch->host_ds_sel | arch->host_es_sel)) {
		loadsegment(ds, arch->host_ds_sel);
		loadsegment(es, arch->host_es_sel);
	}
	invalidate_tss_limit();
	wrmsrl(MSR_KERNEL_GS_BASE, arch->host_kernel_gs_base);
	load_fixmap_gdt(raw_smp_processor_id());
	vmx_put_uret_msrs();
	arch->guest_state_loaded = false;
}

void vmx_vcpu_put(struct kvm_vcpu *vcpu)
{
	vmx_prepare_switch_to_host(vcpu);
}

/*
 * The secondary controls of this vCPU: VPID if it has one, RDTSCP and RDPID if its CPUID
 * offers them (else they #UD, as on a CPU without them).
 */
static u32 vmx_secondary_exec_control(struct kvm_vcpu *vcpu)
{
	u32 ctl = vmcs_config.cpu_based_2nd_exec_ctrl;

	if (!vcpu->arch.vpid)
		ctl &= ~SECONDARY_EXEC_ENABLE_VPID;
	if (!vcpu->arch.rdtscp_enabled)
		ctl &= ~SECONDARY_EXEC_ENABLE_RDTSCP;
	return ctl;
}

/**
 * vmx_set_rdtscp() - let the guest run RDTSCP and RDPID, or not
 * @vcpu: the vCPU, loaded
 * @enable: its CPUID offers one of them and the CPU can run them for a guest
 *
 * TSC_AUX, which both read, becomes one of the MSRs switched for the guest (msr.c).
 */
void vmx_set_rdtscp(struct kvm_vcpu *vcpu, bool enable)
{
	vcpu->arch.rdtscp_enabled = enable && vmx_has_rdtscp();
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, vmx_secondary_exec_control(vcpu));
	vmx_update_uret_msrs(vcpu);
}

/* The VMCS fields that never change: controls and the host state common to all CPUs. */
static void init_vmcs(struct kvm_vcpu *vcpu)
{
	struct desc_ptr idt;
	u64 val;

	if (vcpu->arch.vpid)
		vmcs_write16(VIRTUAL_PROCESSOR_ID, vcpu->arch.vpid);
	vmcs_write64(EPT_POINTER, vcpu->kvm->arch.eptp);
	/* No shadow VMCS: the link pointer must be all ones (SDM 27.3.1.5). */
	vmcs_write64(VMCS_LINK_POINTER, -1ULL);
	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, vmcs_config.pin_based_exec_ctrl);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmcs_config.cpu_based_exec_ctrl);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, vmx_secondary_exec_control(vcpu));
	vmcs_write32(VM_EXIT_CONTROLS, vmcs_config.vmexit_ctrl);
	vmcs_write32(VM_ENTRY_CONTROLS, vmcs_config.vmentry_ctrl);
	/*
	 * #AC: a guest at CPL 3 with CR0.AM, RFLAGS.AC and a misaligned stack makes each
	 * #AC's delivery raise another, a loop inside the CPU where the host never gets
	 * control back (CVE-2015-5307). Intercepted, each #AC is an exit, then reflected.
	 * #MC: a machine check is the host's to handle, whoever ran (vmenter.c).
	 */
	vmcs_write32(EXCEPTION_BITMAP, BIT(AC_VECTOR) | BIT(MC_VECTOR));
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write64(MSR_BITMAP, __pa(vmx_msr_bitmap));
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write64(VM_ENTRY_MSR_LOAD_ADDR, __pa(vcpu->arch.msr_autoload_guest));
	vmcs_write64(VM_EXIT_MSR_LOAD_ADDR, __pa(vcpu->arch.msr_autoload_host));
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_writel(CR0_GUEST_HOST_MASK, CR0_HOST_OWNED_BITS);

	/* HOST_CR3 and HOST_CR4 are checked before each entry: they can change. */
	vmcs_writel(HOST_CR0, read_cr0());
	vmcs_write16(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write16(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write16(HOST_DS_SELECTOR, 0);
	vmcs_write16(HOST_ES_SELECTOR, 0);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
	vcpu->arch.vmcs.host_fs_sel = 0;
	vcpu->arch.vmcs.host_gs_sel = 0;
	vcpu->arch.vmcs.host_fs_base = -1ULL;	/* never a base: written at the first entry */
	vmcs_write16(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	store_idt(&idt);
	vmcs_writel(HOST_IDTR_BASE, idt.address);
	rdmsrl(MSR_IA32_SYSENTER_CS, val);
	vmcs_write32(HOST_IA32_SYSENTER_CS, val);
	rdmsrl(MSR_IA32_SYSENTER_EIP, val);
	vmcs_writel(HOST_IA32_SYSENTER_EIP, val);
	rdmsrl(MSR_EFER, val);
	vmcs_write64(HOST_IA32_EFER, val);
	rdmsrl(MSR_IA32_CR_PAT, val);
	vmcs_write64(HOST_IA32_PAT, val);
}

/**
 * vmx_vcpu_reset() - set up a new vCPU's VMCS, in the state of an x86 CPU after RESET
 * @vcpu: the vCPU, loaded
 *
 * Real mode at 0xf000:0xfff0 with every segment a 64 KiB read/write one, as KVM's
 * vmx_vcpu_reset(); unrestricted guest runs it as is.
 */
void vmx_vcpu_reset(struct kvm_vcpu *vcpu)
{
	struct kvm_segment seg = {
		.limit = RESET_SEGMENT_LIMIT,
		.type = SEG_TYPE_DATA_RW,
		.present = 1,
		.s = 1,
	};
	struct kvm_dtable dt = { .limit = RESET_SEGMENT_LIMIT };
	int i;

	init_vmcs(vcpu);
	/* No CPUID table yet: no CPUID-dependent feature. */
	kvm_vcpu_after_set_cpuid(vcpu);
	kvm_vcpu_reset_tsc(vcpu);
	for (i = VCPU_SREG_ES; i <= VCPU_SREG_GS; i++)
		vmx_set_segment(vcpu, &seg, i);
	seg.selector = RESET_CS_SELECTOR;
	seg.base = RESET_CS_BASE;
	seg.type = SEG_TYPE_CODE_RX;
	vmx_set_segment(vcpu, &seg, VCPU_SREG_CS);
	seg.selector = 0;
	seg.base = 0;
	seg.s = 0;
	seg.type = VMX_AR_TYPE_BUSY_64_TSS;
	vmx_set_segment(vcpu, &seg, VCPU_SREG_TR);
	seg.type = VMX_AR_TYPE_LDT;
	vmx_set_segment(vcpu, &seg, VCPU_SREG_LDTR);
	vmx_set_dtable(vcpu, &dt, false);
	vmx_set_dtable(vcpu, &dt, true);

	vmcs_write64(GUEST_IA32_EFER, 0);
	vmx_set_cr0(vcpu, RESET_CR0);
	vmcs_writel(GUEST_CR3, 0);
	vmx_set_cr4(vcpu, 0);
	vmcs_writel(GUEST_DR7, RESET_DR7);
	memset(vcpu->arch.db, 0, sizeof(vcpu->arch.db));
	vcpu->arch.dr6 = RESET_DR6;
	vcpu->arch.dr7 = RESET_DR7;
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write64(GUEST_IA32_PAT, RESET_PAT);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writel(GUEST_SYSENTER_ESP, 0);
	vmcs_writel(GUEST_SYSENTER_EIP, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmx_set_rflags(vcpu, 0);
	kvm_rip_write(vcpu, RESET_RIP);
	vmcs_writel(GUEST_RSP, 0);
	memset(vcpu->arch.regs, 0, sizeof(vcpu->arch.regs));
	vcpu->arch.regs[VCPU_REGS_RDX] = RESET_RDX;
}

