// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86 vCPU's state as userspace reads and writes it, as in KVM's x86.c.
 *
 * KVM_GET/SET_REGS, KVM_GET/SET_SREGS, KVM_GET/SET_FPU, KVM_GET/SET_MP_STATE, KVM_INTERRUPT,
 * KVM_GET/SET_DEBUGREGS and KVM_GET/SET_VCPU_EVENTS, and kvm_arch_vcpu_ioctl(), which also
 * hands the MSR (msr.c) and CPUID (cpuid.c) ioctls on. Every ioctl that touches the VMCS
 * loads the vCPU: its state is there. KVM_RUN and the run loop are in x86.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xstate.h>
#include <asm/irq_vectors.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include <minikvm/kvm_host.h>

#include "vmx.h"

static void kvm_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	unsigned long *r = vcpu->arch.regs;

	regs->rax = r[VCPU_REGS_RAX];
	regs->rbx = r[VCPU_REGS_RBX];
	regs->rcx = r[VCPU_REGS_RCX];
	regs->rdx = r[VCPU_REGS_RDX];
	regs->rsi = r[VCPU_REGS_RSI];
	regs->rdi = r[VCPU_REGS_RDI];
	regs->rsp = kvm_register_read(vcpu, VCPU_REGS_RSP);
	regs->rbp = r[VCPU_REGS_RBP];
	regs->r8 = r[VCPU_REGS_R8];
	regs->r9 = r[VCPU_REGS_R9];
	regs->r10 = r[VCPU_REGS_R10];
	regs->r11 = r[VCPU_REGS_R11];
	regs->r12 = r[VCPU_REGS_R12];
	regs->r13 = r[VCPU_REGS_R13];
	regs->r14 = r[VCPU_REGS_R14];
	regs->r15 = r[VCPU_REGS_R15];
	regs->rip = kvm_rip_read(vcpu);
	regs->rflags = vmcs_readl(GUEST_RFLAGS);
}

static void kvm_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	unsigned long *r = vcpu->arch.regs;

	r[VCPU_REGS_RAX] = regs->rax;
	r[VCPU_REGS_RBX] = regs->rbx;
	r[VCPU_REGS_RCX] = regs->rcx;
	r[VCPU_REGS_RDX] = regs->rdx;
	r[VCPU_REGS_RSI] = regs->rsi;
	r[VCPU_REGS_RDI] = regs->rdi;
	kvm_register_write(vcpu, VCPU_REGS_RSP, regs->rsp);
	r[VCPU_REGS_RBP] = regs->rbp;
	r[VCPU_REGS_R8] = regs->r8;
	r[VCPU_REGS_R9] = regs->r9;
	r[VCPU_REGS_R10] = regs->r10;
	r[VCPU_REGS_R11] = regs->r11;
	r[VCPU_REGS_R12] = regs->r12;
	r[VCPU_REGS_R13] = regs->r13;
	r[VCPU_REGS_R14] = regs->r14;
	r[VCPU_REGS_R15] = regs->r15;
	kvm_rip_write(vcpu, regs->rip);
	/* Bit 1 of RFLAGS is always 1 (SDM 3.4.3). */
	vmcs_writel(GUEST_RFLAGS, regs->rflags | X86_EFLAGS_FIXED);
}

static void kvm_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	memset(sregs, 0, sizeof(*sregs));
	vmx_get_segment(vcpu, &sregs->cs, VCPU_SREG_CS);
	vmx_get_segment(vcpu, &sregs->ds, VCPU_SREG_DS);
	vmx_get_segment(vcpu, &sregs->es, VCPU_SREG_ES);
	vmx_get_segment(vcpu, &sregs->fs, VCPU_SREG_FS);
	vmx_get_segment(vcpu, &sregs->gs, VCPU_SREG_GS);
	vmx_get_segment(vcpu, &sregs->ss, VCPU_SREG_SS);
	vmx_get_segment(vcpu, &sregs->tr, VCPU_SREG_TR);
	vmx_get_segment(vcpu, &sregs->ldt, VCPU_SREG_LDTR);
	vmx_get_dtable(vcpu, &sregs->gdt, false);
	vmx_get_dtable(vcpu, &sregs->idt, true);
	sregs->cr0 = kvm_read_cr0(vcpu);
	sregs->cr2 = vcpu->arch.cr2;
	sregs->cr3 = vmcs_readl(GUEST_CR3);
	sregs->cr4 = kvm_read_cr4(vcpu);
	sregs->cr8 = vcpu->arch.cr8;
	sregs->efer = vmcs_read64(GUEST_IA32_EFER);
	sregs->apic_base = vcpu->arch.apic_base;
}

