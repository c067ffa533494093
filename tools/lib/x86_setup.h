/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x86 guest set-up (through kvm_util.h): segments for real mode and for flat protected and
 * long mode, the identity-mapping page tables of 32-bit and 4-level paging, the start
 * registers, and the guest's CPUID. Each builds the state a boot loader would have left,
 * set directly through KVM_SET_SREGS and KVM_SET_REGS.
 */
#ifndef MINIKVM_X86_SETUP_H
#define MINIKVM_X86_SETUP_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

/* Control register, EFER and page table entry bits (SDM 2.5, 2.2.1, 4.3, 4.5). */
#define CR0_PE			(1ULL << 0)
#define CR0_MP			(1ULL << 1)
#define CR0_ET			(1ULL << 4)
#define CR0_NE			(1ULL << 5)
#define CR0_WP			(1ULL << 16)
#define CR0_PG			(1ULL << 31)
#define CR4_PSE			(1ULL << 4)
#define CR4_PAE			(1ULL << 5)
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)
#define PTE_P			(1ULL << 0)
#define PTE_RW			(1ULL << 1)
#define PTE_PS			(1ULL << 7)

/* RFLAGS with no flag set: bit 1 is reserved and always 1 (SDM 3.4.3). */
#define X86_RFLAGS_FIXED	0x2ULL

/* The page-table pages x86_long_tables() fills: PML4, PDPT, page directory. */
#define X86_LONG_TABLE_PAGES	3
#define X86_PAGE_SIZE		4096

void x86_real_mode_segments(struct kvm_sregs *sregs, uint32_t base);
void x86_flat_segments(struct kvm_sregs *sregs, bool long_mode, unsigned int dpl);
void x86_protected_mode(struct kvm_sregs *sregs, bool long_mode);
void x86_paged_tables(uint32_t *pd, uint64_t gpa, struct kvm_sregs *sregs);
void x86_long_tables(uint64_t *tables, uint64_t gpa, uint64_t size, struct kvm_sregs *sregs);
int x86_set_start_regs(int vcpu, uint64_t rip, uint64_t rsp);
int x86_set_cpuid_long_mode(int vcpu);
int x86_set_supported_cpuid(int kvm, int vcpu);

#endif /* MINIKVM_X86_SETUP_H */
