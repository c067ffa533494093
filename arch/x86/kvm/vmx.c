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

/* VMCLEAR (SDM 30.3): write the VMCS data back to memory and make its launch state clear. */
static void vmcs_clear(void *vmcs)
{
	u64 phys = __pa(vmcs);

	asm goto("vmclear %[phys]\n\t"
		 "jna %l[fail]"
		 : : [phys] "m" (phys) : "cc", "memory" : fail);
	return;
fail:
	pr_err("VMCLEAR of VMCS 0x%llx failed on cpu%d\n", phys, smp_processor_id());
}

/* VMPTRLD (SDM 30.3): make the VMCS current on this CPU. */
static void vmcs_load(void *vmcs)
{
	u64 phys = __pa(vmcs);

	asm goto("vmptrld %[phys]\n\t"
		 "jna %l[fail]"
		 : : [phys] "m" (phys) : "cc", "memory" : fail);
	return;
fail:
	pr_err("VMPTRLD of VMCS 0x%llx failed on cpu%d\n", phys, smp_processor_id());
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
	u64 fs_base;

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
	}
	if (!already_loaded) {
		vmx_set_host_state_per_cpu();
		ept_sync_context(vcpu->kvm->arch.eptp);
		loaded_vmcs->cpu = cpu;
	}
	/* Threads of the VM owner may take turns running the vCPU: each has its FS base. */
	rdmsrl(MSR_FS_BASE, fs_base);
	vmcs_writel(HOST_FS_BASE, fs_base);
}

/*
 * Host state VMX does not switch and the kernel does not use: saved before the first entry
 * after a load and given back when the vCPU leaves the CPU (vmx_prepare_switch_to_host()),
 * not around every entry. SWAPGS in a 64-bit guest exchanges GS.base with
 * IA32_KERNEL_GS_BASE, where the host keeps its user GS base meanwhile.
 */
static void vmx_prepare_switch_to_guest(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *arch = &vcpu->arch;

	if (arch->guest_state_loaded)
		return;
	savesegment(ds, arch->host_ds_sel);
	savesegment(es, arch->host_es_sel);
	rdmsrl(MSR_KERNEL_GS_BASE, arch->host_kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, arch->msr_kernel_gs_base);
	arch->guest_state_loaded = true;
}

/*
 * VM exit loaded DS and ES with null selectors, limited TR to 0x67 and GDTR to 0xffff
 * (SDM 28.5.2, 28.5.3): the kernel does not mind, userspace and the I/O bitmap do.
 */
static void vmx_prepare_switch_to_host(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *arch = &vcpu->arch;

	if (!arch->guest_state_loaded)
		return;
	rdmsrl(MSR_KERNEL_GS_BASE, arch->msr_kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, arch->host_kernel_gs_base);
	loadsegment(ds, arch->host_ds_sel);
	loadsegment(es, arch->host_es_sel);
	invalidate_tss_limit();
	load_fixmap_gdt(raw_smp_processor_id());
	arch->guest_state_loaded = false;
}