/*
 * As KVM's kvm_is_valid_sregs(): a state a CPU could be in. IA-32e mode is LME with paging,
 * which needs PAE and LMA; LMA or a 64-bit code segment without it is no state at all.
 * Returns NULL, or why not.
 */
static const char *kvm_invalid_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	if (!kvm_valid_efer(vcpu, sregs->efer))
		return "EFER sets bits minikvm does not virtualize or the vCPU's CPUID does not offer";
	if ((sregs->efer & EFER_LME) && (sregs->cr0 & X86_CR0_PG)) {
		if (!(sregs->cr4 & X86_CR4_PAE) || !(sregs->efer & EFER_LMA))
			return "IA-32e paging without CR4.PAE or EFER.LMA";
		if (sregs->cr3 >> boot_cpu_data.x86_phys_bits)
			return "CR3 beyond the physical address width";
	} else if ((sregs->efer & EFER_LMA) || sregs->cs.l) {
		return "EFER.LMA or CS.L outside IA-32e mode";
	}
	if (kvm_cr4_reserved(vcpu, sregs->cr4))
		return "CR4 sets bits reserved on this CPU or by the vCPU's CPUID";
	if (sregs->cr0 >> 32 || ((sregs->cr0 & X86_CR0_NW) && !(sregs->cr0 & X86_CR0_CD)) ||
	    ((sregs->cr0 & X86_CR0_PG) && !(sregs->cr0 & X86_CR0_PE)))
		return "CR0 sets reserved bits, NW without CD, or PG without PE";
	return NULL;
}

static int kvm_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	const char *invalid = kvm_invalid_sregs(vcpu, sregs);

	if (invalid)
		return kvm_refuse(-EINVAL, "KVM_SET_SREGS: %s", invalid);
	vmx_set_segment(vcpu, &sregs->cs, VCPU_SREG_CS);
	vmx_set_segment(vcpu, &sregs->ds, VCPU_SREG_DS);
	vmx_set_segment(vcpu, &sregs->es, VCPU_SREG_ES);
	vmx_set_segment(vcpu, &sregs->fs, VCPU_SREG_FS);
	vmx_set_segment(vcpu, &sregs->gs, VCPU_SREG_GS);
	vmx_set_segment(vcpu, &sregs->ss, VCPU_SREG_SS);
	vmx_set_segment(vcpu, &sregs->tr, VCPU_SREG_TR);
	vmx_set_segment(vcpu, &sregs->ldt, VCPU_SREG_LDTR);
	vmx_set_dtable(vcpu, &sregs->gdt, false);
	vmx_set_dtable(vcpu, &sregs->idt, true);
	vcpu->arch.cr2 = sregs->cr2;
	/* A CR8 with reserved bits is ignored, not refused, as by KVM. */
	kvm_set_cr8(vcpu, sregs->cr8);
	vcpu->arch.apic_base = sregs->apic_base;
	vmcs_writel(GUEST_CR3, sregs->cr3);
	/* EFER before CR0: the mode is set whole here, not switched as a guest would. */
	vmx_set_efer(vcpu, sregs->efer);
	vmx_set_cr4(vcpu, sregs->cr4);
	vmcs_writel(CR0_READ_SHADOW, sregs->cr0);
	vmx_set_cr0(vcpu, sregs->cr0);
	if (is_pae_paging(vcpu) && kvm_load_pdptrs(vcpu, sregs->cr3))
		return kvm_refuse(-EINVAL, "KVM_SET_SREGS: PAE paging with bad PDPTEs");
	return 0;
}

/*
 * KVM_GET_FPU and KVM_SET_FPU: the legacy x87/SSE area of the guest's FPU state, which
 * is in memory whenever no KVM_RUN is under way (it is in the registers only inside).
 */
static void kvm_get_fpu(struct kvm_vcpu *vcpu, struct kvm_fpu *fpu)
{
	struct fxregs_state *fxsave = &vcpu->arch.guest_fpu.fpstate->regs.fxsave;

	memset(fpu, 0, sizeof(*fpu));
	memcpy(fpu->fpr, fxsave->st_space, sizeof(fpu->fpr));
	fpu->fcw = fxsave->cwd;
	fpu->fsw = fxsave->swd;
	fpu->ftwx = fxsave->twd;
	fpu->last_opcode = fxsave->fop;
	fpu->last_ip = fxsave->rip;
	fpu->last_dp = fxsave->rdp;
	memcpy(fpu->xmm, fxsave->xmm_space, sizeof(fpu->xmm));
	fpu->mxcsr = fxsave->mxcsr;
}

