/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The EL2 controls that __guest_run (switch.S) switches, the host's for the guest's and
 * back, as lists of register and slots: what KVM's file of this name does in C
 * (__activate_traps(), __deactivate_traps()...). Assembler macros, for the reason
 * sysreg-sr.h gives, whose sr and sr_s they use. x3 scratch.
 */
#ifndef __MINIKVM_ARM64_HYP_SWITCH_H
#define __MINIKVM_ARM64_HYP_SWITCH_H

#include "sysreg-sr.h"

/*
 * EL2 register \reg of the world switch, by name (el2) or encoding (el2_s): \op load saves
 * the host's value at offset \host of the struct kvm_vcpu_hyp at x0 and loads the guest's
 * from \guest, which arm.c computes; \op put loads the host's back, the structure at x1.
 */
.macro	el2 op, reg, host, guest
	.ifc	\op, load
	sr	save, x0, \host, \reg
	sr	restore, x0, \guest, \reg
	.else
	sr	restore, x1, \host, \reg
	.endif
.endm

.macro	el2_s op, reg, host, guest
	.ifc	\op, load
	sr_s	save, x0, \host, \reg
	sr_s	restore, x0, \guest, \reg
	.else
	sr_s	restore, x1, \host, \reg
	.endif
.endm

/*
 * What every CPU has: the guest's PC and PSTATE for the ERET (in nVHE the host's are the
 * hyp call's return), its stage 2 and VMID, MPIDR, and traps (arm.c). HCR_EL2 last, so
 * that after a load x3 holds the guest's.
 */
.macro	el2_regs op
	el2	\op, elr_el2, HYP_HOST_ELR_EL2, CPU_PC
	el2	\op, spsr_el2, HYP_HOST_SPSR_EL2, CPU_PSTATE
	el2	\op, vttbr_el2, HYP_HOST_VTTBR_EL2, HYP_VTTBR_EL2
	el2	\op, vmpidr_el2, HYP_HOST_VMPIDR_EL2, HYP_VMPIDR_EL2
	el2	\op, mdcr_el2, HYP_HOST_MDCR_EL2, HYP_MDCR_EL2
	el2	\op, cptr_el2, HYP_HOST_CPTR_EL2, HYP_CPTR_EL2
	el2	\op, cnthctl_el2, HYP_HOST_CNTHCTL_EL2, HYP_CNTHCTL_EL2
	el2	\op, hcr_el2, HYP_HOST_HCR_EL2, HYP_HCR_EL2
.endm

/* The fine-grained trap registers (FEAT_FGT), all clear for the guest (kvm_guest_traps()). */
.macro	el2_fgt op
	el2_s	\op, SYS_HFGRTR_EL2, HYP_HOST_HFGRTR_EL2, HYP_HFGRTR_EL2
	el2_s	\op, SYS_HFGWTR_EL2, HYP_HOST_HFGWTR_EL2, HYP_HFGWTR_EL2
	el2_s	\op, SYS_HFGITR_EL2, HYP_HOST_HFGITR_EL2, HYP_HFGITR_EL2
	el2_s	\op, SYS_HDFGRTR_EL2, HYP_HOST_HDFGRTR_EL2, HYP_HDFGRTR_EL2
	el2_s	\op, SYS_HDFGWTR_EL2, HYP_HOST_HDFGWTR_EL2, HYP_HDFGWTR_EL2
.endm

#endif /* __MINIKVM_ARM64_HYP_SWITCH_H */
