/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The arm64 part of minikvm's VM and vCPU objects, embedded in struct kvm and struct
 * kvm_vcpu (include/minikvm/kvm_host.h).
 */
#ifndef __MINIKVM_ARM64_KVM_ARCH_H
#define __MINIKVM_ARM64_KVM_ARCH_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <asm/kvm.h>

#include "hyp.h"

#define KVM_MAX_VCPUS		16
#define KVM_MAX_VCPU_IDS	KVM_MAX_VCPUS

/* /sys/kernel/debug/minikvm/cpu_pm (hyp_init.c). */
#define __KVM_HAVE_ARCH_DEBUGFS

/* The vCPU mmap: struct kvm_run only (no PIO on arm64, no coalesced MMIO ring yet). */
#define KVM_VCPU_MMAP_PAGES	1

/* Exception classes (ESR_EL2.EC, 6 bits) counted one by one in the vCPU stats. */
#define KVM_NR_EXIT_REASONS	64

/* The guest's IPA space when KVM_CREATE_VM's type asks for no size: 40 bits, as KVM. */
#define KVM_PHYS_SHIFT_DEFAULT	40
#define KVM_PHYS_SIZE_DEFAULT	(1ULL << KVM_PHYS_SHIFT_DEFAULT)

/* No counters of the arm64 vCPU's own beside the core's (virt/kvm/stats.c). */
struct kvm_vcpu_arch_stat {
};

#define KVM_VCPU_ARCH_STATS

/**
 * struct kvm_vmid - what tags a VM's TLB entries (VTTBR_EL2.VMID), by generation (vmid.c)
 * @id: the generation above the tag; 0 before the VM first runs
 */
struct kvm_vmid {
	atomic64_t id;
};

/**
 * struct kvm_arch - a VM's stage 2
 * @mmu_lock: serializes changes to the stage-2 tables
 * @pgd: the table of the first lookup level (kernel address)
 * @start_level: that level: 0 for IPA spaces of 40 bits and more, else 1
 * @ipa_bits: the IPA size chosen at KVM_CREATE_VM
 * @vmid: the VM's VMID; kvm_get_vttbr() makes VTTBR_EL2 of it
 * @vtcr: VTCR_EL2 for the VM's vCPUs
 */
struct kvm_arch {
	struct mutex mmu_lock;
	u64 *pgd;
	int start_level;
	u32 ipa_bits;
	struct kvm_vmid vmid;
	u64 vtcr;
};

/*
 * The system registers of struct kvm_cpu_context, by slot. The first group are the EL1
 * registers that a VHE host's HCR_EL2.E2H redirects to their EL2 twins: there the guest's
 * copies are reached through the *_EL12 names, and the host's own never need saving.
 */
enum kvm_ctx_sysreg {
	CTX_SCTLR_EL1,
	CTX_CPACR_EL1,
	CTX_TTBR0_EL1,
	CTX_TTBR1_EL1,
	CTX_TCR_EL1,
	CTX_ESR_EL1,
	CTX_FAR_EL1,
	CTX_AFSR0_EL1,
	CTX_AFSR1_EL1,
	CTX_MAIR_EL1,
	CTX_AMAIR_EL1,
	CTX_CONTEXTIDR_EL1,
	CTX_VBAR_EL1,
	CTX_CNTKCTL_EL1,
	/* Registers that no E2H redirects: the host's are live in both modes. */
	CTX_TPIDR_EL0,
	CTX_TPIDRRO_EL0,
	CTX_TPIDR_EL1,
	CTX_PAR_EL1,
	CTX_MDSCR_EL1,
	CTX_CSSELR_EL1,
	/* Switched only where the CPU has them (HYP_FLAG_TPIDR2, HYP_FLAG_RAS): VDISR_EL2's. */
	CTX_TPIDR2_EL0,
	CTX_DISR_EL1,
	/* The guest's EL1 virtual timer, loaded and saved by arch_timer.c, not the world switch. */
	CTX_CNTV_CTL_EL0,
	CTX_CNTV_CVAL_EL0,
	NR_CTX_SYS_REGS
};

/**
 * struct kvm_cpu_context - an EL1 context: a guest's, or the host's while the guest runs
 * @regs: x0-x30, SP_EL0, PC, PSTATE, SP_EL1, ELR_EL1, SPSR_EL1 and FP/SIMD, laid out as
 *	the ABI's struct kvm_regs, which KVM_REG_ARM_CORE offsets index
 * @sys_regs: system registers, by the CTX_* slots above
 */