static void kvm_set_fpu(struct kvm_vcpu *vcpu, const struct kvm_fpu *fpu)
{
	struct fpstate *fpstate = vcpu->arch.guest_fpu.fpstate;
	struct fxregs_state *fxsave = &fpstate->regs.fxsave;

	memcpy(fxsave->st_space, fpu->fpr, sizeof(fpu->fpr));
	fxsave->cwd = fpu->fcw;
	fxsave->swd = fpu->fsw;
	fxsave->twd = fpu->ftwx;
	fxsave->fop = fpu->last_opcode;
	fxsave->rip = fpu->last_ip;
	fxsave->rdp = fpu->last_dp;
	memcpy(fxsave->xmm_space, fpu->xmm, sizeof(fpu->xmm));
	/*
	 * MXCSR is left as it was, as KVM leaves it: one with reserved bits would make the
	 * XRSTOR of the next KVM_RUN fault in the host (the kernel WARNs and resets the FPU),
	 * and KVM_SET_FPU has never refused a value. XRSTOR loads a component only if its
	 * XSTATE_BV bit is set, and initializes it otherwise (SDM 13.8.1): mark x87 and SSE as
	 * present, or they would be lost.
	 */
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		fpstate->regs.xsave.header.xfeatures |= XFEATURE_MASK_FPSSE;
}

/*
 * KVM_INTERRUPT without an in-kernel interrupt controller: the vector waits until the
 * guest can take it (kvm_check_and_inject_events()).
 */
static int kvm_vcpu_ioctl_interrupt(struct kvm_vcpu *vcpu, struct kvm_interrupt __user *argp)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= KVM_NR_INTERRUPTS)
		return kvm_refuse(-EINVAL, "KVM_INTERRUPT: vector %u is not below %d", irq.irq,
				  KVM_NR_INTERRUPTS);
	vcpu->arch.interrupt.nr = irq.irq;
	vcpu->arch.interrupt.pending = true;
	return 0;
}

/*
 * KVM_GET_DEBUGREGS: DR0-DR3, DR6 and DR7 as the guest's MOV DR would read them (DR6 with
 * what the hardware set at the last exit, vmx_sync_guest_dr6()).
 */
static void kvm_vcpu_ioctl_x86_get_debugregs(struct kvm_vcpu *vcpu,
					     struct kvm_debugregs *dbgregs)
{
	memset(dbgregs, 0, sizeof(*dbgregs));
	memcpy(dbgregs->db, vcpu->arch.db, sizeof(dbgregs->db));
	dbgregs->dr6 = vcpu->arch.dr6;
	dbgregs->dr7 = vcpu->arch.dr7;
}

/*
 * KVM_SET_DEBUGREGS: no flags, DR6 and DR7 without their reserved high halves; the values
 * are kept as given, as KVM keeps them, for the guest's MOV DR to read. They never reach
 * the hardware (handle_exit.c, handle_dr()).
 */
static int kvm_vcpu_ioctl_x86_set_debugregs(struct kvm_vcpu *vcpu,
					    const struct kvm_debugregs *dbgregs)
{
	if (dbgregs->flags)
		return kvm_refuse(-EINVAL, "KVM_SET_DEBUGREGS: flags 0x%llx", dbgregs->flags);
	if (upper_32_bits(dbgregs->dr6) || upper_32_bits(dbgregs->dr7))
		return kvm_refuse(-EINVAL, "KVM_SET_DEBUGREGS: DR6 0x%llx or DR7 0x%llx sets bits 63:32",
				  dbgregs->dr6, dbgregs->dr7);
	memcpy(vcpu->arch.db, dbgregs->db, sizeof(vcpu->arch.db));
	vcpu->arch.dr6 = dbgregs->dr6;
	vcpu->arch.dr7 = dbgregs->dr7;
	return 0;
}

/**
 * kvm_vcpu_ioctl_x86_get_vcpu_events() - KVM_GET_VCPU_EVENTS
 * @vcpu: the vCPU, loaded
 * @events: filled in
 *
 * What the next entry delivers (an exception an exit handler raised, or an event an exit
 * interrupted, vmx_complete_interrupts()), the interrupt KVM_INTERRUPT queued, and the
 * STI/MOV SS shadow. Software interrupts and exceptions are left out, as KVM leaves them:
 * RIP is still on their instruction, which runs again. An exception is never pending
 * (unqueued) in minikvm; NMIs and SMM the guest has none. The flags are KVM's.
 */
static void kvm_vcpu_ioctl_x86_get_vcpu_events(struct kvm_vcpu *vcpu,
					       struct kvm_vcpu_events *events)
{
	u32 info = vmcs_read32(VM_ENTRY_INTR_INFO_FIELD);

