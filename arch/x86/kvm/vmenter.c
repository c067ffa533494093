// SPDX-License-Identifier: GPL-2.0-only
/*
 * Entering the guest and coming back: vmx_vcpu_run(), around the one piece of assembly,
 * __vmx_vcpu_run(), what KVM keeps in vmx/vmx.c and vmx/vmenter.S.
 *
 * Host state lives in the CPU while the guest runs, and each piece is answered here or
 * named where it is: GPRs, RSP, RIP, CR0/3/4, segments, IDTR/GDTR, EFER, PAT and
 * SYSENTER come back with the VMCS's host-state area (SDM 28.5); CR2, DR6, DEBUGCTL, the
 * debug registers and PKRU are switched below; SYSCALL's MSRs, TSC_AUX and KERNEL_GS_BASE
 * in msr.c and vmx.c (vmx_prepare_switch_to_guest()); the FPU with the kernel's guest FPU
 * API (x86.c); perf's MSRs by the VM-entry and VM-exit MSR-load lists. What the guest could
 * learn or steer through the CPU's speculative state is handled as the host kernel's own
 * mitigation state asks, exactly where KVM handles it:
 *
 * - L1TF: the L1D is flushed before entry (l1d_flush.c);
 * - MDS, TAA, MMIO stale data, RFDS: VERW clears the CPU's buffers as the last thing
 *   before VMLAUNCH/VMRESUME (X86_FEATURE_CLEAR_CPU_BUF, _VM);
 * - Spectre v2 / RSB underflow and poisoning: the return stack buffer is overwritten
 *   right after the exit, before the first unbalanced RET (X86_FEATURE_RSB_VMEXIT; on
 *   eIBRS CPUs with Post-Barrier RSB Predictions one CALL is retired, _RSB_VMEXIT_LITE);
 * - legacy IBRS: SPEC_CTRL is written again after the exit (X86_FEATURE_KERNEL_IBRS);
 * - Branch History Injection: the branch history is cleared before the first indirect
 *   branch (X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT);
 * - VMSCAPE: an IBPB before this CPU returns to userspace after running a guest
 *   (X86_FEATURE_IBPB_EXIT_TO_USER);
 * - Spectre v2 between guests: an IBPB when a CPU loads another vCPU's VMCS (vmx.c).
 *
 * The kernel picks which apply at boot and patches its own code to match (alternatives);
 * minikvm's module code is patched the same way at load.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irqflags.h>
#include <linux/jump_label.h>
#include <linux/percpu.h>
#include <linux/stringify.h>
#include <asm/alternative.h>
#include <asm/asm.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/perf_event.h>
#include <asm/processor-flags.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/vmx.h>

#include <minikvm/kvm_host.h>

#include "vmx.h"

/*
 * Offsets in struct kvm_vcpu_arch's regs[], for the assembly below: each GPR at its
 * number in the instruction encoding (asm/kvm_vcpu_regs.h), 8 bytes each.
 */
#define VCPU_REG_OFF(reg)	(__VCPU_REGS_##reg * 8)

/* What __vmx_vcpu_run() returns. */
#define VMX_RUN_EXITED		0	/* the guest ran, and exited */
#define VMX_RUN_VMFAIL		1	/* VMLAUNCH or VMRESUME failed (SDM 30.2) */
#define VMX_RUN_FAULT		2	/* it faulted: the CPU is not in VMX operation */

/*
 * Marks the CALL that follows as one to a label of the same function, for objtool
 * (the kernel's ANNOTATE_INTRA_FUNCTION_CALL, which its headers give assembly files only).
 */
#define INTRA_FUNCTION_CALL						\
	"999:\n\t.pushsection .discard.intra_function_calls\n\t.long 999b\n\t.popsection\n\t"

/*
 * The return stack buffer after an exit holds the guest's return addresses, which a RET
 * of the host could speculatively use; or too few, and a RET would fall back to the
 * branch target buffer (Intel, "Retpoline: A Branch Target Injection Mitigation"). Where
 * the kernel asks for it (X86_FEATURE_RSB_VMEXIT), 32 CALLs fill it with addresses of
 * INT3 traps, in 16 rounds of two, their stack space given back after each round; the
 * LFENCE stops a mispredicted loop exit. Where eIBRS protects the RSB but a RET may still
 * use the address of the last CALL before the exit (Post-Barrier RSB Predictions,
 * X86_FEATURE_RSB_VMEXIT_LITE), one CALL retired is enough.
 */
