// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 guest set-up: the segments, paging and registers of each guest mode, and the guest's
 * CPUID (x86_setup.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm_util.h"

/* Selectors of the flat segments: GDT entries 1 (code) and 2 (data), RPL in bits 1:0. */
#define FLAT_CODE_SELECTOR	0x8
#define FLAT_DATA_SELECTOR	0x10
/* Segment types (SDM 3.4.5.1): execute/read code, accessed; read/write data, accessed. */
#define SEG_TYPE_CODE		0xb
#define SEG_TYPE_DATA		0x3
/* A real-mode segment's base is its selector times 16 (SDM 20.1.1). */
#define REAL_MODE_SEG_SHIFT	4

/* Large pages: 4 MiB in 32-bit paging, 2 MiB in a 4-level page directory (SDM 4.3, 4.5). */
#define PD32_PAGE_SHIFT		22
#define PD32_ENTRIES		1024
#define PD64_PAGE_SHIFT		21
#define PD64_ENTRIES		512

/* CPUID.80000001H:EDX bits (SDM Vol. 2A, CPUID): SYSCALL, NX, LM. */
#define CPUID_EXT_EDX_SYSCALL	(1u << 11)
#define CPUID_EXT_EDX_NX	(1u << 20)
#define CPUID_EXT_EDX_LM	(1u << 29)
/* Room for the entries KVM_GET_SUPPORTED_CPUID lists on the hosts here. */
#define SUPPORTED_CPUID_ENTRIES	100

/* Real mode with every segment register at @base, a multiple of 16 below 1 MiB. */
void x86_real_mode_segments(struct kvm_sregs *sregs, uint32_t base)
{
	struct kvm_segment *segs[] = {
		&sregs->cs, &sregs->ds, &sregs->es, &sregs->fs, &sregs->gs, &sregs->ss,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(segs); i++) {
		segs[i]->selector = base >> REAL_MODE_SEG_SHIFT;
		segs[i]->base = base;
	}
}

/*
 * Flat 4 GiB code and data segments (SDM 3.4.5) at privilege level @dpl, which the
 * selectors' RPL repeats: CS 64-bit if @long_mode, else 32-bit; DS, and the same in ES,
 * FS, GS and SS.
 */
void x86_flat_segments(struct kvm_sregs *sregs, bool long_mode, unsigned int dpl)
{
	struct kvm_segment seg = {
		.limit = 0xffffffff, .present = 1, .s = 1, .g = 1, .dpl = dpl,
	};

	sregs->cs = seg;
	sregs->cs.selector = FLAT_CODE_SELECTOR | dpl;
	sregs->cs.type = SEG_TYPE_CODE;
	sregs->cs.l = long_mode;
	sregs->cs.db = !long_mode;
	seg.selector = FLAT_DATA_SELECTOR | dpl;
	seg.type = SEG_TYPE_DATA;
	seg.db = 1;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = seg;
}

/*
 * Protected mode without paging, flat segments at CPL 0 (64-bit code if @long_mode, for
 * x86_long_tables() to complete), x87 FPU on, CR4 and EFER clear.
 */
void x86_protected_mode(struct kvm_sregs *sregs, bool long_mode)
{
	x86_flat_segments(sregs, long_mode, 0);
	sregs->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
	sregs->cr4 = 0;
	sregs->efer = 0;
}

/*
 * 32-bit paging with 4 MiB pages mapping all 4 GiB to itself: the page directory at guest
 * physical @gpa, @pd in this process. Sets CR3, CR4.PSE and CR0.PG.
 */
void x86_paged_tables(uint32_t *pd, uint64_t gpa, struct kvm_sregs *sregs)
{
	uint32_t i;

	for (i = 0; i < PD32_ENTRIES; i++)
		pd[i] = i << PD32_PAGE_SHIFT | PTE_P | PTE_RW | PTE_PS;
	sregs->cr3 = gpa;
	sregs->cr4 |= CR4_PSE;
	sregs->cr0 |= CR0_PG;
}

/*
 * 4-level paging (IA-32e mode) mapping [0, @size) to itself with 2 MiB pages, @size at most
 * 1 GiB: the PML4, the PDPT and the page directory in X86_LONG_TABLE_PAGES pages at guest
 * physical @gpa, @tables in this process. Sets CR3, CR4.PAE, EFER.LME and LMA, CR0.PG.
 */
void x86_long_tables(uint64_t *tables, uint64_t gpa, uint64_t size, struct kvm_sregs *sregs)
{
	const size_t per_page = X86_PAGE_SIZE / sizeof(*tables);
	uint64_t *pml4 = tables, *pdpt = tables + per_page, *pd = tables + 2 * per_page;
	uint64_t i;

	pml4[0] = (gpa + X86_PAGE_SIZE) | PTE_P | PTE_RW;
	pdpt[0] = (gpa + 2 * X86_PAGE_SIZE) | PTE_P | PTE_RW;
	for (i = 0; i < PD64_ENTRIES && i << PD64_PAGE_SHIFT < size; i++)
		pd[i] = i << PD64_PAGE_SHIFT | PTE_P | PTE_RW | PTE_PS;
	sregs->cr3 = gpa;
	sregs->cr4 |= CR4_PAE;
	sregs->efer |= EFER_LME | EFER_LMA;
	sregs->cr0 |= CR0_PG;
}

/* Every general register 0 but RIP = @rip and RSP = @rsp; RFLAGS with no flag set. */
int x86_set_start_regs(int vcpu, uint64_t rip, uint64_t rsp)
{
	struct kvm_regs regs = { .rip = rip, .rsp = rsp, .rflags = X86_RFLAGS_FIXED };

	return ioctl(vcpu, KVM_SET_REGS, &regs);
}

/*
 * The least CPUID that long mode needs: KVM (6.12) refuses EFER.LME in KVM_SET_SREGS
 * unless the guest's CPUID has LM.
 */
int x86_set_cpuid_long_mode(int vcpu)
{
	struct {
		struct kvm_cpuid2 header;
		struct kvm_cpuid_entry2 entries[3];
	} cpuid = {
		.header.nent = 3,
		.entries = {
			{ .function = 0, .eax = 1 },
			{ .function = 0x80000000, .eax = 0x80000001 },
			{ .function = 0x80000001, .edx = CPUID_EXT_EDX_SYSCALL |
				CPUID_EXT_EDX_NX | CPUID_EXT_EDX_LM },
		},
	};

	return ioctl(vcpu, KVM_SET_CPUID2, &cpuid);
}

/*
 * Every CPUID feature the device supports, as the guest's CPUID; nothing when the device
 * lists none (KVM_GET_SUPPORTED_CPUID refused).
 */
int x86_set_supported_cpuid(int kvm, int vcpu)
{
	struct kvm_cpuid2 *cpuid;
	int r = 0, err;

	cpuid = calloc(1, sizeof(*cpuid) + SUPPORTED_CPUID_ENTRIES * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return -1;
	cpuid->nent = SUPPORTED_CPUID_ENTRIES;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
		r = ioctl(vcpu, KVM_SET_CPUID2, cpuid);
	err = errno;
	free(cpuid);
	errno = err;
	return r;
}
