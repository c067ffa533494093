// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 backend: the run loop, the guest's EL2 controls, and the VM and vCPU
 * hooks. hyp_init.c brings EL2 up. One run, as KVM's:
 * kvm_arch_vcpu_ioctl_run() → kvm_arm_vcpu_enter_exit() → kvm_call_hyp(__kvm_vcpu_run)
 * → __guest_run (hyp/switch.S) → __guest_enter, __guest_exit (hyp/entry.S), then
 * handle_exit() → arm_exit_handlers[] (handle_exit.c).
 *
 * VHE (the kernel runs at EL2, HCR_EL2.E2H set): a hyp call is a plain function call.
 * nVHE (the kernel runs at EL1 and Linux's hyp stub waits at EL2): the module installs its
 * own EL2 vectors (hyp/hyp-entry.S) and EL2 stage 1 (an identity map, mmu.c) on every CPU
 * through the stub, and a hyp call is "hvc #0".
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <clocksource/arm_arch_timer.h>
#include <asm/barrier.h>
#include <asm/cpufeature.h>
#include <asm/daifflags.h>
#include <asm/esr.h>
#include <asm/kvm_arm.h>
#include <asm/neon.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>
#include <asm/tlbflush.h>
#include <asm/virt.h>

#include <minikvm/compat.h>
#include <minikvm/kvm_host.h>
#include <minikvm/trace.h>

#include "arm.h"

int kvm_vm_ioctl_check_extension(struct kvm *kvm, long ext)
{
	switch (ext) {
	case KVM_CAP_ARM_VM_IPA_SIZE:
		return kvm_ipa_limit();
	case KVM_CAP_ARM_PSCI_0_2:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_ONE_REG:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_VCPU_EVENTS:
		return 1;
	case KVM_CAP_ARM_INJECT_SERROR_ESR:
		return kvm_has_ras();
	}
	return 0;
}

int kvm_arch_init_vm(struct kvm *kvm, unsigned long type)
{
	return kvm_init_stage2_mmu(kvm, type);
}

int kvm_arch_prepare_memory_region(struct kvm *kvm, const struct kvm_memory_slot *new)
{
	/* Stage 2 covers the VM's IPA space; a slot beyond it is EFAULT, as in KVM. */
	if (new->base_gfn + new->npages > BIT_ULL(kvm->arch.ipa_bits) >> PAGE_SHIFT)
		return kvm_refuse(-EFAULT, "memslot %u ends beyond the VM's %u-bit IPA space",
				  new->id, kvm->arch.ipa_bits);
	return 0;
}

void kvm_arch_destroy_vm(struct kvm *kvm)
{
	kvm_free_stage2_pgd(kvm);
}

/*
 * HCR_EL2 while a guest runs (Arm ARM D13.2.46): stage 2 on (VM); physical IRQ, FIQ and
 * SError to EL2 (IMO, FMO, AMO), which also gives the guest the virtual GIC CPU interface
 * instead of the host's; set/way invalidation upgraded to clean+invalidate (SWIO) so the
 * guest cannot discard the host's dirty lines; SMC, WFI, WFE and IMPLEMENTATION DEFINED
 * registers trapped (TSC, TWI, TWE, TIDCP); the ID registers trapped (TID3: sys_regs.c
 * hides what minikvm does not virtualise); broadcast TLB and barriers inner shareable
 * (FB, BSU_IS); a stage-1 walk into Device memory faults (PTW); EL1 is AArch64 (RW). As
 * KVM's guests, the registers no world switch touches: ACTLR_EL1, the host's own in nVHE
 * (TACR), and the LORegion registers (TLOR); and cache maintenance by set/way, whose
 * effect on a VM's memory no guest can know (TSW). A VHE host keeps E2H: its own EL2 code
 * runs in the EL2&0 regime until the ERET. With FEAT_S2FWB, stage 2 forces the guest's
 * accesses to RAM Write-Back (FWB, mmu.c). With FEAT_RAS, the error records are trapped
 * (TERR) and synchronous external aborts come to EL2 (TEA), as in KVM.
 */
#define HCR_GUEST_FLAGS_MINIKVM	(HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_TSC | \
				 HCR_TWI | HCR_TWE | HCR_TIDCP | HCR_TID3 | HCR_FB | \
				 HCR_BSU_IS | HCR_PTW | HCR_RW | HCR_TACR | HCR_TLOR | HCR_TSW)

