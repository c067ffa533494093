/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the files of minikvm's arm64 backend call of each other, and the guest register
 * accessors they share.
 */
#ifndef __MINIKVM_ARM64_ARM_H
#define __MINIKVM_ARM64_ARM_H

#include <asm/cpufeature.h>
#include <minikvm/kvm_host.h>

/* The size of an AArch64 instruction: what a trapped instruction's PC moves on by. */
#define AARCH64_INSN_SIZE	4

/* arm.c */
void kvm_tlb_flush_vmid(struct kvm *kvm);
void kvm_flush_vm_context(void);
void kvm_guest_hcr_init(void);
u64 kvm_guest_hcr(void);

/* hyp_init.c */
void kvm_flush_dcache_to_poc(void *addr, size_t size);
void kvm_flush_icache(void);
u64 kvm_hyp_cpu_flags(void);
u64 kvm_host_mdcr_el2(void);

/* vmid.c */
int kvm_arm_vmid_init(void);
void kvm_arm_vmid_free(void);
u64 kvm_arm_vmid_update(struct kvm_vmid *kvm_vmid);
void kvm_arm_vmid_clear_active(void);
unsigned int kvm_arm_vmid_bits(void);

/* spectre.c */
void kvm_spectre_init(void);
u64 kvm_spectre_hyp_flags(void);
long kvm_smccc_arch_features(u32 feature);

/* arch_timer.c */
void kvm_timer_vcpu_load(struct kvm_vcpu *vcpu);
void kvm_timer_vcpu_put(struct kvm_vcpu *vcpu);

/* mmu.c */
int kvm_hyp_init_pgtable(void);
void kvm_hyp_free_pgtable(void);
int kvm_hyp_map(phys_addr_t start, size_t size, bool exec);
u64 kvm_hyp_ttbr0(void);
u64 kvm_hyp_tcr(void);
u64 kvm_hyp_mair(void);
u32 kvm_ipa_limit(void);
int kvm_init_stage2_mmu(struct kvm *kvm, unsigned long type);
u64 kvm_get_vttbr(struct kvm *kvm, u64 vmid);
void kvm_free_stage2_pgd(struct kvm *kvm);
void stage2_flush_vm(struct kvm *kvm);
int kvm_handle_guest_abort(struct kvm_vcpu *vcpu);

/* mmio.c */
int io_mem_abort(struct kvm_vcpu *vcpu, gpa_t fault_ipa);
void kvm_handle_mmio_return(struct kvm_vcpu *vcpu);

/* psci.c */
int kvm_smccc_call_handler(struct kvm_vcpu *vcpu);
void kvm_psci_reset_on(struct kvm_vcpu *vcpu);

/* sys_regs.c */
int kvm_handle_sys_reg(struct kvm_vcpu *vcpu);

/* handle_exit.c */
int handle_exit(struct kvm_vcpu *vcpu, int exception_index);
void kvm_inject_undefined(struct kvm_vcpu *vcpu);
void kvm_set_sei_esr(struct kvm_vcpu *vcpu, u64 esr);
void kvm_inject_vabt(struct kvm_vcpu *vcpu);

/* guest.c */
void kvm_reset_vcpu(struct kvm_vcpu *vcpu);
int kvm_arm_vcpu_init(struct kvm_vcpu *vcpu, const struct kvm_vcpu_init *init);
int kvm_arm_get_reg_list(struct kvm_vcpu *vcpu, struct kvm_reg_list __user *ulist);
int kvm_arm_get_reg(struct kvm_vcpu *vcpu, const struct kvm_one_reg *reg);
int kvm_arm_set_reg(struct kvm_vcpu *vcpu, const struct kvm_one_reg *reg);
int kvm_sys_reg_slot(u32 encoding);
void kvm_arm_vcpu_get_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *events);
int kvm_arm_vcpu_set_events(struct kvm_vcpu *vcpu, const struct kvm_vcpu_events *events);

/*
 * FEAT_S2FWB on every CPU: with HCR_EL2.FWB, stage 2 may force a guest's accesses to be
 * Write-Back cacheable whatever its own translation (or its MMU being off) says.
 */
static inline bool kvm_stage2_fwb(void)
{
	return cpus_have_final_cap(ARM64_HAS_STAGE2_FWB);
}

/* FEAT_RAS on every CPU, as the kernel uses it: ESB, DISR_EL1, VSESR_EL2, error records. */
static inline bool kvm_has_ras(void)
{
	return cpus_have_final_cap(ARM64_HAS_RAS_EXTN);
}

/* The capability "the kernel uses the GICv3 system register CPU interface", renamed in 6.2. */
#ifdef ARM64_HAS_GIC_CPUIF_SYSREGS
#define ARM64_CAP_GIC_CPUIF	ARM64_HAS_GIC_CPUIF_SYSREGS
#else
#define ARM64_CAP_GIC_CPUIF	ARM64_HAS_SYSREG_GIC_CPUIF
#endif

static inline bool kvm_arm_vcpu_stopped(struct kvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->arch.mp_state) == KVM_MP_STATE_STOPPED;
}

static inline bool kvm_arm_vcpu_suspended(struct kvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->arch.mp_state) == KVM_MP_STATE_SUSPENDED;
}

/* Stops @vcpu, from any thread: if it is in the guest, it leaves to sleep. */
static inline void kvm_arm_vcpu_power_off(struct kvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->arch.mp_state, KVM_MP_STATE_STOPPED);
	kvm_vcpu_kick(vcpu);
}

static inline u64 *vcpu_pc(struct kvm_vcpu *vcpu)
{
	return &vcpu->arch.hyp.guest.regs.regs.pc;
}

/* Register @n of the guest as an instruction names it: 31 is XZR. */
static inline u64 vcpu_get_reg(struct kvm_vcpu *vcpu, u8 n)
{
	return n == 31 ? 0 : vcpu->arch.hyp.guest.regs.regs.regs[n];
}

static inline void vcpu_set_reg(struct kvm_vcpu *vcpu, u8 n, u64 val)
{
	if (n != 31)
		vcpu->arch.hyp.guest.regs.regs.regs[n] = val;
}

/* Past the trapped instruction (ELR_EL2 points at it for traps, after it for HVC). */
static inline void kvm_incr_pc(struct kvm_vcpu *vcpu)
{
	*vcpu_pc(vcpu) += AARCH64_INSN_SIZE;
}

#endif /* __MINIKVM_ARM64_ARM_H */
