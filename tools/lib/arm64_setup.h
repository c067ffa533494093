/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arm64 guest set-up (through kvm_util.h): the vCPU's KVM_ARM_VCPU_INIT and the ONE_REG ids
 * of its core registers (struct kvm_regs), which vcpu_set_reg() and vcpu_get_reg() take.
 */
#ifndef MINIKVM_ARM64_SETUP_H
#define MINIKVM_ARM64_SETUP_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* The id of a core register, a member of struct kvm_regs, of KVM_REG_SIZE_* @size. */
#define CORE_REG(field, size)	(KVM_REG_ARM64 | (size) | KVM_REG_ARM_CORE | \
				 (offsetof(struct kvm_regs, field) / sizeof(__u32)))
#define REG_X(n)		CORE_REG(regs.regs[n], KVM_REG_SIZE_U64)
#define REG_PC			CORE_REG(regs.pc, KVM_REG_SIZE_U64)
#define REG_SP_EL1		CORE_REG(sp_el1, KVM_REG_SIZE_U64)
#define REG_V(n)		CORE_REG(fp_regs.vregs[n], KVM_REG_SIZE_U128)

int arm64_vcpu_init(int vm, int vcpu, uint32_t features);

#endif /* MINIKVM_ARM64_SETUP_H */