void vmx_vcpu_put(struct kvm_vcpu *vcpu)
{
	vmx_prepare_switch_to_host(vcpu);
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
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, vcpu->arch.vpid ?
		     vmcs_config.cpu_based_2nd_exec_ctrl :
		     vmcs_config.cpu_based_2nd_exec_ctrl & ~SECONDARY_EXEC_ENABLE_VPID);
	vmcs_write32(VM_EXIT_CONTROLS, vmcs_config.vmexit_ctrl);
	vmcs_write32(VM_ENTRY_CONTROLS, vmcs_config.vmentry_ctrl);
	/*
	 * #AC only: a guest at CPL 3 with CR0.AM, RFLAGS.AC and a misaligned stack makes each
	 * #AC's delivery raise another, a loop inside the CPU where the host never gets
	 * control back (CVE-2015-5307). Intercepted, each #AC is an exit, then reflected.
	 */
	vmcs_write32(EXCEPTION_BITMAP, BIT(AC_VECTOR));
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write64(MSR_BITMAP, __pa(vmx_msr_bitmap));
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_writel(CR0_GUEST_HOST_MASK, CR0_HOST_OWNED_BITS);
	vmcs_writel(CR4_GUEST_HOST_MASK, CR4_HOST_OWNED_BITS);

	/* HOST_CR3 and HOST_CR4 are checked before each entry: they can change. */
	vmcs_writel(HOST_CR0, read_cr0());
	vmcs_write16(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write16(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write16(HOST_DS_SELECTOR, 0);
	vmcs_write16(HOST_ES_SELECTOR, 0);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
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

/*
 * Offsets in struct kvm_vcpu_arch's regs[], for the assembly below: each GPR at its
 * number in the instruction encoding (asm/kvm_vcpu_regs.h), 8 bytes each.
 */
#define VCPU_REG_OFF(reg)	(__VCPU_REGS_##reg * 8)

/**
 * __vmx_vcpu_run() - enter the guest and come back
 * @regs: the guest's GPRs (RSP excepted), loaded before entry and saved after exit
 * @launched: VMRESUME if true, VMLAUNCH if not (SDM 26.1 "Basic VM-entry checks")
 *
 * The one piece of assembly, inline as the design asks. KVM moved its own into
 * vmenter.S in 2019 because the compiler may split, clone or reorder a C function around
 * an asm block in ways that break what the block assumes about the stack (and objtool's
 * view of it); this block stays safe by being the whole of a small noinline function,
 * by saving everything it needs on the stack itself, and by telling the compiler it
 * clobbers every other register, flags and memory.
 *
 * VM exit loads RSP and RIP from HOST_RSP and HOST_RIP (SDM 28.5.3), so both are written
 * here, at the exact stack depth of the exit label: a fixed HOST_RIP could not name a
 * label inside inline asm, and HOST_RSP is this call's stack. The guest's RBP and RCX are
 * loaded last-but-one and last: RCX holds @regs until then, and is found again on the
 * stack after the exit. VMLAUNCH/VMRESUME that fail do not enter the guest but fall
 * through with CF (VMfailInvalid) or ZF (VMfailValid) set (SDM 30.2), and join the exit
 * path, which saves the registers (harmlessly) and records the failure from the flags:
 * a real VM exit clears them all (SDM 28.5.3). Nothing between VMLAUNCH and SETBE
 * changes the flags. Registers that held guest values are cleared before returning, so
 * that no later speculation in the host can use them.
 *
 * Return: true if VMLAUNCH/VMRESUME failed (VMfail).
 */
static noinline bool __vmx_vcpu_run(unsigned long *regs, bool launched)
{
	u8 fail = launched;

	asm volatile(
		"push %%rbp\n\t"
		"push %%rcx\n\t"
		"mov $%c[host_rsp], %%rdx\n\t"
		"vmwrite %%rsp, %%rdx\n\t"
		"lea 2f(%%rip), %%rax\n\t"
		"mov $%c[host_rip], %%rdx\n\t"
		"vmwrite %%rax, %%rdx\n\t"
		"test %%bl, %%bl\n\t"
		"mov %c[rax](%%rcx), %%rax\n\t"
		"mov %c[rdx](%%rcx), %%rdx\n\t"
		"mov %c[rbx](%%rcx), %%rbx\n\t"
		"mov %c[rsi](%%rcx), %%rsi\n\t"
		"mov %c[rdi](%%rcx), %%rdi\n\t"
		"mov %c[r8](%%rcx), %%r8\n\t"
		"mov %c[r9](%%rcx), %%r9\n\t"
		"mov %c[r10](%%rcx), %%r10\n\t"
		"mov %c[r11](%%rcx), %%r11\n\t"
		"mov %c[r12](%%rcx), %%r12\n\t"
		"mov %c[r13](%%rcx), %%r13\n\t"
		"mov %c[r14](%%rcx), %%r14\n\t"
		"mov %c[r15](%%rcx), %%r15\n\t"
		"mov %c[rbp](%%rcx), %%rbp\n\t"
		"mov %c[rcx](%%rcx), %%rcx\n\t"
		"jnz 1f\n\t"
		"vmlaunch\n\t"
		"jmp 2f\n\t"
		"1: vmresume\n\t"
		"2: push %%rcx\n\t"
		"mov 8(%%rsp), %%rcx\n\t"
		"mov %%rax, %c[rax](%%rcx)\n\t"
		"mov %%rdx, %c[rdx](%%rcx)\n\t"
		"mov %%rbx, %c[rbx](%%rcx)\n\t"
		"mov %%rbp, %c[rbp](%%rcx)\n\t"
		"mov %%rsi, %c[rsi](%%rcx)\n\t"
		"mov %%rdi, %c[rdi](%%rcx)\n\t"
		"mov %%r8, %c[r8](%%rcx)\n\t"
		"mov %%r9, %c[r9](%%rcx)\n\t"
		"mov %%r10, %c[r10](%%rcx)\n\t"
		"mov %%r11, %c[r11](%%rcx)\n\t"
		"mov %%r12, %c[r12](%%rcx)\n\t"
		"mov %%r13, %c[r13](%%rcx)\n\t"
		"mov %%r14, %c[r14](%%rcx)\n\t"
		"mov %%r15, %c[r15](%%rcx)\n\t"
		"popq %c[rcx](%%rcx)\n\t"
		"setbe %%bl\n\t"
		"movzbl %%bl, %%ebx\n\t"
		"xor %%eax, %%eax\n\t"
		"xor %%edx, %%edx\n\t"
		"xor %%esi, %%esi\n\t"
		"xor %%edi, %%edi\n\t"
		"xor %%r8d, %%r8d\n\t"
		"xor %%r9d, %%r9d\n\t"
		"xor %%r10d, %%r10d\n\t"
		"xor %%r11d, %%r11d\n\t"
		"xor %%r12d, %%r12d\n\t"
		"xor %%r13d, %%r13d\n\t"
		"xor %%r14d, %%r14d\n\t"
		"xor %%r15d, %%r15d\n\t"
		"pop %%rcx\n\t"
		"pop %%rbp\n\t"
		: "+b" (fail), "+c" (regs)
		: [host_rsp] "i" (HOST_RSP), [host_rip] "i" (HOST_RIP),
		  [rax] "i" (VCPU_REG_OFF(RAX)), [rcx] "i" (VCPU_REG_OFF(RCX)),
		  [rdx] "i" (VCPU_REG_OFF(RDX)), [rbx] "i" (VCPU_REG_OFF(RBX)),
		  [rbp] "i" (VCPU_REG_OFF(RBP)), [rsi] "i" (VCPU_REG_OFF(RSI)),
		  [rdi] "i" (VCPU_REG_OFF(RDI)), [r8] "i" (VCPU_REG_OFF(R8)),
		  [r9] "i" (VCPU_REG_OFF(R9)), [r10] "i" (VCPU_REG_OFF(R10)),
		  [r11] "i" (VCPU_REG_OFF(R11)), [r12] "i" (VCPU_REG_OFF(R12)),
		  [r13] "i" (VCPU_REG_OFF(R13)), [r14] "i" (VCPU_REG_OFF(R14)),
		  [r15] "i" (VCPU_REG_OFF(R15))
		: "rax", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
		  "r15", "cc", "memory");
	return fail;
}

/*
 * A host NMI that arrived in the guest made this exit and is still the host's to handle
 * (SDM 26.2 "Other causes of VM exits"): call its handler through the IDT, with
 * interrupts still off, as KVM did before it had a dedicated entry. Its IRET ends the
 * NMI blocking the exit left.
 */
static void vmx_handle_exit_nmi_irqoff(struct kvm_vcpu *vcpu)
{
	u32 intr_info;

	if ((u16)vcpu->arch.exit_reason != EXIT_REASON_EXCEPTION_NMI)
		return;
	intr_info = vmcs_read32(VM_EXIT_INTR_INFO);
	if ((intr_info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK)) ==
	    (INTR_INFO_VALID_MASK | INTR_TYPE_NMI_INTR))
		asm volatile("int $2");
}

/*
 * An exit in the middle of delivering an event through the guest's IDT (a guest page
 * fault whose handler's page was not mapped in EPT yet) loses the event unless it is
 * injected again at the next entry (SDM 28.2.4 "Information for VM exits during event
 * delivery"): as KVM's __vmx_complete_interrupts().
 */
static void vmx_complete_interrupts(struct kvm_vcpu *vcpu)
{
	u32 idt_vectoring_info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	u32 type;

	if (!(idt_vectoring_info & VECTORING_INFO_VALID_MASK))
		return;
	type = idt_vectoring_info & VECTORING_INFO_TYPE_MASK;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, idt_vectoring_info);
	if (idt_vectoring_info & VECTORING_INFO_DELIVER_CODE_MASK)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE,
			     vmcs_read32(IDT_VECTORING_ERROR_CODE));
	/* Software events are injected with the length of their instruction (SDM 27.6.1.3). */
	if (type == INTR_TYPE_SOFT_EXCEPTION || type == INTR_TYPE_SOFT_INTR ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
}

