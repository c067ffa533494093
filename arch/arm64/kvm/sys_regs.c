// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 system register traps (ESR_EL2.EC SYS64, Arm ARM DDI 0487F.c,
 * D13.2.37): what a guest reaches of the PMU and debug registers, which MDCR_EL2 traps
 * while it runs (hyp/switch.S) so that the host's stay the host's; what it reads of
 * the ID registers, which HCR_EL2.TID3 traps so that it is not offered features minikvm
 * does not virtualise; and, as for KVM's guests, the registers and instructions that
 * would reach the host's state: ACTLR_EL1, the RAS error records, the LORegion registers,
 * ICC_SRE_EL1, and cache maintenance by set/way.
 *
 * As on KVM for a vCPU without the PMU feature, which minikvm does not offer, every PMU
 * register is UNDEFINED, and so is any other trapped register it does not know. The
 * debug registers are the vCPU's own: MDSCR_EL1 (which the world switch loads), the OS
 * Lock, and the breakpoint and watchpoint registers, which read back what the guest
 * wrote, zero from reset, as on KVM, but are never loaded into the CPU: a guest's
 * breakpoints and watchpoints never fire. The other debug registers (debug communication
 * channel, claim tags, OS Double Lock, ...) read as zero and ignore writes.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <asm/cpufeature.h>
#include <asm/esr.h>
#include <asm/sysreg.h>

#include <minikvm/kvm_host.h>

#include "arm.h"

/* Op0 of the debug System registers: the encoding space op0 == 0b10. */
#define SYS_REG_OP0_DEBUG	2

/* OSLSR_EL1: the OS Lock is implemented (OSLM 0b10), and locked (OSLK). */
#define OSLSR_OSLM_IMPLEMENTED	BIT(3)
#define OSLSR_OSLK		BIT(1)
/* OSLAR_EL1.OSLK: 1 locks, 0 unlocks. */
#define OSLAR_OSLK		BIT(0)

/* The breakpoint and watchpoint registers: op0 2, op1 0, CRn 0, n in CRm, op2 4 to 7. */
#define DBG_REG_OP2_BVR		4
#define DBG_REG_OP2_BCR		5
#define DBG_REG_OP2_WVR		6
#define DBG_REG_OP2_WCR		7

/**
 * struct sys_reg_params - one trapped MRS or MSR, from its syndrome
 * @encoding: the register, as sys_reg(op0, op1, CRn, CRm, op2)
 * @rt: the general-purpose register it reads into or writes from (31: XZR)
 * @is_write: MSR
 */
struct sys_reg_params {
	u32 encoding;
	u8 rt;
	bool is_write;
};

/* The vCPU's copy of DBG{B,W}{V,C}R<n>_EL1, or NULL if @encoding is none of them. */
static u64 *dbg_reg(struct kvm_vcpu *vcpu, u32 encoding)
{
	struct kvm_guest_debug_arch *dbg = &vcpu->arch.vcpu_debug_state;
	unsigned int n = sys_reg_CRm(encoding);

	if (sys_reg_Op0(encoding) != SYS_REG_OP0_DEBUG || sys_reg_Op1(encoding) ||
	    sys_reg_CRn(encoding))
		return NULL;
	switch (sys_reg_Op2(encoding)) {
	case DBG_REG_OP2_BVR:
		return &dbg->dbg_bvr[n];
	case DBG_REG_OP2_BCR:
		return &dbg->dbg_bcr[n];
	case DBG_REG_OP2_WVR:
		return &dbg->dbg_wvr[n];
	case DBG_REG_OP2_WCR:
		return &dbg->dbg_wcr[n];
	}
	return NULL;
}

/*
 * A trapped debug register (MDCR_EL2.TDA, TDOSA, TDRA): reads into and writes from
 * @val. Returns false for a register that is not a debug register.
 */
static bool access_debug_reg(struct kvm_vcpu *vcpu, const struct sys_reg_params *p,
			     u64 *val)
{
	u64 *reg;

	switch (p->encoding) {
	case SYS_MDSCR_EL1:
		reg = &vcpu->arch.hyp.guest.sys_regs[CTX_MDSCR_EL1];
		break;
	case SYS_OSLAR_EL1:
		if (p->is_write)
			vcpu->arch.os_lock = *val & OSLAR_OSLK;
		return true;
	case SYS_OSLSR_EL1:
		if (!p->is_write)
			*val = OSLSR_OSLM_IMPLEMENTED | (vcpu->arch.os_lock ? OSLSR_OSLK : 0);
		return true;
	default:
		reg = dbg_reg(vcpu, p->encoding);
		if (reg)
			break;
		if (sys_reg_Op0(p->encoding) != SYS_REG_OP0_DEBUG)
			return false;
		/* The rest of the debug registers: RAZ/WI. */
		if (!p->is_write)
			*val = 0;
		return true;
	}
	if (p->is_write)
		*reg = *val;
	else
		*val = *reg;
	return true;
}

