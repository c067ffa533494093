// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's VMX exit handling: kvm_vmx_exit_handlers[], and the events the next entry delivers.
 *
 * vmx_handle_exit() runs after vmx_vcpu_run() (vmx.c), interrupts on: a failed entry first,
 * then the handler of the basic exit reason, as KVM's __vmx_handle_exit(). A handler steps
 * over the instruction it emulated (kvm_skip_emulated_instruction()) or injects what a CPU
 * would have raised; the run loop (x86.c) queues interrupts and opens the interrupt window
 * with the same helpers, which write the VM-entry event fields (SDM 27.6 "Event injection").
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <linux/nospec.h>
#include <asm/debugreg.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include <asm/vmx.h>

#include <minikvm/kvm_host.h>

#include "vmx.h"

/*
 * An emulated instruction of @len bytes is done: RIP moves past it, and out of any STI or
 * MOV SS interrupt shadow, which ends with that instruction (SDM 26.3.1.5).
 */
void kvm_rip_advance(struct kvm_vcpu *vcpu, int len)
{
	u32 interruptibility = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

	kvm_rip_write(vcpu, kvm_rip_read(vcpu) + len);
	if (interruptibility & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, interruptibility &
			     ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

/* Steps over the instruction that made the exit: its length is the CPU's (SDM 28.2.5). */
int kvm_skip_emulated_instruction(struct kvm_vcpu *vcpu)
{
	kvm_rip_advance(vcpu, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	return 1;
}

/* Injects a hardware exception at the next entry (SDM 27.6 "Event injection"). */
void vmx_inject_exception(struct kvm_vcpu *vcpu, unsigned int nr, bool has_error_code,
			  u32 error_code)
{
	u32 info = nr | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID_MASK;

	if (has_error_code) {
		info |= INTR_INFO_DELIVER_CODE_MASK;
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
	}
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
}

/* Takes back the event the next entry would deliver, as KVM's vmx_cancel_injection(). */
void vmx_cancel_injection(struct kvm_vcpu *vcpu)
{
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
}

/* An exception that pushes an error code, except in real mode (SDM 27.2.1.3). */
static void kvm_queue_exception_e(struct kvm_vcpu *vcpu, unsigned int nr, u32 error_code)
{
	vmx_inject_exception(vcpu, nr, kvm_read_cr0(vcpu) & X86_CR0_PE, error_code);
}

static void kvm_queue_exception(struct kvm_vcpu *vcpu, unsigned int nr)
{
	vmx_inject_exception(vcpu, nr, false, 0);
}

/*
 * The guest can take an external interrupt now: RFLAGS.IF set, no STI or MOV SS shadow
 * (SDM 26.3.1.5 checks both for an injected one), and no event already queued.
 */
bool vmx_interrupt_allowed(struct kvm_vcpu *vcpu)
{
	return (vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
	       !(vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) &
		 (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)) &&
	       !(vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID_MASK);
}

void vmx_inject_irq(struct kvm_vcpu *vcpu, u8 nr)
{
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, nr | INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK);
}

/*
 * The STI and MOV SS shadows of the interruptibility state (SDM 25.4.2), in the ABI's
 * encoding (KVM_X86_SHADOW_INT_*), which numbers them the other way round.
 */
int vmx_get_interrupt_shadow(struct kvm_vcpu *vcpu)
{
	u32 interruptibility = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	int mask = 0;

	if (interruptibility & GUEST_INTR_STATE_STI)
		mask |= KVM_X86_SHADOW_INT_STI;
	if (interruptibility & GUEST_INTR_STATE_MOV_SS)
		mask |= KVM_X86_SHADOW_INT_MOV_SS;
	return mask;
}

/* VM entry refuses both shadows at once (SDM 27.3.1.5): MOV SS wins, as in KVM. */
void vmx_set_interrupt_shadow(struct kvm_vcpu *vcpu, int mask)
{
	u32 interruptibility = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) &
			       ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);

	if (mask & KVM_X86_SHADOW_INT_MOV_SS)
		interruptibility |= GUEST_INTR_STATE_MOV_SS;
	else if (mask & KVM_X86_SHADOW_INT_STI)
		interruptibility |= GUEST_INTR_STATE_STI;
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, interruptibility);
}