/*
 * #DB is not intercepted and VMX does not switch DR6: a guest's own single step (TF) sets
 * DR6.BS in the hardware, where an emulated MOV from DR6 would not see it and the host's
 * next #DB handler would take it for its own. Such a condition moves to the guest's DR6,
 * and the hardware gets back the value with none.
 */
static void vmx_sync_guest_dr6(struct kvm_vcpu *vcpu)
{
	unsigned long dr6;

	get_debugreg(dr6, 6);
	if (likely(dr6 == DR6_ACTIVE_LOW))
		return;
	vcpu->arch.dr6 |= dr6 & DR6_VOLATILE;
	set_debugreg(DR6_ACTIVE_LOW, 6);
}

/**
 * vmx_vcpu_run() - one entry into the guest and its exit, interrupts off
 * @vcpu: the vCPU, loaded on this CPU
 *
 * Switches what VMX does not (guest CR2, DR6, the host's debug state), refreshes the host's
 * CR3 and CR4 in the VMCS if they changed since (a new PCID, a CR4 bit the kernel
 * toggles), enters, and reads why the guest exited into vcpu->arch.
 */
void vmx_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct loaded_vmcs *loaded_vmcs = &vcpu->arch.vmcs;
	unsigned long cr3, cr4;
	u64 host_debugctl;

	vmx_prepare_switch_to_guest(vcpu);
	cr3 = __read_cr3();
	if (cr3 != loaded_vmcs->host_cr3) {
		vmcs_writel(HOST_CR3, cr3);
		loaded_vmcs->host_cr3 = cr3;
	}
	cr4 = cr4_read_shadow();
	if (cr4 != loaded_vmcs->host_cr4) {
		vmcs_writel(HOST_CR4, cr4);
		loaded_vmcs->host_cr4 = cr4;
	}
	if (vmcs_config.preemption_timer_value)
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, vmcs_config.preemption_timer_value);
	if (native_read_cr2() != vcpu->arch.cr2)
		native_write_cr2(vcpu->arch.cr2);
	/* VM exit clears IA32_DEBUGCTL and sets DR7 to 0x400 (SDM 28.5.1). */
	rdmsrl(MSR_IA32_DEBUGCTLMSR, host_debugctl);

	vcpu->arch.vmfail = __vmx_vcpu_run(vcpu->arch.regs, loaded_vmcs->launched);

	vcpu->arch.cr2 = native_read_cr2();
	vmx_sync_guest_dr6(vcpu);
	if (host_debugctl)
		wrmsrl(MSR_IA32_DEBUGCTLMSR, host_debugctl);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();

	if (unlikely(vcpu->arch.vmfail)) {
		vcpu->arch.exit_reason = VMX_EXIT_REASONS_FAILED_VMENTRY;
		return;
	}
	vcpu->arch.exit_reason = vmcs_read32(VM_EXIT_REASON);
	if (unlikely(vcpu->arch.exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
		return;
	loaded_vmcs->launched = true;
	vcpu->arch.exit_qualification = vmcs_readl(EXIT_QUALIFICATION);
	vmx_handle_exit_nmi_irqoff(vcpu);
	vmx_complete_interrupts(vcpu);
}