static u64 guest_hcr __ro_after_init;

/*
 * kvm_guest_hcr_init() - at module load (kvm_arch_hardware_setup()), the CPU capabilities
 * final: the value is the same for every CPU and guest, and each entry reads it.
 */
void kvm_guest_hcr_init(void)
{
	guest_hcr = HCR_GUEST_FLAGS_MINIKVM | (is_kernel_in_hyp_mode() ? HCR_E2H : 0) |
		    (kvm_stage2_fwb() ? HCR_FWB : 0) | (kvm_has_ras() ? HCR_TERR | HCR_TEA : 0);
}

u64 kvm_guest_hcr(void)
{
	return guest_hcr;
}

/*
 * HCRX_EL2 for the guest (FEAT_HCX): each of its bits enables a feature at EL1 and EL0
 * (MOPS' MSCEn, TCR2En, SCTLR2En, GCSEn, the LS64 instructions, EnFPM, ...) or relaxes a
 * trap (FnXS, FGTnXS): clear, the guest gets none of those features, whose registers
 * (TCR2_EL1, SCTLR2_EL1, ..., the host's own in nVHE) trap, and sys_regs.c hides them.
 */
#define HCRX_GUEST_FLAGS	0
/*
 * The fine-grained traps for the guest (FEAT_FGT), HFGRTR_EL2, HFGWTR_EL2, HFGITR_EL2,
 * HDFGRTR_EL2 and HDFGWTR_EL2: all clear. A clear positive bit traps nothing the world
 * switch does not switch or another control does not trap already; a clear "n" bit traps
 * the registers of the newer features (nTPIDR2_EL0, nSMPRI_EL1, nPIR_EL1, nPIRE0_EL1,
 * nPOR_EL0, nPOR_EL1, nACCDATA_EL1, nGCS_*, nBRB*, nPMSNEVFR_EL1, ...), which the host
 * opens for itself, and which minikvm does not switch: their accesses are UNDEFINED, as
 * for a KVM guest without those features.
 */
#define FGT_GUEST_TRAPS		0

/* The guest's HCRX_EL2 and fine-grained traps. */
static void kvm_guest_traps(struct kvm_vcpu_hyp *hyp)
{
	hyp->hcrx_el2 = HCRX_GUEST_FLAGS;
	hyp->hfgrtr_el2 = FGT_GUEST_TRAPS;
	hyp->hfgwtr_el2 = FGT_GUEST_TRAPS;
	hyp->hfgitr_el2 = FGT_GUEST_TRAPS;
	hyp->hdfgrtr_el2 = FGT_GUEST_TRAPS;
	hyp->hdfgwtr_el2 = FGT_GUEST_TRAPS;
}

/*
 * MDCR_EL2 traps while a guest runs (Arm ARM, MDCR_EL2), as KVM sets them for a vCPU
 * without a PMU: the PMU registers (TPM, TPMCR), the Statistical Profiling and trace
 * filter controls (TPMS, TTRF), and the debug registers (TDA; TDOSA for the OS Lock and
 * power-down ones, TDRA for the ROM address): each is the host's otherwise, and a guest
 * reading PMCR_EL0 or writing DBGBVR0_EL1 would read or change the host's. sys_regs.c
 * answers the traps. E2PB 0b00: the profiling buffer is EL2's, its EL1 controls trapped.
 */
#define MDCR_EL2_GUEST_TRAPS	(MDCR_EL2_TPM | MDCR_EL2_TPMCR | MDCR_EL2_TPMS | \
				 MDCR_EL2_TTRF | MDCR_EL2_TDA | MDCR_EL2_TDOSA | MDCR_EL2_TDRA)

/*
 * MDCR_EL2 for a guest on this CPU: the traps, and HPMN, the event counters EL1 may use,
 * as the host set it (the stub in nVHE, the kernel in VHE), as KVM keeps it.
 */
static u64 kvm_guest_mdcr(void)
{
	return (kvm_host_mdcr_el2() & MDCR_EL2_HPMN_MASK) | MDCR_EL2_GUEST_TRAPS;
}