#define RSB_FILL_LOOP							\
	"mov $16, %%eax\n"						\
	"11:\n\t"							\
	INTRA_FUNCTION_CALL						\
	"call 12f\n\t"							\
	"int3\n"							\
	"12:\n\t"							\
	INTRA_FUNCTION_CALL						\
	"call 13f\n\t"							\
	"int3\n"							\
	"13:\n\t"							\
	"add $16, %%rsp\n\t"						\
	"dec %%eax\n\t"							\
	"jnz 11b\n\t"							\
	"lfence\n\t"
#define RSB_FILL_ONE							\
	INTRA_FUNCTION_CALL						\
	"call 14f\n\t"							\
	"int3\n"							\
	"14:\n\t"							\
	"add $8, %%rsp\n\t"						\
	"lfence\n\t"

/*
 * VERW with a writable data segment selector clears the CPU buffers that MDS-class
 * attacks sample (Intel, "Microarchitectural Data Sampling"), on CPUs whose microcode
 * gives it that effect; the kernel's x86_verw_sel is such a selector. It stays in place
 * and the alternative removes the jump over it, as the kernel's CLEAR_CPU_BUFFERS does:
 * a replacement may not hold a RIP-relative operand.
 */
#define CLEAR_CPU_BUFFERS						\
	ALTERNATIVE_2("jmp 8f", "", X86_FEATURE_CLEAR_CPU_BUF,		\
		      "", X86_FEATURE_CLEAR_CPU_BUF_VM)			\
	"\n\tverw x86_verw_sel(%%rip)\n"				\
	"8:\n\t"

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
 * label inside inline asm, and HOST_RSP is this call's stack. @launched goes to CF with
 * BT before the guest's registers are loaded, since VERW changes ZF; RBP and RCX are
 * loaded last-but-one and last: RCX holds @regs until then, and is found again on the
 * stack after the exit. VMLAUNCH/VMRESUME that fail do not enter the guest but fall
 * through with CF (VMfailInvalid) or ZF (VMfailValid) set (SDM 30.2), and join the exit
 * path, which saves the registers (harmlessly) and records the failure from the flags:
 * a real VM exit clears them all (SDM 28.5.3). Nothing between VMLAUNCH and SETBE
 * changes the flags. If they, or the VMWRITEs before, fault instead (VMX was turned off
 * under us, see kvm_spurious_fault()), the exception table sends the CPU to the register
 * clearing with VMX_RUN_FAULT. Registers that held guest values are cleared before returning, so
 * that no later speculation in the host can use them; then the RSB is filled and the
 * branch history cleared, before the RET.
 *
 * Return: VMX_RUN_EXITED, VMX_RUN_VMFAIL or VMX_RUN_FAULT.
 */