	memset(events, 0, sizeof(*events));
	if (vcpu->arch.interrupt.pending) {
		events->interrupt.injected = 1;
		events->interrupt.nr = vcpu->arch.interrupt.nr;
	}
	if ((info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK)) ==
	    (INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION)) {
		events->exception.injected = 1;
		events->exception.nr = info & INTR_INFO_VECTOR_MASK;
		events->exception.has_error_code = !!(info & INTR_INFO_DELIVER_CODE_MASK);
		if (events->exception.has_error_code)
			events->exception.error_code = vmcs_read32(VM_ENTRY_EXCEPTION_ERROR_CODE);
	} else if ((info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK)) ==
		   (INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR)) {
		events->interrupt.injected = 1;
		events->interrupt.nr = info & INTR_INFO_VECTOR_MASK;
	}
	events->interrupt.shadow = vmx_get_interrupt_shadow(vcpu);
	events->nmi.masked = vmx_get_nmi_mask(vcpu);
	events->flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
			KVM_VCPUEVENT_VALID_SMM;
}

#define KVM_VCPUEVENT_VALID_FLAGS	(KVM_VCPUEVENT_VALID_NMI_PENDING |		\
					 KVM_VCPUEVENT_VALID_SIPI_VECTOR |		\
					 KVM_VCPUEVENT_VALID_SHADOW |			\
					 KVM_VCPUEVENT_VALID_SMM |			\
					 KVM_VCPUEVENT_VALID_PAYLOAD |			\
					 KVM_VCPUEVENT_VALID_TRIPLE_FAULT)

/*
 * Why KVM_SET_VCPU_EVENTS is refused, or NULL. KVM's own refusals (unknown flags, an
 * exception vector that is none, payloads and triple-fault events before their
 * capability is enabled) come first, then the state minikvm cannot hold: a guest NMI,
 * SMM, an injected software interrupt.
 */
static const char *kvm_invalid_vcpu_events(const struct kvm_vcpu_events *events)
{
	if (events->flags & ~KVM_VCPUEVENT_VALID_FLAGS)
		return "unknown flags";
	if (events->flags & (KVM_VCPUEVENT_VALID_PAYLOAD | KVM_VCPUEVENT_VALID_TRIPLE_FAULT))
		return "exception payloads or triple-fault events, not enabled";
	if (events->exception.injected &&
	    (events->exception.nr > 31 || events->exception.nr == NMI_VECTOR))
		return "exception vector is not an exception";
	if (events->nmi.injected || events->nmi.masked ||
	    ((events->flags & KVM_VCPUEVENT_VALID_NMI_PENDING) && events->nmi.pending))
		return "an NMI state, and minikvm has no guest NMIs";
	if ((events->flags & KVM_VCPUEVENT_VALID_SMM) && (events->smi.smm || events->smi.pending))
		return "SMM, which minikvm does not emulate";
	if (events->interrupt.injected && events->interrupt.soft)
		return "an injected software interrupt";
	return NULL;
}

/*
 * KVM_SET_VCPU_EVENTS: replaces what the next entry delivers and the queued interrupt, and
 * the shadow if its flag says so. An exception pending without a payload is ignored, as
 * KVM ignores it; the SIPI vector too, without a local APIC. Error codes lose bits 31:16,
 * which VM entry refuses (SDM 27.2.1.3), as in KVM.
 */
static int kvm_vcpu_ioctl_x86_set_vcpu_events(struct kvm_vcpu *vcpu,
					      const struct kvm_vcpu_events *events)
{
	const char *invalid = kvm_invalid_vcpu_events(events);

	if (invalid)
		return kvm_refuse(-EINVAL, "KVM_SET_VCPU_EVENTS: %s", invalid);
	vmx_cancel_injection(vcpu);
	if (events->exception.injected)
		vmx_inject_exception(vcpu, events->exception.nr,
				     events->exception.has_error_code &&
				     (kvm_read_cr0(vcpu) & X86_CR0_PE),
				     (u16)events->exception.error_code);
	vcpu->arch.interrupt.pending = events->interrupt.injected;
	vcpu->arch.interrupt.nr = events->interrupt.nr;
	if (events->flags & KVM_VCPUEVENT_VALID_SHADOW)
		vmx_set_interrupt_shadow(vcpu, events->interrupt.shadow);
	return 0;
}