/*
 * CPTR_EL2 for the guest (Arm ARM D13.2.31): its SVE and SME trapped (minikvm switches
 * only the FP/SIMD registers), and its FP/SIMD until it uses them; trapped, FP/SIMD
 * instructions trap at EL2 too, so the world switch touches the FP/SIMD registers only
 * when they are not. The activity monitors (TAM) and trace unit registers (TTA) are the
 * host's, as KVM keeps them: their accesses trap, and sys_regs.c makes them UNDEFINED.
 * (QEMU has neither, so no test sees it.) nVHE: CPTR_EL2's own layout, made from its RES1
 * bits as KVM's __activate_traps() does; the stub's value comes back at the exit.
 */
#define CPTR_NVHE_GUEST_TRAPS	(CPTR_NVHE_EL2_RES1 | CPTR_EL2_TAM | CPTR_EL2_TTA | \
				 CPTR_EL2_TZ | CPTR_EL2_TSM)
#define CPACR_EL1_FPEN		(CPACR_EL1_FPEN_EL1EN | CPACR_EL1_FPEN_EL0EN)

/*
 * VHE: under E2H the register has CPACR_EL1's layout (D13.2.31) and holds the kernel's own
 * controls, which the guest's value keeps but for the bits above. Interrupts off.
 */
static u64 kvm_vcpu_cptr(struct kvm_vcpu *vcpu)
{
	bool fpsimd = vcpu->arch.hyp.guest_fpsimd;
	u64 cptr;

	if (!is_kernel_in_hyp_mode())
		return fpsimd ? CPTR_NVHE_GUEST_TRAPS : CPTR_NVHE_GUEST_TRAPS | CPTR_EL2_TFP;
	cptr = read_sysreg(cpacr_el1) | CPTR_EL2_TAM | CPACR_EL1_TTA;
	cptr &= ~(CPACR_ELx_ZEN | CPACR_ELx_SMEN | CPACR_EL1_FPEN);
	return fpsimd ? cptr | CPACR_EL1_FPEN : cptr;
}

/* With HCR_EL2.E2H set, CNTHCTL_EL2's EL1 controls move up by 10 bits (Arm ARM D13.8.2). */
#define CNTHCTL_VHE_SHIFT	10

/*
 * CNTHCTL_EL2 for a guest on this CPU: it has the EL1 virtual timer (arch_timer.c switches
 * it) and may read the physical counter (EL1PCTEN), never use the physical timer (EL1PCEN;
 * EL1PTEN under E2H): an nVHE host's kernel drives it, and in VHE it would keep one VM's
 * deadline for the next (CNTP_* accesses trap). nVHE: nothing else, as KVM's
 * __timer_enable_traps(); the stub's EL1PCEN comes back at the exit. VHE: the rest is the
 * kernel's own (its EL0 access and event stream), kept. Preemption off.
 */
static u64 kvm_guest_cnthctl(void)
{
	if (!is_kernel_in_hyp_mode())
		return CNTHCTL_EL1PCTEN;
	return (read_sysreg(cnthctl_el2) | CNTHCTL_EL1PCTEN << CNTHCTL_VHE_SHIFT) &
	       ~(CNTHCTL_EL1PCEN << CNTHCTL_VHE_SHIFT);
}

/**
 * kvm_tlb_flush_vmid() - invalidate the VM's stage 1 and 2 TLB entries on every CPU
 * @kvm: the VM, its stage-2 descriptors already changed
 *
 * Its entries carry its current VMID; those of an older generation went at the rollover.
 */
void kvm_tlb_flush_vmid(struct kvm *kvm)
{
	u64 vttbr = kvm_get_vttbr(kvm, atomic64_read(&kvm->arch.vmid.id));
	unsigned long flags;

	/* The table walkers must see the descriptors before the invalidation. */
	dsb(ishst);
	/* VHE: nothing may run between loading the guest's VTTBR_EL2 and the host's. */
	flags = local_daif_save();
	kvm_call_hyp(__kvm_tlb_flush_vmid, vttbr, kvm_guest_hcr());
	local_daif_restore(flags);
	atomic64_inc(&kvm->stat.remote_tlb_flush);
}

/**
 * kvm_flush_vm_context() - invalidate every guest TLB entry, of every VMID, on every CPU:
 *	at a VMID rollover (vmid.c), before another VM gets a tag. TLBI ALLE1IS is EL2's.
 */
void kvm_flush_vm_context(void)
{
	kvm_call_hyp(__kvm_flush_vm_context);
}