/*
 * The ID registers, trapped by HCR_EL2.TID3: op0 3, op1 0, CRn 0, CRm 1 to 7 (the
 * AArch32 and AArch64 feature registers and the reserved encodings between them).
 */
#define SYS_REG_OP0_ID		3
#define ID_REG_CRM_FIRST	1
#define ID_REG_CRM_LAST		7

/* A 4-bit ID register field at @shift. */
#define ID_FIELD(shift)		GENMASK_ULL((shift) + 3, (shift))
/* ID_DFR0_EL1.PerfMon, bits [27:24]: the AArch32 view of the PMU. */
#define ID_DFR0_EL1_PERFMON	ID_FIELD(24)
/* ID_AA64DFR0_EL1.DebugVer 0b0110: the Armv8.0 debug architecture, as KVM offers. */
#define ID_AA64DFR0_DEBUGVER_8_0	6ULL
/* ID_AA64PFR1_EL1.GCS, bits [47:44], which 6.1's headers do not name. */
#define ID_AA64PFR1_GCS_SHIFT		44

/*
 * The ID registers the kernel keeps a sanitised value of (the same in 6.1 and 6.12), and
 * the fields minikvm hides from the guest in each: what it does not give a guest, as KVM
 * hides them from a vCPU without the matching feature. SVE, SME: CPTR_EL2 traps them.
 * AMU, MPAM, MTE: not switched. PMU, statistical profiling, trace buffer and trace filter:
 * MDCR_EL2 traps them. Pointer authentication: its keys are not switched, and with
 * HCR_EL2.API and APK clear its instructions and registers trap. MOPS, LS64, GCS: the
 * guest's HCRX_EL2 leaves them off (arm.c). The debug architecture is Armv8.0's
 * (DebugVer), whose registers this file knows.
 */
static const struct {
	u32 encoding;
	u64 hidden;
} id_regs[] = {
	{ SYS_ID_PFR0_EL1, 0 },
	{ SYS_ID_PFR1_EL1, 0 },
	{ SYS_ID_DFR0_EL1, ID_DFR0_EL1_PERFMON },
	{ SYS_ID_MMFR0_EL1, 0 },
	{ SYS_ID_MMFR1_EL1, 0 },
	{ SYS_ID_MMFR2_EL1, 0 },
	{ SYS_ID_MMFR3_EL1, 0 },
	{ SYS_ID_ISAR0_EL1, 0 },
	{ SYS_ID_ISAR1_EL1, 0 },
	{ SYS_ID_ISAR2_EL1, 0 },
	{ SYS_ID_ISAR3_EL1, 0 },
	{ SYS_ID_ISAR4_EL1, 0 },
	{ SYS_ID_ISAR5_EL1, 0 },
	{ SYS_ID_MMFR4_EL1, 0 },
	{ SYS_ID_ISAR6_EL1, 0 },
	{ SYS_MVFR0_EL1, 0 },
	{ SYS_MVFR1_EL1, 0 },
	{ SYS_MVFR2_EL1, 0 },
	{ SYS_ID_PFR2_EL1, 0 },
	{ SYS_ID_DFR1_EL1, 0 },
	{ SYS_ID_MMFR5_EL1, 0 },
	{ SYS_ID_AA64PFR0_EL1, ID_FIELD(ID_AA64PFR0_EL1_SVE_SHIFT) |
			       ID_FIELD(ID_AA64PFR0_EL1_AMU_SHIFT) |
			       ID_FIELD(ID_AA64PFR0_EL1_MPAM_SHIFT) },
	{ SYS_ID_AA64PFR1_EL1, ID_FIELD(ID_AA64PFR1_EL1_MTE_SHIFT) |
			       ID_FIELD(ID_AA64PFR1_EL1_SME_SHIFT) |
			       ID_FIELD(ID_AA64PFR1_EL1_MPAM_frac_SHIFT) |
			       ID_FIELD(ID_AA64PFR1_GCS_SHIFT) },
	{ SYS_ID_AA64ZFR0_EL1, ~0ULL },
	{ SYS_ID_AA64SMFR0_EL1, ~0ULL },
	{ SYS_ID_AA64DFR0_EL1, ID_FIELD(ID_AA64DFR0_EL1_PMUVer_SHIFT) |
			       ID_FIELD(ID_AA64DFR0_EL1_PMSVer_SHIFT) |
			       ID_FIELD(ID_AA64DFR0_EL1_TraceBuffer_SHIFT) |
			       ID_FIELD(ID_AA64DFR0_EL1_TraceFilt_SHIFT) |
			       ID_FIELD(ID_AA64DFR0_EL1_DebugVer_SHIFT) },
	{ SYS_ID_AA64DFR1_EL1, 0 },
	{ SYS_ID_AA64ISAR0_EL1, 0 },
	{ SYS_ID_AA64ISAR1_EL1, ID_FIELD(ID_AA64ISAR1_EL1_APA_SHIFT) |
				ID_FIELD(ID_AA64ISAR1_EL1_API_SHIFT) |
				ID_FIELD(ID_AA64ISAR1_EL1_GPA_SHIFT) |
				ID_FIELD(ID_AA64ISAR1_EL1_GPI_SHIFT) |
				ID_FIELD(ID_AA64ISAR1_EL1_LS64_SHIFT) },
	{ SYS_ID_AA64ISAR2_EL1, ID_FIELD(ID_AA64ISAR2_EL1_APA3_SHIFT) |
				ID_FIELD(ID_AA64ISAR2_EL1_GPA3_SHIFT) |
				ID_FIELD(ID_AA64ISAR2_EL1_MOPS_SHIFT) },
	{ SYS_ID_AA64MMFR0_EL1, 0 },
	{ SYS_ID_AA64MMFR1_EL1, 0 },
	{ SYS_ID_AA64MMFR2_EL1, 0 },
};

