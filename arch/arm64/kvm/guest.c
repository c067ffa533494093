// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 vCPU set-up from userspace: KVM_ARM_VCPU_INIT and its reset state,
 * KVM_GET_REG_LIST, KVM_GET_ONE_REG and KVM_SET_ONE_REG for the core registers
 * (KVM_REG_ARM_CORE: offsets in struct kvm_regs, in 32-bit words) and the system
 * registers minikvm switches (KVM_REG_ARM64_SYSREG: op0, op1, CRn, CRm, op2), and
 * KVM_GET_VCPU_EVENTS and KVM_SET_VCPU_EVENTS (a pending virtual SError).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/kvm.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cputype.h>
#include <asm/esr.h>
#include <asm/kvm_arm.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>

#include <minikvm/kvm_host.h>

#include "arm.h"

/* The features minikvm implements: start powered off, and PSCI 0.2 (and later). */
#define KVM_VCPU_VALID_FEATURES	(BIT(KVM_ARM_VCPU_POWER_OFF) | BIT(KVM_ARM_VCPU_PSCI_0_2))
/* Feature bits KVM knows; beyond them, KVM_ARM_VCPU_INIT says ENOENT. */
#define KVM_VCPU_MAX_FEATURES	7

/* KVM's reset PSTATE: EL1h, every exception masked. */
#define VCPU_RESET_PSTATE_EL1	(PSR_MODE_EL1h | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT | PSR_D_BIT)
/* KVM's reset SCTLR_EL1: MMU and caches off, its RES1 bits set. */
#define VCPU_RESET_SCTLR_EL1	0x00c50078ULL
/* MPIDR_EL1 bit 31 is RES1. */
#define MPIDR_RES1		BIT_ULL(31)

/* KVM's MPIDR_EL1 for a vCPU id: Aff0 = id[3:0], Aff1 = id[11:4], Aff2 = id[19:12]. */
static u64 kvm_vcpu_mpidr(u32 id)
{
	return MPIDR_RES1 | ((id & 0xf) << MPIDR_LEVEL_SHIFT(0)) |
	       (((id >> 4) & 0xff) << MPIDR_LEVEL_SHIFT(1)) |
	       ((u64)((id >> 12) & 0xff) << MPIDR_LEVEL_SHIFT(2));
}

/*
 * kvm_reset_vcpu() - the state KVM gives a vCPU at KVM_ARM_VCPU_INIT and PSCI CPU_ON:
 * zero but for PSTATE, SCTLR and MPIDR, the debug registers, timer and GIC interface too,
 * the OS Lock unlocked, no virtual SError pending. Called in the vCPU's own thread, maybe
 * loaded on a CPU (CPU_ON, in KVM_RUN): then, as in KVM, it is put first and loaded again
 * after, so that what the CPU holds of it is reset too.
 */
void kvm_reset_vcpu(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_hyp *hyp = &vcpu->arch.hyp;
	bool loaded;

	preempt_disable();
	loaded = READ_ONCE(vcpu->cpu) != -1;
	if (loaded)
		kvm_arch_vcpu_put(vcpu);
	memset(&hyp->guest, 0, sizeof(hyp->guest));
	hyp->hcr_el2 = 0;
	hyp->vgic_vmcr = 0;
	vcpu->arch.trap_vm_regs = false;
	hyp->guest.regs.regs.pstate = VCPU_RESET_PSTATE_EL1;
	hyp->guest.sys_regs[CTX_SCTLR_EL1] = VCPU_RESET_SCTLR_EL1;
	hyp->vmpidr_el2 = kvm_vcpu_mpidr(vcpu->vcpu_id);
	memset(&vcpu->arch.vcpu_debug_state, 0, sizeof(vcpu->arch.vcpu_debug_state));
	vcpu->arch.os_lock = false;
	vcpu->arch.mmio_needed = false;
	if (loaded)
		kvm_arch_vcpu_load(vcpu, smp_processor_id());
	preempt_enable();
}