long kvm_arch_vcpu_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	struct kvm_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	struct kvm_debugregs dbgregs;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp_state;
	struct kvm_sregs *sregs;
	struct kvm_regs regs;
	struct kvm_fpu *fpu;
	long r;

	switch (ioctl) {
	case KVM_GET_REGS:
		vcpu_load(vcpu);
		kvm_get_regs(vcpu, &regs);
		vcpu_put(vcpu);
		return copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
	case KVM_SET_REGS:
		if (copy_from_user(&regs, argp, sizeof(regs)))
			return -EFAULT;
		vcpu_load(vcpu);
		kvm_set_regs(vcpu, &regs);
		vcpu_put(vcpu);
		return 0;
	case KVM_GET_SREGS:
		sregs = kzalloc(sizeof(*sregs), GFP_KERNEL_ACCOUNT);
		if (!sregs)
			return -ENOMEM;
		vcpu_load(vcpu);
		kvm_get_sregs(vcpu, sregs);
		vcpu_put(vcpu);
		r = copy_to_user(argp, sregs, sizeof(*sregs)) ? -EFAULT : 0;
		kfree(sregs);
		return r;
	case KVM_SET_SREGS:
		sregs = memdup_user(argp, sizeof(*sregs));
		if (IS_ERR(sregs))
			return PTR_ERR(sregs);
		vcpu_load(vcpu);
		r = kvm_set_sregs(vcpu, sregs);
		vcpu_put(vcpu);
		kfree(sregs);
		return r;
	case KVM_GET_FPU:
		fpu = kzalloc(sizeof(*fpu), GFP_KERNEL_ACCOUNT);
		if (!fpu)
			return -ENOMEM;
		kvm_get_fpu(vcpu, fpu);
		r = copy_to_user(argp, fpu, sizeof(*fpu)) ? -EFAULT : 0;
		kfree(fpu);
		return r;
	case KVM_SET_FPU:
		fpu = memdup_user(argp, sizeof(*fpu));
		if (IS_ERR(fpu))
			return PTR_ERR(fpu);
		kvm_set_fpu(vcpu, fpu);
		kfree(fpu);
		return 0;
	case KVM_GET_MP_STATE:
		/* HLT exits to userspace: the vCPU is never halted in the kernel. */
		mp_state.mp_state = KVM_MP_STATE_RUNNABLE;
		return copy_to_user(argp, &mp_state, sizeof(mp_state)) ? -EFAULT : 0;
	case KVM_SET_MP_STATE:
		if (copy_from_user(&mp_state, argp, sizeof(mp_state)))
			return -EFAULT;
		/* Without an in-kernel local APIC, KVM has no other state either. */
		if (mp_state.mp_state != KVM_MP_STATE_RUNNABLE)
			return kvm_refuse(-EINVAL, "MP state %u: only RUNNABLE without a local APIC",
					  mp_state.mp_state);
		return 0;
	case KVM_GET_MSRS:
		return kvm_vcpu_ioctl_msr_io(vcpu, argp, false);
	case KVM_SET_MSRS:
		return kvm_vcpu_ioctl_msr_io(vcpu, argp, true);
	case KVM_INTERRUPT:
		return kvm_vcpu_ioctl_interrupt(vcpu, argp);
	case KVM_GET_VCPU_EVENTS:
		vcpu_load(vcpu);
		kvm_vcpu_ioctl_x86_get_vcpu_events(vcpu, &events);
		vcpu_put(vcpu);
		return copy_to_user(argp, &events, sizeof(events)) ? -EFAULT : 0;
	case KVM_SET_VCPU_EVENTS:
		if (copy_from_user(&events, argp, sizeof(events)))
			return -EFAULT;
		vcpu_load(vcpu);
		r = kvm_vcpu_ioctl_x86_set_vcpu_events(vcpu, &events);
		vcpu_put(vcpu);
		return r;
	case KVM_GET_DEBUGREGS:
		kvm_vcpu_ioctl_x86_get_debugregs(vcpu, &dbgregs);
		return copy_to_user(argp, &dbgregs, sizeof(dbgregs)) ? -EFAULT : 0;
	case KVM_SET_DEBUGREGS:
		if (copy_from_user(&dbgregs, argp, sizeof(dbgregs)))
			return -EFAULT;
		return kvm_vcpu_ioctl_x86_set_debugregs(vcpu, &dbgregs);
	case KVM_SET_CPUID2:
		return kvm_vcpu_ioctl_set_cpuid2(vcpu, argp);
	case KVM_GET_CPUID2:
		return kvm_vcpu_ioctl_get_cpuid2(vcpu, argp);
	default:
		return kvm_refuse(-EINVAL, "unknown vCPU ioctl 0x%x", ioctl);
	}
}
