/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the arm64 selftests' guests: AArch64 guest programs assembled into the test
 * binary, and the ONE_REG ids of the core registers they use.
 */
#ifndef MINIKVM_ARM64_GUEST_H
#define MINIKVM_ARM64_GUEST_H

#include <stddef.h>
#include <linux/kvm.h>

/* The id of core register x<n>, PC, or V<n> for KVM_{GET,SET}_ONE_REG. */
#define CORE_REG(field, size)	(KVM_REG_ARM64 | (size) | KVM_REG_ARM_CORE | \
				 (offsetof(struct kvm_regs, field) / sizeof(__u32)))
#define REG_X(n)		CORE_REG(regs.regs[n], KVM_REG_SIZE_U64)
#define REG_PC			CORE_REG(regs.pc, KVM_REG_SIZE_U64)
#define REG_V(n)		CORE_REG(fp_regs.vregs[n], KVM_REG_SIZE_U128)

/*
 * A guest program, name##_start to name##_end, to copy into guest memory: position
 * independent, taking addresses in registers set through ONE_REG. The labels are global:
 * the linker would give C's GOT references to two local labels of one section a single
 * entry. SYSTEM_OFF ends a program with PSCI SYSTEM_OFF.
 */
#define GUEST_CODE(name, body)						\
	extern const char name##_start[], name##_end[];			\
	asm(".pushsection .rodata." #name ", \"a\"\n"			\
	    ".balign 4\n"						\
	    ".globl " #name "_start, " #name "_end\n"			\
	    #name "_start:\n"						\
	    body							\
	    #name "_end:\n"						\
	    ".popsection\n")

#define SYSTEM_OFF							\
	"movz	w0, #0x0008\n"						\
	"movk	w0, #0x8400, lsl #16\n"					\
	"hvc	#0\n"							\
	"b	.\n"

/* PSCI CPU_OFF (function 0x84000002), then x0, its result, stored to the address in x4. */
GUEST_CODE(guest_cpu_off,
	"movz	w0, #0x0002\n"
	"movk	w0, #0x8400, lsl #16\n"
	"mov	x1, #1\n"
	"hvc	#0\n"
	"str	x0, [x4]\n"
	SYSTEM_OFF);

#endif /* MINIKVM_ARM64_GUEST_H */