/* Blocking by NMI (SDM 25.4.2). minikvm injects no NMI, so nothing sets it in a guest. */
bool vmx_get_nmi_mask(struct kvm_vcpu *vcpu)
{
	return vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & GUEST_INTR_STATE_NMI;
}

/* Interrupt-window exiting: exit as soon as the guest can take an interrupt (SDM 26.7.5). */
void vmx_set_irq_window(struct kvm_vcpu *vcpu, bool enable)
{
	u32 ctl = vmcs_read32(CPU_BASED_VM_EXEC_CONTROL);

	if (!!(ctl & CPU_BASED_INTR_WINDOW_EXITING) != enable)
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, ctl ^ CPU_BASED_INTR_WINDOW_EXITING);
}

/* The window opened: the run loop injects what is pending, or tells userspace. */
static int handle_interrupt_window(struct kvm_vcpu *vcpu)
{
	vmx_set_irq_window(vcpu, false);
	return 1;
}

int kvm_inject_gp(struct kvm_vcpu *vcpu)
{
	kvm_queue_exception_e(vcpu, GP_VECTOR, 0);
	return 1;
}

/* Userspace gets the raw exit reason for what minikvm does not handle, as KVM does. */
static int vmx_unexpected_exit(struct kvm_vcpu *vcpu)
{
	u64 data[] = { vcpu->arch.exit_reason, raw_smp_processor_id() };

	pr_info_ratelimited("vcpu %u: unexpected VM exit reason %u (qualification 0x%lx)\n",
			    vcpu->vcpu_id, vcpu->arch.exit_reason,
			    vcpu->arch.exit_qualification);
	kvm_prepare_internal_error_exit(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON, data,
					ARRAY_SIZE(data));
	return 0;
}

/*
 * A host NMI or machine check, already handled; or #AC, given back to the
 * guest. An #AC raised while the guest's IDT delivered another event (the storm that the
 * intercept is for: each #AC's delivery raising the next) goes to userspace instead, as
 * KVM's simultaneous-exception internal error, with the event, the #AC and its error code.
 */
static int handle_exception_nmi(struct kvm_vcpu *vcpu)
{
	u32 intr_info = vmcs_read32(VM_EXIT_INTR_INFO);
	u32 type = intr_info & INTR_INFO_INTR_TYPE_MASK;
	u32 vectoring, error_code;

	/* Both went to the host before interrupts came back on (vmx_handle_exit_irqoff()). */
	if (type == INTR_TYPE_NMI_INTR ||
	    (type == INTR_TYPE_HARD_EXCEPTION && (intr_info & INTR_INFO_VECTOR_MASK) == MC_VECTOR))
		return 1;
	if (type != INTR_TYPE_HARD_EXCEPTION || (intr_info & INTR_INFO_VECTOR_MASK) != AC_VECTOR)
		return vmx_unexpected_exit(vcpu);
	/* Read only for an #AC: a host NMI, the common case here, needs it not. */
	vectoring = vcpu->arch.idt_vectoring_info;
	error_code = vmcs_read32(VM_EXIT_INTR_ERROR_CODE);
	if (vectoring & VECTORING_INFO_VALID_MASK) {
		u64 data[] = { vectoring, intr_info, error_code, raw_smp_processor_id() };

		pr_info_ratelimited("vcpu %u: #AC while delivering event 0x%x\n", vcpu->vcpu_id,
				    vectoring);
		kvm_prepare_internal_error_exit(vcpu, KVM_INTERNAL_ERROR_SIMUL_EX, data,
						ARRAY_SIZE(data));
		return 0;
	}
	vmx_inject_exception(vcpu, AC_VECTOR, true, error_code);
	return 1;
}

/* The host took the interrupt as soon as the run loop turned interrupts back on. */
static int handle_external_interrupt(struct kvm_vcpu *vcpu)
{
	return 1;
}

/* The timer ran out (vmx_setup_preemption_timer()): the run loop looks at the host. */
static int handle_preemption_timer(struct kvm_vcpu *vcpu)
{
	return 1;
}