/*
 * A trapped ID register read: the host's value, sanitised over every CPU (so the same
 * for every vCPU wherever it runs), with what minikvm does not virtualise hidden; the
 * encodings the kernel keeps no value of read as zero. Returns false for a register that
 * is not an ID register, and for a write: the ID registers are read-only.
 */
static bool access_id_reg(const struct sys_reg_params *p, u64 *val)
{
	unsigned int i;

	if (sys_reg_Op0(p->encoding) != SYS_REG_OP0_ID || sys_reg_Op1(p->encoding) ||
	    sys_reg_CRn(p->encoding) || sys_reg_CRm(p->encoding) < ID_REG_CRM_FIRST ||
	    sys_reg_CRm(p->encoding) > ID_REG_CRM_LAST || p->is_write)
		return false;
	*val = 0;
	for (i = 0; i < ARRAY_SIZE(id_regs); i++)
		if (id_regs[i].encoding == p->encoding)
			*val = read_sanitised_ftr_reg(p->encoding) & ~id_regs[i].hidden;
	if (p->encoding == SYS_ID_AA64DFR0_EL1)
		*val |= FIELD_PREP(ID_FIELD(ID_AA64DFR0_EL1_DebugVer_SHIFT),
				   ID_AA64DFR0_DEBUGVER_8_0);
	return true;
}

/* The RAS error record registers (HCR_EL2.TERR): RAZ/WI, as KVM; FEAT_RAS, no records. */
static const u32 ras_regs[] = {
	SYS_ERRIDR_EL1, SYS_ERRSELR_EL1, SYS_ERXFR_EL1, SYS_ERXCTLR_EL1, SYS_ERXSTATUS_EL1,
	SYS_ERXADDR_EL1, SYS_ERXMISC0_EL1, SYS_ERXMISC1_EL1,
};

/* Whether @encoding is one of the LORegion registers (HCR_EL2.TLOR). */
static bool is_lor_reg(u32 encoding)
{
	switch (encoding) {
	case SYS_LORSA_EL1:
	case SYS_LOREA_EL1:
	case SYS_LORN_EL1:
	case SYS_LORC_EL1:
	case SYS_LORID_EL1:
		return true;
	}
	return false;
}

/* The guest's MMU and data cache both on (SCTLR_EL1.M and C). */
static bool vcpu_caches_on(struct kvm_vcpu *vcpu)
{
	u64 sctlr = vcpu->arch.hyp.guest.sys_regs[CTX_SCTLR_EL1];

	return (sctlr & (SCTLR_ELx_M | SCTLR_ELx_C)) == (SCTLR_ELx_M | SCTLR_ELx_C);
}

/*
 * DC ISW, CSW, CISW (HCR_EL2.TSW): a set/way names a line of this CPU's cache, not of the
 * guest's memory, and the guest's lines may be on any CPU. As KVM does, nothing with
 * FEAT_S2FWB (the guest's accesses are always cacheable); without, the first one cleans
 * and invalidates all the VM's memory and traps the guest's MMU register writes
 * (HCR_EL2.TVM), so that turning its caches on or off does it again: the moments a guest
 * uses set/way for.
 */
static void access_dcsw(struct kvm_vcpu *vcpu)
{
	if (kvm_stage2_fwb() || vcpu->arch.trap_vm_regs)
		return;
	stage2_flush_vm(vcpu->kvm);
	vcpu->arch.trap_vm_regs = true;
}