/**
 * vhe_hyp_panic_handler() - VHE: an exception at EL2 while the guest's vectors were in
 *	place (hyp/hyp-entry.S); the host's state is not restored, so there is no way back
 * @vector: offset of the vector entry taken
 * @esr: ESR_EL2
 * @elr: ELR_EL2
 * @spsr: SPSR_EL2
 * @far: FAR_EL2
 */
void __noreturn vhe_hyp_panic_handler(u64 vector, u64 esr, u64 elr, u64 spsr, u64 far)
{
	panic("minikvm: unexpected exception at EL2 in a guest run: vector 0x%llx ESR_EL2 0x%llx ELR_EL2 0x%llx SPSR_EL2 0x%llx FAR_EL2 0x%llx\n",
	      vector, esr, elr, spsr, far);
}

int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;

	/* nVHE: EL2 reaches the structure at its physical address. */
	if (!is_kernel_in_hyp_mode() &&
	    kvm_hyp_map(virt_to_phys(&vcpu->arch.hyp), sizeof(vcpu->arch.hyp), false))
		return -ENOMEM;
	vcpu->arch.hyp.vtcr_el2 = kvm->arch.vtcr;
	kvm_guest_traps(&vcpu->arch.hyp);
	return 0;
}

void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)
{
}

/*
 * vcpu_interrupt_line() - raise or lower the vCPU's IRQ or FIQ line: the guest sees it
 * as a virtual IRQ or FIQ (HCR_EL2.VI, VF; Arm ARM D1.14.5) from its next entry on.
 */
static int vcpu_interrupt_line(struct kvm_vcpu *vcpu, unsigned int line, bool level)
{
	bool was;

	if (level)
		was = test_and_set_bit(line, &vcpu->arch.irq_lines);
	else
		was = test_and_clear_bit(line, &vcpu->arch.irq_lines);
	/* Out of WFI, or out of the guest, to enter again with the new lines. */
	if (was != level)
		kvm_vcpu_kick(vcpu);
	return 0;
}

/*
 * KVM_IRQ_LINE without an in-kernel interrupt controller: only the CPU type, which names
 * a vCPU by creation index and one of its two lines.
 */
static int kvm_vm_ioctl_irq_line(struct kvm *kvm, const struct kvm_irq_level *irq_level)
{
	u32 irq = irq_level->irq;
	unsigned int type = (irq >> KVM_ARM_IRQ_TYPE_SHIFT) & KVM_ARM_IRQ_TYPE_MASK;
	unsigned int idx = ((irq >> KVM_ARM_IRQ_VCPU_SHIFT) & KVM_ARM_IRQ_VCPU_MASK) +
			   ((irq >> KVM_ARM_IRQ_VCPU2_SHIFT) & KVM_ARM_IRQ_VCPU2_MASK) *
			   (KVM_ARM_IRQ_VCPU_MASK + 1);
	unsigned int num = (irq >> KVM_ARM_IRQ_NUM_SHIFT) & KVM_ARM_IRQ_NUM_MASK;
	struct kvm_vcpu *vcpu = NULL;

	if (type == KVM_ARM_IRQ_TYPE_SPI || type == KVM_ARM_IRQ_TYPE_PPI)
		return kvm_refuse(-ENXIO, "KVM_IRQ_LINE: no in-kernel interrupt controller");
	if (type != KVM_ARM_IRQ_TYPE_CPU)
		return kvm_refuse(-EINVAL, "KVM_IRQ_LINE: unknown type %u", type);
	if (num > KVM_ARM_IRQ_CPU_FIQ)
		return kvm_refuse(-EINVAL, "KVM_IRQ_LINE: a CPU has IRQ (0) and FIQ (1), not %u",
				  num);
	mutex_lock(&kvm->lock);
	if (idx < kvm->created_vcpus)
		vcpu = kvm->vcpus[idx];
	mutex_unlock(&kvm->lock);
	if (!vcpu)
		return kvm_refuse(-EINVAL, "KVM_IRQ_LINE: no vCPU %u", idx);
	return vcpu_interrupt_line(vcpu, num, irq_level->level);
}