/**
 * kvm_arm_vcpu_init() - KVM_ARM_VCPU_INIT: choose the features and reset the vCPU
 * @vcpu: the vCPU
 * @init: the target (KVM_ARM_TARGET_GENERIC_V8, what KVM_ARM_PREFERRED_TARGET says) and
 *	the feature bits
 *
 * Returns 0, -EINVAL for another target, a feature minikvm lacks or a change of features
 * on a second call, -ENOENT for a feature bit KVM does not know either.
 */
int kvm_arm_vcpu_init(struct kvm_vcpu *vcpu, const struct kvm_vcpu_init *init)
{
	u32 features = init->features[0];
	unsigned int i;

	if (init->target != KVM_ARM_TARGET_GENERIC_V8)
		return kvm_refuse(-EINVAL, "KVM_ARM_VCPU_INIT: target %u is not %d",
				  init->target, KVM_ARM_TARGET_GENERIC_V8);
	for (i = 1; i < ARRAY_SIZE(init->features); i++)
		if (init->features[i])
			return kvm_refuse(-ENOENT, "KVM_ARM_VCPU_INIT: unknown features[%u]", i);
	if (features & ~GENMASK(KVM_VCPU_MAX_FEATURES - 1, 0))
		return kvm_refuse(-ENOENT, "KVM_ARM_VCPU_INIT: unknown features 0x%lx",
				  features & ~GENMASK(KVM_VCPU_MAX_FEATURES - 1, 0));
	if (features & ~KVM_VCPU_VALID_FEATURES)
		return kvm_refuse(-EINVAL, "KVM_ARM_VCPU_INIT: features 0x%lx not supported",
				  features & ~KVM_VCPU_VALID_FEATURES);
	if (vcpu->arch.initialized && features != vcpu->arch.features)
		return kvm_refuse(-EINVAL, "KVM_ARM_VCPU_INIT: features changed since the first");

	vcpu->arch.features = features;
	kvm_reset_vcpu(vcpu);
	WRITE_ONCE(vcpu->arch.mp_state, features & BIT(KVM_ARM_VCPU_POWER_OFF) ?
		   KVM_MP_STATE_STOPPED : KVM_MP_STATE_RUNNABLE);
	vcpu->arch.initialized = true;
	return 0;
}

/* struct kvm_regs in 32-bit words: what a KVM_REG_ARM_CORE offset counts in. */
#define CORE_REG_NR_WORDS	(sizeof(struct kvm_regs) / sizeof(u32))
#define CORE_REG_WORDS(bytes)	((bytes) / sizeof(u32))

/* The size of the core register at word @off, or 0 if none starts there. */
static unsigned int core_reg_size_from_offset(u64 off)
{
	u64 vregs = KVM_REG_ARM_CORE_REG(fp_regs.vregs);

	if (off < KVM_REG_ARM_CORE_REG(spsr[KVM_NR_SPSR]))
		return off % CORE_REG_WORDS(sizeof(u64)) ? 0 : sizeof(u64);
	if (off >= vregs && off < KVM_REG_ARM_CORE_REG(fp_regs.fpsr))
		return (off - vregs) % CORE_REG_WORDS(sizeof(__uint128_t)) ? 0 :
		       sizeof(__uint128_t);
	if (off == KVM_REG_ARM_CORE_REG(fp_regs.fpsr) ||
	    off == KVM_REG_ARM_CORE_REG(fp_regs.fpcr))
		return sizeof(u32);
	return 0;
}

/* The register a KVM_REG_ARM_CORE id names, or an ERR_PTR as KVM's errno. */
static void *core_reg_addr(struct kvm_vcpu *vcpu, u64 id)
{
	u64 off = id & ~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK | KVM_REG_ARM_CORE);
	u64 size = KVM_REG_SIZE(id);

	if (off >= CORE_REG_NR_WORDS || off + CORE_REG_WORDS(size) >= CORE_REG_NR_WORDS)
		return ERR_PTR(-ENOENT);
	if (core_reg_size_from_offset(off) != size)
		return ERR_PTR(-EINVAL);
	return (u32 *)&vcpu->arch.hyp.guest.regs + off;
}