struct kvm_cpu_context {
	struct kvm_regs regs;
	u64 sys_regs[NR_CTX_SYS_REGS];
} __aligned(16);

/**
 * struct kvm_host_el2 - the host's EL2 state that a guest run replaces: saved by the
 *	world switch (hyp/switch.S) before it loads the guest's, put back at the exit
 * @sp: the host's stack pointer (SP_EL2 points at struct kvm_vcpu_hyp meanwhile)
 * @lr: where __guest_run returns to
 * @elr_el2: nVHE: where the hyp call returns to (VHE: the kernel's, unused meanwhile)
 * @spsr_el2: nVHE: the PSTATE it returns with
 * @hcr_el2: the host's HCR_EL2
 * @vttbr_el2: VTTBR_EL2
 * @vmpidr_el2: VMPIDR_EL2
 * @mdcr_el2: MDCR_EL2
 * @cptr_el2: CPTR_EL2 (CPACR_EL1's layout under E2H)
 * @cnthctl_el2: CNTHCTL_EL2
 * @vbar_el2: VBAR_EL2: the kernel's vectors (VHE) or minikvm's (nVHE)
 * @hcrx_el2: HCRX_EL2, where the CPU has it
 * @hfgrtr_el2: HFGRTR_EL2, where the CPU has the fine-grained traps
 * @hfgwtr_el2: HFGWTR_EL2, likewise
 * @hfgitr_el2: HFGITR_EL2, likewise
 * @hdfgrtr_el2: HDFGRTR_EL2, likewise
 * @hdfgwtr_el2: HDFGWTR_EL2, likewise
 * @icc_sre_el2: ICC_SRE_EL2, where the kernel uses the GICv3 system registers
 */
struct kvm_host_el2 {
	u64 sp;
	u64 lr;
	u64 elr_el2;
	u64 spsr_el2;
	u64 hcr_el2;
	u64 vttbr_el2;
	u64 vmpidr_el2;
	u64 mdcr_el2;
	u64 cptr_el2;
	u64 cnthctl_el2;
	u64 vbar_el2;
	u64 hcrx_el2;
	u64 hfgrtr_el2;
	u64 hfgwtr_el2;
	u64 hfgitr_el2;
	u64 hdfgrtr_el2;
	u64 hdfgwtr_el2;
	u64 icc_sre_el2;
};

/**
 * struct kvm_vcpu_hyp - everything the world switch (hyp/switch.S, hyp/entry.S) touches,
 *	by the offsets the compiler gives asm-offsets.h (asm-offsets.c); in nVHE, EL2
 *	reaches it at its physical address, which EL2's identity map maps when the vCPU
 *	is created
 * @guest: the guest's registers
 * @host: the host's, while the guest runs
 * @hcr_el2: HCR_EL2 for the guest (kvm_vcpu_hcr())
 * @vttbr_el2: its stage 2 and VMID
 * @vtcr_el2: its stage-2 translation controls
 * @vmpidr_el2: what the guest reads as MPIDR_EL1
 * @mdcr_el2: its debug and PMU traps (kvm_guest_mdcr())
 * @cptr_el2: its FP/SIMD, SVE, SME, trace and activity monitor traps (kvm_vcpu_cptr())
 * @cnthctl_el2: its timer and counter traps (kvm_guest_cnthctl())
 * @hcrx_el2: HCRX_EL2, loaded only where the CPU has it (kvm_guest_traps())
 * @hfgrtr_el2: HFGRTR_EL2, loaded only where the CPU has the fine-grained traps
 * @hfgwtr_el2: HFGWTR_EL2, likewise
 * @hfgitr_el2: HFGITR_EL2, likewise
 * @hdfgrtr_el2: HDFGRTR_EL2, likewise
 * @hdfgwtr_el2: HDFGWTR_EL2, likewise
 * @vsesr_el2: the syndrome of the virtual SError that HCR_EL2.VSE makes pending
 * @vgic_vmcr: the guest's GICv3 virtual CPU interface controls (ICH_VMCR_EL2)
 * @esr_el2: the syndrome of the guest's exit
 * @far_el2: the faulting virtual address of an abort
 * @hpfar_el2: the faulting IPA of a stage-2 abort, bits [47:12] in [43:4]
 * @disr_el1: with HYP_FLAG_RAS, the deferred SError syndrome the exit found (DISR_EL1)
 * @guest_fpsimd: nonzero: the world switch loads the guest's FP/SIMD registers and saves
 *	them at the exit; zero: they stay in @guest, the host's stay in the CPU, and
 *	CPTR_EL2 traps the guest's first FP/SIMD instruction (kvm_handle_fpasimd())
 * @flags: HYP_FLAG_* bits for the CPU the vCPU is loaded on
 * @host_el2: the host's EL2 state, saved across the run
 */