long kvm_arch_vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	struct kvm_vcpu_init init = { .target = KVM_ARM_TARGET_GENERIC_V8 };
	struct kvm *kvm = filp->private_data;
	struct kvm_irq_level irq_level;

	switch (ioctl) {
	case KVM_IRQ_LINE:
		if (copy_from_user(&irq_level, (void __user *)arg, sizeof(irq_level)))
			return -EFAULT;
		return kvm_vm_ioctl_irq_line(kvm, &irq_level);
	case KVM_ARM_PREFERRED_TARGET:
		/* Every CPU is the generic ARMv8 target, with no features preset. */
		if (copy_to_user((void __user *)arg, &init, sizeof(init)))
			return -EFAULT;
		return 0;
	}
	return kvm_refuse(-EINVAL, "unknown ioctl 0x%x on an arm64 VM", ioctl);
}

/*
 * What of the guest stays in a CPU from load to put (everything else each entry loads):
 * its VMID, active here, and its EL1 virtual timer (arch_timer.c). And what the world
 * switch must do on this CPU (HYP_FLAG_*), with the guest's traps that depend on the CPU
 * only. Preemption off.
 */
void kvm_arch_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	struct kvm_vcpu_hyp *hyp = &vcpu->arch.hyp;
	struct kvm *kvm = vcpu->kvm;

	hyp->flags = kvm_hyp_cpu_flags();
	hyp->mdcr_el2 = kvm_guest_mdcr();
	hyp->cnthctl_el2 = kvm_guest_cnthctl();
	hyp->vttbr_el2 = kvm_get_vttbr(kvm, kvm_arm_vmid_update(&kvm->arch.vmid));
	kvm_timer_vcpu_load(vcpu);
}

void kvm_arch_vcpu_put(struct kvm_vcpu *vcpu)
{
	kvm_timer_vcpu_put(vcpu);
	kvm_arm_vmid_clear_active();
}

/*
 * Whether a sleeping vCPU may go on: a stopped one when PSCI CPU_ON starts it, one in
 * WFI or suspended when a line is high (or, stopped meanwhile, never).
 */
bool kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu)
{
	if (kvm_arm_vcpu_stopped(vcpu))
		return false;
	return !vcpu->arch.in_wfi || READ_ONCE(vcpu->arch.irq_lines);
}

/*
 * HCR_EL2 for this entry: the virtual IRQ and FIQ follow the lines (D13.2.46, VI, VF); a
 * virtual SError stays pending (VSE) until the guest takes it, which clears the bit in the
 * HCR_EL2 the exit saved; VM registers trapped (TVM) while sys_regs.c watches the caches.
 */
static u64 kvm_vcpu_hcr(struct kvm_vcpu *vcpu)
{
	unsigned long lines = READ_ONCE(vcpu->arch.irq_lines);
	u64 hcr = kvm_guest_hcr() | (vcpu->arch.hyp.hcr_el2 & HCR_VSE);

	if (lines & BIT(KVM_ARM_IRQ_CPU_IRQ))
		hcr |= HCR_VI;
	if (lines & BIT(KVM_ARM_IRQ_CPU_FIQ))
		hcr |= HCR_VF;
	if (vcpu->arch.trap_vm_regs)
		hcr |= HCR_TVM;
	return hcr;
}

/* Counts and traces an exit; ESR_EL2.EC is the reason of a trap. */
static void kvm_account_exit(struct kvm_vcpu *vcpu, int exception_index)
{
	u64 esr = vcpu->arch.hyp.esr_el2;
	u32 ec = ESR_ELx_EC(esr);

	/* Interrupts and SErrors have no syndrome: counted and traced past the 64 classes. */
	if (ARM_EXCEPTION_CODE(exception_index) != ARM_EXCEPTION_TRAP) {
		ec = KVM_NR_EXIT_REASONS + ARM_EXCEPTION_CODE(exception_index);
		esr = 0;
	}
	kvm_vcpu_count_exit(vcpu, ec);
	trace_kvm_exit(vcpu->vcpu_id, ec, esr, *vcpu_pc(vcpu));
}

/*
 * kvm_arm_vcpu_enter_exit() - one trip into the guest: returns how it left
 * (ARM_EXCEPTION_*, maybe with ARM_EXIT_WITH_SERROR_BIT), for handle_exit(), or -EAGAIN
 * when a request or a signal came first and the run loop goes round again.
 *
 * VHE: kvm_call_hyp() is a direct call at EL2. nVHE: a hyp call, with vcpu->arch.hyp's
 * physical address, which EL2's identity map makes its address there. Either way every
 * exception is masked in PSTATE instead of only IRQs: on a pseudo-NMI host,
 * local_irq_disable() masks them in the GIC's priority mask (ICC_PMR_EL1) instead, where
 * they would stay masked for the guest too, and a guest that never traps would never
 * leave. local_daif_save() lifts the priority mask; an interrupt then reaches EL2
 * (HCR_EL2.IMO) once the guest runs, as KVM arranges it (its __kvm_vcpu_run()).
 */
