// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 system register traps (ESR_EL2.EC SYS64, Arm ARM DDI 0487F.c,
 * D13.2.37): what a guest reaches of the PMU and debug registers, which MDCR_EL2 traps
 * while it runs (hyp/hyp-entry.S) so that the host's stay the host's.
 *
 * As on KVM for a vCPU without the PMU feature, which minikvm does not offer, every PMU
 * register is UNDEFINED, and so is any other register that traps here. The debug
 * registers are the vCPU's own: MDSCR_EL1 (which the world switch loads), the OS Lock,
 * and the breakpoint and watchpoint registers, which read back what the guest wrote, zero
 * from reset, as on KVM, but are never loaded into the CPU: a guest's breakpoints and
 * watchpoints never fire. The other debug registers (debug communication channel, claim
 * tags, OS Double Lock, ...) read as zero and ignore writes.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
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

/**
 * kvm_handle_sys_reg() - an MRS or MSR the guest trapped on (ESR_EL2.EC SYS64)
 * @vcpu: the vCPU; ELR_EL2 points at the instruction
 *
 * Emulates a debug register and moves past the instruction, or makes the instruction
 * UNDEFINED. Returns 1: the guest goes on.
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

	if (!access_debug_reg(vcpu, &p, &val)) {
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