/* The AArch64 modes a guest may be in: EL0t, EL1t, EL1h. AArch32 is not offered. */
static bool valid_pstate(u64 pstate)
{
	switch (pstate & (PSR_MODE32_BIT | PSR_MODE_MASK)) {
	case PSR_MODE_EL0t:
	case PSR_MODE_EL1t:
	case PSR_MODE_EL1h:
		return true;
	}
	return false;
}

/* KVM_REG_ARM64_SYSREG encodings of the registers minikvm keeps, and their slots. */
static const struct {
	u32 encoding;
	unsigned int slot;
} sys_reg_descs[] = {
	{ SYS_SCTLR_EL1, CTX_SCTLR_EL1 },
	{ SYS_CPACR_EL1, CTX_CPACR_EL1 },
	{ SYS_TTBR0_EL1, CTX_TTBR0_EL1 },
	{ SYS_TTBR1_EL1, CTX_TTBR1_EL1 },
	{ SYS_TCR_EL1, CTX_TCR_EL1 },
	{ SYS_ESR_EL1, CTX_ESR_EL1 },
	{ SYS_FAR_EL1, CTX_FAR_EL1 },
	{ SYS_AFSR0_EL1, CTX_AFSR0_EL1 },
	{ SYS_AFSR1_EL1, CTX_AFSR1_EL1 },
	{ SYS_MAIR_EL1, CTX_MAIR_EL1 },
	{ SYS_AMAIR_EL1, CTX_AMAIR_EL1 },
	{ SYS_CONTEXTIDR_EL1, CTX_CONTEXTIDR_EL1 },
	{ SYS_VBAR_EL1, CTX_VBAR_EL1 },
	{ SYS_CNTKCTL_EL1, CTX_CNTKCTL_EL1 },
	{ SYS_TPIDR_EL0, CTX_TPIDR_EL0 },
	{ SYS_TPIDRRO_EL0, CTX_TPIDRRO_EL0 },
	{ SYS_TPIDR_EL1, CTX_TPIDR_EL1 },
	{ SYS_PAR_EL1, CTX_PAR_EL1 },
	{ SYS_MDSCR_EL1, CTX_MDSCR_EL1 },
	{ SYS_CSSELR_EL1, CTX_CSSELR_EL1 },
};

/** kvm_sys_reg_slot() - the CTX_* slot of the system register @encoding, or -1 */
int kvm_sys_reg_slot(u32 encoding)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sys_reg_descs); i++)
		if (sys_reg_descs[i].encoding == encoding)
			return sys_reg_descs[i].slot;
	return -1;
}

/* The 64-bit system register a KVM_REG_ARM64_SYSREG id names, or an ERR_PTR. */
static u64 *sys_reg_addr(struct kvm_vcpu *vcpu, u64 id)
{
	u32 encoding = sys_reg(FIELD_GET(KVM_REG_ARM64_SYSREG_OP0_MASK, id),
			       FIELD_GET(KVM_REG_ARM64_SYSREG_OP1_MASK, id),
			       FIELD_GET(KVM_REG_ARM64_SYSREG_CRN_MASK, id),
			       FIELD_GET(KVM_REG_ARM64_SYSREG_CRM_MASK, id),
			       FIELD_GET(KVM_REG_ARM64_SYSREG_OP2_MASK, id));
	int slot = kvm_sys_reg_slot(encoding);

	if (KVM_REG_SIZE(id) != sizeof(u64))
		return ERR_PTR(-EINVAL);
	if (encoding == SYS_MPIDR_EL1)
		return &vcpu->arch.hyp.vmpidr_el2;
	if (slot >= 0)
		return &vcpu->arch.hyp.guest.sys_regs[slot];
	return ERR_PTR(-ENOENT);
}