/* A write of an MMU register trapped by HCR_EL2.TVM, to slot @slot: see access_dcsw(). */
static void access_vm_reg(struct kvm_vcpu *vcpu, int slot, u64 val)
{
	bool was_on = vcpu_caches_on(vcpu);

	vcpu->arch.hyp.guest.sys_regs[slot] = val;
	if (vcpu_caches_on(vcpu) != was_on)
		stage2_flush_vm(vcpu->kvm);
	if (vcpu_caches_on(vcpu))
		vcpu->arch.trap_vm_regs = false;
}

/*
 * The registers and instructions that reach the host's state, trapped by HCR_EL2 and
 * ICC_SRE_EL2 (arm.c, hyp/switch.S), emulated as on KVM: reads into @val. Returns false
 * for an access that is UNDEFINED, as for one to a register this does not know.
 */
static bool access_host_reg(struct kvm_vcpu *vcpu, const struct sys_reg_params *p, u64 *val)
{
	u64 mmfr1 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1);
	unsigned int i;
	int slot;

	switch (p->encoding) {
	case SYS_ACTLR_EL1:
		/* IMPLEMENTATION DEFINED controls: the host's value, writes ignored. */
		if (!p->is_write)
			*val = read_sysreg(actlr_el1);
		return true;
	case SYS_ICC_SRE_EL1:
		/* The GICv3 interface the guest has is its sysreg one; writes ignored. */
		if (!p->is_write)
			*val = ICC_SRE_EL1_SRE | ICC_SRE_EL1_DFB | ICC_SRE_EL1_DIB;
		return true;
	case SYS_DC_ISW:
	case SYS_DC_CSW:
	case SYS_DC_CISW:
		access_dcsw(vcpu);
		return true;
	}
	for (i = 0; i < ARRAY_SIZE(ras_regs); i++) {
		if (p->encoding == ras_regs[i]) {
			if (!p->is_write)
				*val = 0;
			return true;
		}
	}
	/* An Armv8.1 CPU has LORegions, with nothing in them: RAZ/WI but LORID_EL1's write. */
	if (is_lor_reg(p->encoding)) {
		if (!cpuid_feature_extract_unsigned_field(mmfr1, ID_AA64MMFR1_EL1_LO_SHIFT) ||
		    (p->is_write && p->encoding == SYS_LORID_EL1))
			return false;
		if (!p->is_write)
			*val = 0;
		return true;
	}
	slot = kvm_sys_reg_slot(p->encoding);
	if (vcpu->arch.trap_vm_regs && p->is_write && slot >= 0) {
		access_vm_reg(vcpu, slot, *val);
		return true;
	}
	return false;
}

/**
 * kvm_handle_sys_reg() - an MRS or MSR the guest trapped on (ESR_EL2.EC SYS64)
 * @vcpu: the vCPU; ELR_EL2 points at the instruction
 *
 * Emulates a debug, ID or host-protecting register and moves past the instruction, or
 * makes the instruction UNDEFINED. Returns 1: the guest goes on.
 */
int kvm_handle_sys_reg(struct kvm_vcpu *vcpu)
{
	u64 esr = vcpu->arch.hyp.esr_el2;
	struct sys_reg_params p = {
		.encoding = sys_reg(FIELD_GET(ESR_ELx_SYS64_ISS_OP0_MASK, esr),
				    FIELD_GET(ESR_ELx_SYS64_ISS_OP1_MASK, esr),
				    FIELD_GET(ESR_ELx_SYS64_ISS_CRN_MASK, esr),
				    FIELD_GET(ESR_ELx_SYS64_ISS_CRM_MASK, esr),
				    FIELD_GET(ESR_ELx_SYS64_ISS_OP2_MASK, esr)),
		.rt = FIELD_GET(ESR_ELx_SYS64_ISS_RT_MASK, esr),
		.is_write = (esr & ESR_ELx_SYS64_ISS_DIR_MASK) == ESR_ELx_SYS64_ISS_DIR_WRITE,
	};
	u64 val = vcpu_get_reg(vcpu, p.rt);

	if (!access_debug_reg(vcpu, &p, &val) && !access_id_reg(&p, &val) &&
	    !access_host_reg(vcpu, &p, &val)) {
		pr_debug_ratelimited("%s of sys_reg(%u, %u, %u, %u, %u) at PC 0x%llx: UNDEF\n",
				     p.is_write ? "MSR" : "MRS", sys_reg_Op0(p.encoding),
				     sys_reg_Op1(p.encoding), sys_reg_CRn(p.encoding),
				     sys_reg_CRm(p.encoding), sys_reg_Op2(p.encoding),
				     *vcpu_pc(vcpu));
		kvm_inject_undefined(vcpu);
		return 1;
	}
	if (!p.is_write)
		vcpu_set_reg(vcpu, p.rt, val);
	kvm_incr_pc(vcpu);
	return 1;
}