static noinline int __vmx_vcpu_run(unsigned long *regs, bool launched)
{
	unsigned long ret = launched;

	asm volatile(
		"push %%rbp\n\t"
		"push %%rcx\n\t"
		"mov $%c[host_rsp], %%rdx\n"
		"9: vmwrite %%rsp, %%rdx\n\t"
		"lea 2f(%%rip), %%rax\n\t"
		"mov $%c[host_rip], %%rdx\n"
		"10: vmwrite %%rax, %%rdx\n\t"
		"bt $0, %%ebx\n\t"
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
		CLEAR_CPU_BUFFERS
		"jc 1f\n"
		"3: vmlaunch\n\t"
		"jmp 2f\n"
		"1: vmresume\n"
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
		"movzbl %%bl, %%ebx\n"
		"5: xor %%eax, %%eax\n\t"
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
		ALTERNATIVE_2("jmp 6f", RSB_FILL_LOOP, X86_FEATURE_RSB_VMEXIT,
			      RSB_FILL_ONE, X86_FEATURE_RSB_VMEXIT_LITE)
		"\n6:\n\t"
		ALTERNATIVE("", "call clear_bhb_loop", X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT)
		"\n\t"
		"pop %%rcx\n\t"
		"pop %%rbp\n\t"
		"jmp 7f\n"
		"4: mov $%c[fault], %%ebx\n\t"
		"jmp 5b\n"
		"7:\n\t"
		_ASM_EXTABLE(9b, 4b)
		_ASM_EXTABLE(10b, 4b)
		_ASM_EXTABLE(3b, 4b)
		_ASM_EXTABLE(1b, 4b)
		: "+b" (ret), "+c" (regs), ASM_CALL_CONSTRAINT
		: [host_rsp] "i" (HOST_RSP), [host_rip] "i" (HOST_RIP),
		  [fault] "i" (VMX_RUN_FAULT),
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
	return ret;
}

/*
 * Legacy IBRS (X86_FEATURE_KERNEL_IBRS, on CPUs without eIBRS) protects the kernel only
 * if SPEC_CTRL.IBRS is written after each move from a less privileged predictor mode,
 * which the guest is: write the host's value again, as KVM's
 * vmx_spec_ctrl_restore_host(). The guest has no SPEC_CTRL of its own (RDMSR and WRMSR
 * of it #GP), so the CPU holds the host's value throughout and no other write is needed.
 * The LFENCE keeps speculation from running past the write.
 */
static __always_inline void vmx_spec_ctrl_restore_host(void)
{
	if (!cpu_feature_enabled(X86_FEATURE_MSR_SPEC_CTRL))
		return;
	if (cpu_feature_enabled(X86_FEATURE_KERNEL_IBRS))
		native_wrmsrl(MSR_IA32_SPEC_CTRL, this_cpu_read(x86_spec_ctrl_current));
	barrier_nospec();
}

/*
 * PKRU is not switched by VMX (it is part of the XSAVE state, which the kernel's guest
 * FPU switch leaves to the hypervisor): with protection keys on, a guest's WRPKRU would
 * change the VMM thread's. The guest's goes in before the entry and the host's comes back
 * after, where the guest can use it (CR4.PKE, which exits when it changes: cpuid.c), as
 * KVM's kvm_load_guest_xsave_state().
 */
static __always_inline u32 vmx_load_guest_pkru(struct kvm_vcpu *vcpu)
{
	u32 host_pkru;

	if (!cpu_feature_enabled(X86_FEATURE_OSPKE) || !vcpu->arch.cr4_pke)
		return 0;
	host_pkru = rdpkru();
	if (vcpu->arch.pkru != host_pkru)
		wrpkru(vcpu->arch.pkru);
	return host_pkru;
}

static __always_inline void vmx_load_host_pkru(struct kvm_vcpu *vcpu, u32 host_pkru)
{
	if (!cpu_feature_enabled(X86_FEATURE_OSPKE) || !vcpu->arch.cr4_pke)
		return;
	vcpu->arch.pkru = rdpkru();
	if (vcpu->arch.pkru != host_pkru)
		wrpkru(host_pkru);
}

/*
 * Host perf events that must not count, or write PEBS records, in the guest: perf says
 * which of its MSRs need other values while a guest runs (no PMU of the guest's to pass,
 * as KVM without a vPMU), and the VM-entry and VM-exit MSR-load lists switch them with
 * the entry and the exit (SDM 26.4, 27.6). A host whose PMU driver has no such MSRs
 * (perf_guest_get_msrs() is a static call fixed at boot) is asked once, at load.
 */
static DEFINE_STATIC_KEY_FALSE(vmx_perf_guest_msrs);

void vmx_setup_perf_guest_msrs(void)
{
	bool has_msrs;
	int nr;

	/* perf looks at this CPU's events. */
	preempt_disable();
	has_msrs = perf_guest_get_msrs(&nr, NULL);
	preempt_enable();
	if (has_msrs)
		static_branch_enable(&vmx_perf_guest_msrs);
}

static void atomic_switch_perf_msrs(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *arch = &vcpu->arch;
	struct perf_guest_switch_msr *msrs;
	int i, nr = 0, n = 0;

	if (!static_branch_unlikely(&vmx_perf_guest_msrs))
		return;
	msrs = perf_guest_get_msrs(&nr, NULL);
	for (i = 0; msrs && i < nr; i++) {
		if (msrs[i].host == msrs[i].guest)
			continue;
		if (WARN_ON_ONCE(n == ARRAY_SIZE(arch->msr_autoload_guest)))
			break;
		arch->msr_autoload_guest[n].index = msrs[i].msr;
		arch->msr_autoload_guest[n].value = msrs[i].guest;
		arch->msr_autoload_host[n].index = msrs[i].msr;
		arch->msr_autoload_host[n].value = msrs[i].host;
		n++;
	}
	if (n == arch->msr_autoload_nr)
		return;
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, n);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, n);
	arch->msr_autoload_nr = n;
}

/*
 * A machine check, in the guest or during the entry, belongs to the host (#MC is
 * intercepted, vmx.c): its handler runs as for one taken in user mode, on this CPU,
 * whose machine-check banks still hold it, as KVM's kvm_machine_check(). A kernel
 * without machine-check support has no handler to run.
 */
static void kvm_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = {
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	do_machine_check(&regs);
#endif
}

