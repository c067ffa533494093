/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The save and load of an EL1 context (struct kvm_cpu_context) for __guest_run (switch.S),
 * as lists of register and slot: what KVM does in C in the file of this name. Assembly,
 * because in nVHE this code runs at EL2 in a copy of its pages, at their physical address
 * (hyp_init.c), where nothing else is mapped and nothing is relocated: C built as part of
 * the module may use its global data, jump tables, the stack-protector canary, a stack or
 * the kernel's helpers. KVM builds its nVHE C apart, with its own linker script and
 * relocation at boot, which an out-of-tree module cannot. x3 is the macros' scratch.
 */
#ifndef __MINIKVM_ARM64_HYP_SYSREG_SR_H
#define __MINIKVM_ARM64_HYP_SYSREG_SR_H

/*
 * One register, at offset \off of the context at \ctxt: \op save stores it there, restore
 * loads it. sr names it, sr_s gives its encoding, for those the assembler does not name
 * (FEAT_SME's, FEAT_RAS's, and the *_EL12 of a VHE host's EL2).
 */
.macro	sr op, ctxt, off, reg
	.ifc	\op, save
	mrs	x3, \reg
	str	x3, [\ctxt, #\off]
	.else
	ldr	x3, [\ctxt, #\off]
	.endif
	.ifc	\op, restore
	msr	\reg, x3
	.endif
.endm

.macro	sr_s op, ctxt, off, sreg
	.ifc	\op, save
	mrs_s	x3, \sreg
	str	x3, [\ctxt, #\off]
	.else
	ldr	x3, [\ctxt, #\off]
	.endif
	.ifc	\op, restore
	msr_s	\sreg, x3
	.endif
.endm

/* An EL1 register: as itself, or if \vhe as its *_EL12 alias. */
.macro	sr_el1 op, ctxt, off, reg, reg12, vhe
	.if	\vhe
	sr_s	\op, \ctxt, \off, \reg12
	.else
	sr	\op, \ctxt, \off, \reg
	.endif
.endm

/*
 * The EL1 registers that a VHE host's HCR_EL2.E2H redirects to EL2's: its own are never
 * the guest's to change, and its EL2 reaches the guest's as *_EL12 (\vhe; Arm ARM D13.2
 * "Accessing EL1 registers from EL2").
 */
.macro	sysreg_el1 op, ctxt, vhe
	sr_el1	\op, \ctxt, CPU_SCTLR_EL1, sctlr_el1, SYS_SCTLR_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_CPACR_EL1, cpacr_el1, SYS_CPACR_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_TTBR0_EL1, ttbr0_el1, SYS_TTBR0_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_TTBR1_EL1, ttbr1_el1, SYS_TTBR1_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_TCR_EL1, tcr_el1, SYS_TCR_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_ESR_EL1, esr_el1, SYS_ESR_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_FAR_EL1, far_el1, SYS_FAR_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_AFSR0_EL1, afsr0_el1, SYS_AFSR0_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_AFSR1_EL1, afsr1_el1, SYS_AFSR1_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_MAIR_EL1, mair_el1, SYS_MAIR_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_AMAIR_EL1, amair_el1, SYS_AMAIR_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_CONTEXTIDR_EL1, contextidr_el1, SYS_CONTEXTIDR_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_VBAR_EL1, vbar_el1, SYS_VBAR_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_CNTKCTL_EL1, cntkctl_el1, SYS_CNTKCTL_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_ELR_EL1, elr_el1, SYS_ELR_EL12, \vhe
	sr_el1	\op, \ctxt, CPU_SPSR_EL1, spsr_el1, SYS_SPSR_EL12, \vhe
.endm

/* The registers no E2H redirects: in both modes, the host's are live and switched. */
.macro	sysreg_common op, ctxt
	sr	\op, \ctxt, CPU_TPIDR_EL0, tpidr_el0
	sr	\op, \ctxt, CPU_TPIDRRO_EL0, tpidrro_el0
	sr	\op, \ctxt, CPU_TPIDR_EL1, tpidr_el1
	sr	\op, \ctxt, CPU_PAR_EL1, par_el1
	sr	\op, \ctxt, CPU_MDSCR_EL1, mdscr_el1
	sr	\op, \ctxt, CPU_CSSELR_EL1, csselr_el1
	sr	\op, \ctxt, CPU_SP_EL1, sp_el1
	/* The kernel's "current" in both modes. */
	sr	\op, \ctxt, CPU_SP_EL0, sp_el0
.endm

#endif /* __MINIKVM_ARM64_HYP_SYSREG_SR_H */