/* Where ONE_REG's @id lives in the vCPU, or an ERR_PTR as KVM's errno. */
static void *one_reg_addr(struct kvm_vcpu *vcpu, u64 id)
{
	if ((id & KVM_REG_ARCH_MASK) != KVM_REG_ARM64)
		return ERR_PTR(-EINVAL);
	switch (id & KVM_REG_ARM_COPROC_MASK) {
	case KVM_REG_ARM_CORE:
		return core_reg_addr(vcpu, id);
	case KVM_REG_ARM64_SYSREG:
		return sys_reg_addr(vcpu, id);
	}
	return ERR_PTR(-ENOENT);
}

/* The KVM_REG_SIZE_* of a register of @bytes. */
static u64 reg_size_id(unsigned int bytes)
{
	return (u64)ilog2(bytes) << KVM_REG_SIZE_SHIFT;
}

/*
 * Writes the id of every register ONE_REG knows to @ids, when not NULL, and returns how
 * many there are: each core register, then each system register.
 */
static unsigned int kvm_arm_walk_regs(u64 *ids)
{
	unsigned int n = 0, i, size;
	u64 off;

	for (off = 0; off < CORE_REG_NR_WORDS; off++) {
		size = core_reg_size_from_offset(off);
		if (!size)
			continue;
		if (ids)
			ids[n] = KVM_REG_ARM64 | KVM_REG_ARM_CORE | reg_size_id(size) | off;
		n++;
	}
	for (i = 0; i <= ARRAY_SIZE(sys_reg_descs); i++) {
		u32 enc = i < ARRAY_SIZE(sys_reg_descs) ? sys_reg_descs[i].encoding : SYS_MPIDR_EL1;

		if (ids)
			ids[n] = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG |
				 FIELD_PREP(KVM_REG_ARM64_SYSREG_OP0_MASK, sys_reg_Op0(enc)) |
				 FIELD_PREP(KVM_REG_ARM64_SYSREG_OP1_MASK, sys_reg_Op1(enc)) |
				 FIELD_PREP(KVM_REG_ARM64_SYSREG_CRN_MASK, sys_reg_CRn(enc)) |
				 FIELD_PREP(KVM_REG_ARM64_SYSREG_CRM_MASK, sys_reg_CRm(enc)) |
				 FIELD_PREP(KVM_REG_ARM64_SYSREG_OP2_MASK, sys_reg_Op2(enc));
		n++;
	}
	return n;
}

/**
 * kvm_arm_get_reg_list() - KVM_GET_REG_LIST: the ids ONE_REG accepts
 * @vcpu: the vCPU
 * @ulist: userspace's struct kvm_reg_list; its n says how many ids fit
 *
 * Returns 0, or -E2BIG with n set to the number needed, as KVM.
 */