/*
 * A host NMI or machine check that arrived in the guest made this exit and is still the
 * host's to handle (SDM 26.2 "Other causes of VM exits"): the NMI through the IDT, with
 * interrupts still off, as KVM did before it had a dedicated entry (its IRET ends the NMI
 * blocking the exit left); the #MC as above.
 */
static void vmx_handle_exit_irqoff(struct kvm_vcpu *vcpu)
{
	u32 intr_info;

	if ((u16)vcpu->arch.exit_reason != EXIT_REASON_EXCEPTION_NMI)
		return;
	intr_info = vmcs_read32(VM_EXIT_INTR_INFO);
	if ((intr_info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK)) ==
	    (INTR_INFO_VALID_MASK | INTR_TYPE_NMI_INTR))
		asm volatile("int $2");
	else if ((intr_info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK |
			       INTR_INFO_VECTOR_MASK)) ==
		 (INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION | MC_VECTOR))
		kvm_machine_check();
}

/*
 * An exit in the middle of delivering an event through the guest's IDT (a guest page
 * fault whose handler's page was not mapped in EPT yet) loses the event unless it is
 * injected again at the next entry (SDM 28.2.4 "Information for VM exits during event
 * delivery"): as KVM's __vmx_complete_interrupts(). The handlers find the information in
 * vcpu->arch.
 */
static void vmx_complete_interrupts(struct kvm_vcpu *vcpu)
{
	u32 idt_vectoring_info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	u32 type;

	vcpu->arch.idt_vectoring_info = idt_vectoring_info;
	if (!(idt_vectoring_info & VECTORING_INFO_VALID_MASK))
		return;
	type = idt_vectoring_info & VECTORING_INFO_TYPE_MASK;
	/*
	 * A real-mode guest's exceptions push no error code, and VM entry refuses to inject
	 * one with an error code there (SDM 27.2.1.3); a CPU may still report one (Bochs
	 * does), which KVM strips too (kvm_inject_exception()).
	 */
	if (!(kvm_read_cr0(vcpu) & X86_CR0_PE))
		idt_vectoring_info &= ~VECTORING_INFO_DELIVER_CODE_MASK;
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
 * Switches what VMX does not (see the top of this file), refreshes the host's CR3 and CR4
 * in the VMCS if they changed since (a new PCID, a CR4 bit the kernel toggles), enters,
 * and reads why the guest exited into vcpu->arch.
 */
void vmx_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct loaded_vmcs *loaded_vmcs = &vcpu->arch.vmcs;
	unsigned long cr3, cr4;
	u64 host_debugctl;
	u32 host_pkru;
	int ret;

	if (!vcpu->arch.guest_state_loaded)
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
	atomic_switch_perf_msrs(vcpu);
	if (native_read_cr2() != vcpu->arch.cr2)
		native_write_cr2(vcpu->arch.cr2);
	/* VM exit clears IA32_DEBUGCTL and sets DR7 to 0x400 (SDM 28.5.1). */
	rdmsrl(MSR_IA32_DEBUGCTLMSR, host_debugctl);
	host_pkru = vmx_load_guest_pkru(vcpu);
	if (static_branch_unlikely(&vmx_l1d_should_flush))
		vmx_l1d_flush(vcpu);

	ret = __vmx_vcpu_run(vcpu->arch.regs, loaded_vmcs->launched);

	vmx_spec_ctrl_restore_host();
	vcpu->arch.cr2 = native_read_cr2();
	vmx_load_host_pkru(vcpu, host_pkru);
	vmx_sync_guest_dr6(vcpu);
	if (host_debugctl)
		wrmsrl(MSR_IA32_DEBUGCTLMSR, host_debugctl);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	/* VMSCAPE: this CPU's branch predictors learnt from the guest; userspace must not use them. */
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);

	if (unlikely(ret != VMX_RUN_EXITED)) {
		if (ret == VMX_RUN_FAULT)
			kvm_spurious_fault();
		vcpu->arch.vmfail = true;
		vcpu->arch.exit_reason = VMX_EXIT_REASONS_FAILED_VMENTRY;
		return;
	}
	vcpu->arch.vmfail = false;
	vcpu->arch.exit_reason = vmcs_read32(VM_EXIT_REASON);
	if (unlikely((u16)vcpu->arch.exit_reason == EXIT_REASON_MCE_DURING_VMENTRY))
		kvm_machine_check();
	if (unlikely(vcpu->arch.exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
		return;
	loaded_vmcs->launched = true;
	vcpu->arch.exit_qualification = vmcs_readl(EXIT_QUALIFICATION);
	vmx_handle_exit_irqoff(vcpu);
	vmx_complete_interrupts(vcpu);
}