static int kvm_arm_vcpu_enter_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_hyp *hyp = &vcpu->arch.hyp;
	bool fpsimd = hyp->guest_fpsimd;
	unsigned long flags;
	int ret;

	/*
	 * A guest that uses FP/SIMD may clobber every FP/SIMD register: the kernel saves the
	 * task's own (and SVE state) and reloads them on the way back to userspace.
	 */
	if (fpsimd)
		kernel_neon_begin();
	local_irq_disable();
	if (!kvm_vcpu_enter_guest_mode(vcpu)) {
		ret = -EAGAIN;
		goto out;
	}
	/* An IRQ line raised before the barrier above is in the HCR_EL2 read here. */
	hyp->hcr_el2 = kvm_vcpu_hcr(vcpu);
	hyp->cptr_el2 = kvm_vcpu_cptr(vcpu);
	trace_kvm_entry(vcpu->vcpu_id, *vcpu_pc(vcpu));

	flags = local_daif_save();
	/* The redistributor must see the new priority mask before the guest spins. */
	if (system_uses_irq_prio_masking())
		pmr_sync();
	ret = kvm_call_hyp(__kvm_vcpu_run, kern_hyp_va(hyp));
	/*
	 * VHE: the guest's exit to EL2 left PSTATE.PAN as the guest had it (E2H with TGE
	 * clear does not set it on entry to EL2, D1.10.4): the kernel's is set.
	 */
	if (has_vhe() && cpus_have_final_cap(ARM64_HAS_PAN))
		asm volatile(SET_PSTATE_PAN(1));
	local_daif_restore(flags);

	WRITE_ONCE(vcpu->mode, OUTSIDE_GUEST_MODE);
	kvm_account_exit(vcpu, ret);
out:
	/* An interrupt that made the guest exit is taken here, by the host. */
	local_irq_enable();
	if (fpsimd)
		kernel_neon_end();
	return ret;
}

/**
 * kvm_vcpu_suspend() - KVM_RUN of a SUSPENDED vCPU: wait as in WFI
 * @vcpu: the vCPU
 *
 * Woken by an interrupt, the vCPU does not enter the guest but exits to userspace with
 * KVM_SYSTEM_EVENT_WAKEUP, and stays SUSPENDED until KVM_SET_MP_STATE makes it
 * RUNNABLE, as on KVM. Returns 0 for that exit, or kvm_vcpu_block()'s -EINTR.
 */
static int kvm_vcpu_suspend(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int ret;

	vcpu->arch.in_wfi = true;
	ret = kvm_vcpu_block(vcpu);
	vcpu->arch.in_wfi = false;
	if (ret < 0)
		return ret;
	memset(&run->system_event, 0, sizeof(run->system_event));
	run->system_event.type = KVM_SYSTEM_EVENT_WAKEUP;
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	return 0;
}

/**
 * kvm_arch_vcpu_ioctl_run() - KVM_RUN: the arm64 run loop
 * @vcpu: the vCPU, its mutex held
 *
 * Returns 0 with run->exit_reason set for userspace, -EINTR (a signal, or
 * immediate_exit), -ENOEXEC before KVM_ARM_VCPU_INIT, or another errno.
 */
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int exception_index;
	int ret;

	if (!vcpu->arch.initialized)
		return kvm_refuse(-ENOEXEC, "KVM_RUN before KVM_ARM_VCPU_INIT");
	kvm_handle_mmio_return(vcpu);
	if (kvm_run_immediate_exit(run))
		return -EINTR;

	vcpu_load(vcpu);
	run->exit_reason = KVM_EXIT_UNKNOWN;
	/*
	 * Lazy FP/SIMD: the guest runs with the FP/SIMD unit trapped until it uses it in this
	 * KVM_RUN; an exit that needs no FP/SIMD switch costs none. KVM does the same.
	 */
	vcpu->arch.hyp.guest_fpsimd = 0;
	for (ret = 1; ret > 0;) {
		ret = kvm_vcpu_handle_host_work(vcpu);
		if (ret <= 0)
			break;
		if (kvm_arm_vcpu_stopped(vcpu)) {
			ret = kvm_vcpu_block(vcpu);
			continue;
		}
		if (kvm_arm_vcpu_suspended(vcpu)) {
			ret = kvm_vcpu_suspend(vcpu);
			continue;
		}
		kvm_psci_reset_on(vcpu);

		exception_index = kvm_arm_vcpu_enter_exit(vcpu);
		if (exception_index < 0)
			continue;
		ret = handle_exit(vcpu, exception_index);
	}
	vcpu_put(vcpu);

	if (!ret)
		kvm_vcpu_exit_to_user(vcpu);
	return ret;
}