int kvm_arm_get_reg_list(struct kvm_vcpu *vcpu, struct kvm_reg_list __user *ulist)
{
	unsigned int n = kvm_arm_walk_regs(NULL);
	struct kvm_reg_list list;
	u64 *ids;
	int r = 0;

	if (copy_from_user(&list, ulist, sizeof(list)))
		return -EFAULT;
	if (put_user(n, &ulist->n))
		return -EFAULT;
	if (list.n < n)
		return kvm_refuse(-E2BIG, "KVM_GET_REG_LIST: room for %llu ids, %u needed",
				  list.n, n);
	ids = kcalloc(n, sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	kvm_arm_walk_regs(ids);
	if (copy_to_user(ulist->reg, ids, n * sizeof(*ids)))
		r = -EFAULT;
	kfree(ids);
	return r;
}

int kvm_arm_get_reg(struct kvm_vcpu *vcpu, const struct kvm_one_reg *reg)
{
	void *addr = one_reg_addr(vcpu, reg->id);

	if (IS_ERR(addr))
		return kvm_refuse(PTR_ERR(addr), "KVM_GET_ONE_REG: bad id 0x%llx", reg->id);
	if (copy_to_user(u64_to_user_ptr(reg->addr), addr, KVM_REG_SIZE(reg->id)))
		return -EFAULT;
	return 0;
}

int kvm_arm_set_reg(struct kvm_vcpu *vcpu, const struct kvm_one_reg *reg)
{
	void *addr = one_reg_addr(vcpu, reg->id);
	u64 size = KVM_REG_SIZE(reg->id);
	u8 val[sizeof(__uint128_t)];

	if (IS_ERR(addr))
		return kvm_refuse(PTR_ERR(addr), "KVM_SET_ONE_REG: bad id 0x%llx", reg->id);
	if (copy_from_user(val, u64_to_user_ptr(reg->addr), size))
		return -EFAULT;
	if (addr == &vcpu->arch.hyp.guest.regs.regs.pstate && !valid_pstate(*(u64 *)val))
		return kvm_refuse(-EINVAL, "KVM_SET_ONE_REG: PSTATE 0x%llx: not EL0t/EL1t/EL1h",
				  *(u64 *)val);
	memcpy(addr, val, size);
	return 0;
}

/**
 * kvm_arm_vcpu_get_events() - KVM_GET_VCPU_EVENTS: whether a virtual SError is pending
 * @vcpu: the vCPU
 * @events: filled in
 *
 * With FEAT_RAS, its syndrome too. A pending external data abort is never reported: KVM
 * delivers one at once, and minikvm does not inject one.
 */
void kvm_arm_vcpu_get_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *events)
{
	memset(events, 0, sizeof(*events));
	events->exception.serror_pending = !!(vcpu->arch.hyp.hcr_el2 & HCR_VSE);
	events->exception.serror_has_esr = kvm_has_ras();
	if (events->exception.serror_pending && events->exception.serror_has_esr)
		events->exception.serror_esr = vcpu->arch.hyp.vsesr_el2;
}

/**
 * kvm_arm_vcpu_set_events() - KVM_SET_VCPU_EVENTS: make a virtual SError pending
 * @vcpu: the vCPU
 * @events: serror_pending, with serror_has_esr the ISS of its syndrome (FEAT_RAS only)
 *
 * The guest takes it once it unmasks SErrors. Returns 0, or -EINVAL as KVM: nonzero
 * padding, a syndrome without FEAT_RAS or beyond the ISS; and for an external data abort,
 * which minikvm does not inject (it does not offer KVM_CAP_ARM_INJECT_EXT_DABT).
 */
int kvm_arm_vcpu_set_events(struct kvm_vcpu *vcpu, const struct kvm_vcpu_events *events)
{
	u64 esr = events->exception.serror_esr;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(events->reserved); i++)
		if (events->reserved[i])
			return kvm_refuse(-EINVAL, "KVM_SET_VCPU_EVENTS: reserved[%u] set", i);
	for (i = 0; i < ARRAY_SIZE(events->exception.pad); i++)
		if (events->exception.pad[i])
			return kvm_refuse(-EINVAL, "KVM_SET_VCPU_EVENTS: pad[%u] set", i);
	if (events->exception.ext_dabt_pending)
		return kvm_refuse(-EINVAL, "KVM_SET_VCPU_EVENTS: no external data abort injection");
	if (!events->exception.serror_pending)
		return 0;
	if (!events->exception.serror_has_esr) {
		kvm_inject_vabt(vcpu);
		return 0;
	}
	if (!kvm_has_ras())
		return kvm_refuse(-EINVAL, "KVM_SET_VCPU_EVENTS: an SError syndrome needs FEAT_RAS");
	if (esr & ~ESR_ELx_ISS_MASK)
		return kvm_refuse(-EINVAL, "KVM_SET_VCPU_EVENTS: syndrome 0x%llx beyond the ISS",
				  esr);
	kvm_set_sei_esr(vcpu, esr);
	return 0;
}