static int handle_triple_fault(struct kvm_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

/* Exit qualification of I/O instructions (SDM Table 28-5). */
#define IO_QUAL_SIZE_MASK	GENMASK(2, 0)
#define IO_QUAL_IN		BIT(3)
#define IO_QUAL_STRING		BIT(4)
#define IO_QUAL_REP		BIT(5)
#define IO_QUAL_PORT_SHIFT	16

static int handle_io(struct kvm_vcpu *vcpu)
{
	unsigned long qual = vcpu->arch.exit_qualification;
	int size = (qual & IO_QUAL_SIZE_MASK) + 1;
	unsigned short port = qual >> IO_QUAL_PORT_SHIFT;

	if (qual & IO_QUAL_STRING)
		return kvm_emulate_string_pio(vcpu, size, port, qual & IO_QUAL_IN,
					      qual & IO_QUAL_REP);
	return kvm_fast_pio(vcpu, size, port, qual & IO_QUAL_IN);
}

/* Exit qualification of control-register accesses (SDM Table 28-3). */
#define CR_QUAL_NUM_MASK	GENMASK(3, 0)
#define CR_QUAL_ACCESS_SHIFT	4
#define CR_QUAL_ACCESS_MASK	GENMASK(5, 4)
#define CR_QUAL_REG_SHIFT	8
#define CR_QUAL_REG_MASK	GENMASK(11, 8)
#define CR_ACCESS_MOV_TO_CR	0
#define CR_ACCESS_MOV_FROM_CR	1

/* CR8 is the task-priority class, bits 3:0; the others are reserved (SDM 10.8.6.1). */
#define CR8_RESERVED_BITS	(~0xfUL)

/**
 * kvm_set_cr8() - a new TPR for a vCPU whose local APIC userspace emulates
 * @vcpu: the vCPU
 * @cr8: the value
 *
 * CR8 never reaches the CPU: MOV to and from CR8 exit (vmx_hw.c), so that the guest's
 * value stays the vCPU's and the host's TPR, which is the physical CR8, stays the
 * host's. Return: 0, or 1 for reserved bits (#GP), as KVM.
 */
int kvm_set_cr8(struct kvm_vcpu *vcpu, unsigned long cr8)
{
	if (cr8 & CR8_RESERVED_BITS)
		return 1;
	vcpu->arch.cr8 = cr8;
	return 0;
}

/*
 * MOV to CR8, as KVM without an in-kernel local APIC: when the priority drops, an
 * interrupt userspace held back may now be deliverable, so it is told (KVM_EXIT_SET_TPR,
 * the new value in run->cr8); a raise needs nobody.
 */
static int handle_set_cr8(struct kvm_vcpu *vcpu, unsigned long val)
{
	unsigned long old = vcpu->arch.cr8;

	if (kvm_set_cr8(vcpu, val))
		return kvm_inject_gp(vcpu);
	kvm_skip_emulated_instruction(vcpu);
	if (val >= old)
		return 1;
	vcpu->run->exit_reason = KVM_EXIT_SET_TPR;
	return 0;
}

/*
 * A MOV to CR0 or CR4 that changes a bit the host owns (CR0_HOST_OWNED_BITS, and CR4's of
 * vmx_set_cr4_guest_host_mask()): checked as the CPU would, with the #GP the CPU would
 * raise for a bad value. Or any MOV to or from CR8.
 */
static int handle_cr(struct kvm_vcpu *vcpu)
{
	unsigned long qual = vcpu->arch.exit_qualification;
	int cr = qual & CR_QUAL_NUM_MASK;
	int reg = (qual & CR_QUAL_REG_MASK) >> CR_QUAL_REG_SHIFT;
	int access = (qual & CR_QUAL_ACCESS_MASK) >> CR_QUAL_ACCESS_SHIFT;
	unsigned long val;

	if (access == CR_ACCESS_MOV_FROM_CR && cr == 8) {
		kvm_register_write(vcpu, reg, vcpu->arch.cr8);
		return kvm_skip_emulated_instruction(vcpu);
	}
	if (access != CR_ACCESS_MOV_TO_CR)
		return vmx_unexpected_exit(vcpu);
	val = kvm_register_read(vcpu, reg);
	switch (cr) {
	case 0:
		if (!kvm_is_valid_cr0(vcpu, val))
			return kvm_inject_gp(vcpu);
		vmx_set_cr0(vcpu, val);
		if (is_pae_paging(vcpu) &&
		    kvm_load_pdptrs(vcpu, vmcs_readl(GUEST_CR3)))
			return kvm_inject_gp(vcpu);
		break;
	case 4:
		if (!kvm_is_valid_cr4(vcpu, val))
			return kvm_inject_gp(vcpu);
		vmx_set_cr4(vcpu, val);
		break;
	case 8:
		return handle_set_cr8(vcpu, val);
	default:
		return vmx_unexpected_exit(vcpu);
	}
	return kvm_skip_emulated_instruction(vcpu);
}

/*
 * VMCALL is KVM's hypercall (Documentation/virt/kvm/x86/hypercalls.rst): the number in
 * RAX, the result back in RAX, both cut to 32 bits outside 64-bit mode. minikvm has none
 * of KVM's hypercalls, so every number gets KVM's answer for an unknown one: -KVM_ENOSYS,
 * or -KVM_EPERM from CPL > 0, checked first, as KVM does.
 */
static int handle_vmcall(struct kvm_vcpu *vcpu)
{
	unsigned long ret = vmx_get_cpl(vcpu) ? -KVM_EPERM : -KVM_ENOSYS;

	if (!is_64bit_mode(vcpu))
		ret = (u32)ret;
	kvm_register_write(vcpu, VCPU_REGS_RAX, ret);
	return kvm_skip_emulated_instruction(vcpu);
}

/* Exit qualification of MOV DR (SDM Table 28-4): bit 4 set for MOV from DR. */
#define DR_QUAL_MOV_FROM_DR	BIT(4)

/* The register a MOV DR names, DR4 and DR5 being DR6 and DR7 (SDM 19.2.2). */
static unsigned long kvm_get_dr(struct kvm_vcpu *vcpu, int dr)
{
	switch (dr) {
	case 0 ... 3:
		return vcpu->arch.db[dr];
	case 4:
	case 6:
		return vcpu->arch.dr6;
	default:
		return vcpu->arch.dr7;
	}
}

/* Returns false if @val sets bits that make the MOV #GP. */
static bool kvm_set_dr(struct kvm_vcpu *vcpu, int dr, unsigned long val)
{
	switch (dr) {
	case 0 ... 3:
		vcpu->arch.db[dr] = val;
		return true;
	case 4:
	case 6:
		if (upper_32_bits(val))
			return false;
		vcpu->arch.dr6 = (val & DR6_VOLATILE) | (DR6_ACTIVE_LOW & ~DR6_VOLATILE);
		return true;
	default:
		if (upper_32_bits(val))
			return false;
		vcpu->arch.dr7 = (val & DR7_VOLATILE) | DR7_FIXED_1;
		return true;
	}
}

/**
 * handle_dr() - MOV to or from a debug register
 * @vcpu: the vCPU
 *
 * The exit comes before the CPU's own checks (SDM 26.1.3), so they are made here, in
 * KVM's order: #UD for DR4 or DR5 with CR4.DE set, #GP at CPL > 0, then the #DB of DR7.GD
 * (general detect: DR6.BD set, GD cleared for the handler, SDM 19.2.4), or a DR7 or DR6
 * value with its high half set in 64-bit mode (#GP).
 *
 * The guest's debug registers live here, in vcpu->arch, never in the hardware: GUEST_DR7,
 * which entry loads into DR7, keeps its reset value, no breakpoint enabled, so the host's
 * DR0-DR3 (its watchpoints, or stale values) are never armed in the guest, and no guest
 * breakpoint ever fires. Giving the guest live breakpoints would need DR0-DR3 switched
 * around each entry (hw_breakpoint_restore() after) and #DB intercepted, or a data
 * breakpoint on the guest's own #DB stack hangs the CPU in microcode (CVE-2015-8104).
 *
 * Return: 1, the guest resumes.
 */
static int handle_dr(struct kvm_vcpu *vcpu)
{
	unsigned long qual = vcpu->arch.exit_qualification;
	int dr = qual & DEBUG_REG_ACCESS_NUM;
	int reg = DEBUG_REG_ACCESS_REG(qual);
	unsigned long val;

	if ((dr == 4 || dr == 5) && (kvm_read_cr4(vcpu) & X86_CR4_DE)) {
		kvm_queue_exception(vcpu, UD_VECTOR);
		return 1;
	}
	if (vmx_get_cpl(vcpu))
		return kvm_inject_gp(vcpu);
	if (vcpu->arch.dr7 & DR7_GD) {
		vcpu->arch.dr6 = (vcpu->arch.dr6 & ~DR_TRAP_BITS) | DR6_BD;
		vcpu->arch.dr7 &= ~DR7_GD;
		kvm_queue_exception(vcpu, DB_VECTOR);
		return 1;
	}
	if (qual & DR_QUAL_MOV_FROM_DR) {
		val = kvm_get_dr(vcpu, dr);
		kvm_register_write(vcpu, reg, is_64bit_mode(vcpu) ? val : (u32)val);
	} else {
		val = kvm_register_read(vcpu, reg);
		if (!kvm_set_dr(vcpu, dr, is_64bit_mode(vcpu) ? val : (u32)val))
			return kvm_inject_gp(vcpu);
	}
	return kvm_skip_emulated_instruction(vcpu);
}

/*
 * XSETBV always exits, but the CPU #UDs first while CR4.OSXSAVE is 0 (SDM 26.1.1), and a
 * minikvm guest never has it set (vmx_cr4_valid_bits()): this exit should not come. If
 * it does, the guest gets the #UD of a CPU without XSAVE, never an internal error.
 */
static int handle_xsetbv(struct kvm_vcpu *vcpu)
{
	kvm_queue_exception(vcpu, UD_VECTOR);
	return 1;
}

/*
 * RDPMC would read the host's performance counters. minikvm gives guests no PMU (cpuid.c
 * hides leaf 0xA), so every counter is one the guest does not have: #GP, as KVM's
 * kvm_emulate_rdpmc() without a vPMU.
 */
static int handle_rdpmc(struct kvm_vcpu *vcpu)
{
	return kvm_inject_gp(vcpu);
}

/*
 * WBINVD and INVD touch only caches, which the guest's memory shares with the host's: a
 * guest has no device doing non-coherent DMA into it here, so neither is needed for its
 * data, and neither is run for it, as KVM without such a device. INVD would throw away
 * the host's dirty lines; WBINVD would stall this CPU for as long as all caches take.
 * Both are privileged: at CPL > 0 the CPU #GPs before exiting (SDM 26.1.1).
 */
static int handle_wbinvd_invd(struct kvm_vcpu *vcpu)
{
	return kvm_skip_emulated_instruction(vcpu);
}

/*
 * MONITOR and MWAIT would let the guest stop the host's CPU in a C-state of its choosing.
 * As KVM with its default MWAIT_NEVER_UD_FAULTS quirk, both are NOPs, whether the guest's
 * CPUID offers them or not (cpuid.c hides them): an MWAIT then returns at once, which
 * the architecture allows (SDM Vol. 2, MWAIT).
 */
static int handle_monitor_mwait(struct kvm_vcpu *vcpu)
{
	pr_warn_once("a guest's MONITOR or MWAIT is emulated as a NOP\n");
	return kvm_skip_emulated_instruction(vcpu);
}

static int handle_ept_violation(struct kvm_vcpu *vcpu)
{
	return kvm_mmu_page_fault(vcpu, vmcs_read64(GUEST_PHYSICAL_ADDRESS),
				  vcpu->arch.exit_qualification);
}

/* minikvm never writes a misconfigured EPT entry: if one is seen, say so and stop. */
static int handle_ept_misconfig(struct kvm_vcpu *vcpu)
{
	pr_err_ratelimited("vcpu %u: EPT misconfiguration at 0x%llx\n", vcpu->vcpu_id,
			   vmcs_read64(GUEST_PHYSICAL_ADDRESS));
	return vmx_unexpected_exit(vcpu);
}

/*
 * Handlers by basic exit reason (SDM Appendix C), as KVM's: 1 to re-enter the guest, 0 to
 * return to userspace with run->exit_reason set, a negative errno to fail KVM_RUN. A
 * reason without a handler is unexpected: minikvm did not ask for it.
 */
static int (*const kvm_vmx_exit_handlers[])(struct kvm_vcpu *vcpu) = {
	[EXIT_REASON_EXCEPTION_NMI]		= handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT]		= handle_triple_fault,
	[EXIT_REASON_INTERRUPT_WINDOW]		= handle_interrupt_window,
	[EXIT_REASON_CPUID]			= kvm_emulate_cpuid,
	[EXIT_REASON_HLT]			= kvm_emulate_halt,
	[EXIT_REASON_INVD]			= handle_wbinvd_invd,
	[EXIT_REASON_RDPMC]			= handle_rdpmc,
	[EXIT_REASON_VMCALL]			= handle_vmcall,
	[EXIT_REASON_CR_ACCESS]			= handle_cr,
	[EXIT_REASON_DR_ACCESS]			= handle_dr,
	[EXIT_REASON_IO_INSTRUCTION]		= handle_io,
	[EXIT_REASON_MSR_READ]			= kvm_emulate_rdmsr,
	[EXIT_REASON_MSR_WRITE]			= kvm_emulate_wrmsr,
	[EXIT_REASON_MWAIT_INSTRUCTION]		= handle_monitor_mwait,
	[EXIT_REASON_MONITOR_INSTRUCTION]	= handle_monitor_mwait,
	[EXIT_REASON_EPT_VIOLATION]		= handle_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG]		= handle_ept_misconfig,
	[EXIT_REASON_PREEMPTION_TIMER]		= handle_preemption_timer,
	[EXIT_REASON_WBINVD]			= handle_wbinvd_invd,
	[EXIT_REASON_XSETBV]			= handle_xsetbv,
};