struct kvm_vcpu_hyp {
	struct kvm_cpu_context guest;
	struct kvm_cpu_context host;
	u64 hcr_el2;
	u64 vttbr_el2;
	u64 vtcr_el2;
	u64 vmpidr_el2;
	u64 mdcr_el2;
	u64 cptr_el2;
	u64 cnthctl_el2;
	u64 hcrx_el2;
	u64 hfgrtr_el2;
	u64 hfgwtr_el2;
	u64 hfgitr_el2;
	u64 hdfgrtr_el2;
	u64 hdfgwtr_el2;
	u64 vsesr_el2;
	u64 vgic_vmcr;
	u64 esr_el2;
	u64 far_el2;
	u64 hpfar_el2;
	u64 disr_el1;
	u64 guest_fpsimd;
	u64 flags;
	struct kvm_host_el2 host_el2;
};

/**
 * struct kvm_vcpu_arch - an arm64 vCPU
 * @hyp: what EL2 switches; first, so that one cache-line walk covers it
 * @irq_lines: the IRQ and FIQ lines userspace holds high (bits KVM_ARM_IRQ_CPU_IRQ,
 *	KVM_ARM_IRQ_CPU_FIQ), set by KVM_IRQ_LINE from any thread
 * @features: the KVM_ARM_VCPU_INIT features
 * @initialized: KVM_ARM_VCPU_INIT done: KVM_RUN refuses to run before
 * @in_wfi: the vCPU thread sleeps for a WFI (not for being stopped)
 * @reset_pending: PSCI CPU_ON asked for a reset at @reset_pc with x0 = @reset_r0, which
 *	the vCPU's own thread does before its next entry
 * @reset_pc: the entry point CPU_ON gave
 * @reset_r0: the context id CPU_ON gave
 * @mp_state: KVM_MP_STATE_RUNNABLE; _STOPPED (the POWER_OFF feature, PSCI CPU_OFF,
 *	SYSTEM_OFF, SYSTEM_RESET, KVM_SET_MP_STATE): KVM_RUN sleeps until CPU_ON or a
 *	signal; or _SUSPENDED (KVM_SET_MP_STATE): KVM_RUN waits as in WFI. Set by other vCPU
 *	threads too
 * @mmio_needed: the access of a KVM_EXIT_MMIO is to be completed by the next KVM_RUN
 * @mmio_is_write: it was a store (only the PC moves on)
 * @mmio_len: its size in bytes
 * @mmio_rt: the register a load goes to (31: none)
 * @mmio_sign_extend: ESR_EL2.SSE of the load
 * @mmio_sf: ESR_EL2.SF: the register is 64 bits wide
 * @vcpu_debug_state: the guest's breakpoint and watchpoint registers (sys_regs.c)
 * @os_lock: the guest locked its OS Lock (OSLAR_EL1)
 * @trap_vm_regs: HCR_EL2.TVM: after a set/way cache operation, the guest's writes of its
 *	MMU registers trap until its caches are on (sys_regs.c)
 */
struct kvm_vcpu_arch {
	struct kvm_vcpu_hyp hyp;
	unsigned long irq_lines;
	u32 features;
	bool initialized;
	bool in_wfi;
	bool reset_pending;
	u64 reset_pc;
	u64 reset_r0;
	u32 mp_state;
	bool mmio_needed;
	bool mmio_is_write;
	u8 mmio_len;
	u8 mmio_rt;
	bool mmio_sign_extend;
	bool mmio_sf;
	struct kvm_guest_debug_arch vcpu_debug_state;
	bool os_lock;
	bool trap_vm_regs;
};

#endif /* __MINIKVM_ARM64_KVM_ARCH_H */