/*
 * KVM_SET_MP_STATE: RUNNABLE, STOPPED (as PSCI CPU_OFF, but the guest is not told) or
 * SUSPENDED; the states of other arches are EINVAL, as on KVM.
 */
static int kvm_arch_vcpu_ioctl_set_mpstate(struct kvm_vcpu *vcpu,
					   const struct kvm_mp_state *mp_state)
{
	switch (mp_state->mp_state) {
	case KVM_MP_STATE_RUNNABLE:
	case KVM_MP_STATE_SUSPENDED:
		WRITE_ONCE(vcpu->arch.mp_state, mp_state->mp_state);
		return 0;
	case KVM_MP_STATE_STOPPED:
		kvm_arm_vcpu_power_off(vcpu);
		return 0;
	}
	return kvm_refuse(-EINVAL, "KVM_SET_MP_STATE: %u is not RUNNABLE, STOPPED or SUSPENDED",
			  mp_state->mp_state);
}

long kvm_arch_vcpu_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	struct kvm_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp_state;
	struct kvm_vcpu_init init;
	struct kvm_one_reg reg;

	switch (ioctl) {
	case KVM_ARM_VCPU_INIT:
		if (copy_from_user(&init, argp, sizeof(init)))
			return -EFAULT;
		return kvm_arm_vcpu_init(vcpu, &init);
	case KVM_GET_REG_LIST:
		if (!vcpu->arch.initialized)
			return kvm_refuse(-ENOEXEC, "KVM_GET_REG_LIST before KVM_ARM_VCPU_INIT");
		return kvm_arm_get_reg_list(vcpu, argp);
	case KVM_GET_ONE_REG:
	case KVM_SET_ONE_REG:
		if (!vcpu->arch.initialized)
			return kvm_refuse(-ENOEXEC, "ONE_REG before KVM_ARM_VCPU_INIT");
		if (copy_from_user(&reg, argp, sizeof(reg)))
			return -EFAULT;
		return ioctl == KVM_GET_ONE_REG ? kvm_arm_get_reg(vcpu, &reg) :
						  kvm_arm_set_reg(vcpu, &reg);
	case KVM_GET_MP_STATE:
		mp_state.mp_state = READ_ONCE(vcpu->arch.mp_state);
		return copy_to_user(argp, &mp_state, sizeof(mp_state)) ? -EFAULT : 0;
	case KVM_SET_MP_STATE:
		if (copy_from_user(&mp_state, argp, sizeof(mp_state)))
			return -EFAULT;
		return kvm_arch_vcpu_ioctl_set_mpstate(vcpu, &mp_state);
	case KVM_GET_VCPU_EVENTS:
		if (!vcpu->arch.initialized)
			return kvm_refuse(-ENOEXEC, "KVM_GET_VCPU_EVENTS before KVM_ARM_VCPU_INIT");
		kvm_arm_vcpu_get_events(vcpu, &events);
		return copy_to_user(argp, &events, sizeof(events)) ? -EFAULT : 0;
	case KVM_SET_VCPU_EVENTS:
		if (!vcpu->arch.initialized)
			return kvm_refuse(-ENOEXEC, "KVM_SET_VCPU_EVENTS before KVM_ARM_VCPU_INIT");
		if (copy_from_user(&events, argp, sizeof(events)))
			return -EFAULT;
		return kvm_arm_vcpu_set_events(vcpu, &events);
	}
	return kvm_refuse(-EINVAL, "unknown ioctl 0x%x on an arm64 vCPU", ioctl);
}

vm_fault_t kvm_arch_vcpu_fault(struct kvm_vcpu *vcpu, struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}