/*
 * KVM_EXIT_FAIL_ENTRY: the VM-instruction error of a VMfail (the VMCS was refused), or the
 * exit reason, bit 31 set, of a guest state that was (SDM 27.8), as KVM reports them.
 */
static int vmx_fail_entry(struct kvm_vcpu *vcpu, u32 reason)
{
	struct kvm_run *run = vcpu->run;

	pr_info_ratelimited("vcpu %u: VM entry failed: %s 0x%x, qualification 0x%lx\n",
			    vcpu->vcpu_id, vcpu->arch.vmfail ? "VM-instruction error" : "reason",
			    reason, vmcs_readl(EXIT_QUALIFICATION));
	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = reason;
	run->fail_entry.cpu = raw_smp_processor_id();
	return 0;
}

/**
 * vmx_handle_exit() - what to do after vmx_vcpu_run(), interrupts on
 * @vcpu: the vCPU
 *
 * A failed entry first (VMfail: the VMCS itself was refused; or an exit reason with bit 31
 * set: the guest state was, SDM 27.8), then the handler of the basic reason, found with
 * an index the CPU gave, so bounded also under speculation.
 *
 * Return: as the handlers.
 */
int vmx_handle_exit(struct kvm_vcpu *vcpu)
{
	u32 exit_reason = vcpu->arch.exit_reason;
	u16 basic = exit_reason;

	if (unlikely(vcpu->arch.vmfail))
		return vmx_fail_entry(vcpu, vmcs_read32(VM_INSTRUCTION_ERROR));
	if (unlikely(exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
		return vmx_fail_entry(vcpu, exit_reason);
	if (basic >= ARRAY_SIZE(kvm_vmx_exit_handlers))
		return vmx_unexpected_exit(vcpu);
	basic = array_index_nospec(basic, ARRAY_SIZE(kvm_vmx_exit_handlers));
	if (!kvm_vmx_exit_handlers[basic])
		return vmx_unexpected_exit(vcpu);
	return kvm_vmx_exit_handlers[basic](vcpu);
}
