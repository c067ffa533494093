/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the x86 KVM_RUN selftests share: the guest memory layout, the fixture (a VM with
 * one 2 MiB slot at guest physical 0 and one vCPU), real-, protected- and long-mode
 * set-up, and the macros that run the vCPU to an expected port I/O or MMIO exit. Each
 * x86_*_test.c that runs guests includes it: the fixture is defined here, not declared, so
 * one C file per binary includes it.
 */
#ifndef MINIKVM_X86_VM_H
#define MINIKVM_X86_VM_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "minikvm_util.h"
#include "x86_guest.h"

#define GUEST_MEM_SIZE		0x200000ULL	/* 2 MiB at guest physical 0 */
#define GUEST_CODE		0x1000ULL		/* real-mode guests: CS base 0, IP here */
#define GUEST_CODE64		0x8000ULL		/* long-mode guests */
#define GUEST_PML4		0x2000ULL
#define GUEST_PDPT		0x3000ULL
#define GUEST_PD		0x4000ULL
#define GUEST_DATA		0x5000ULL
#define GUEST_STACK		0x7000ULL
#define GUEST_HIGH_GPA		0x400000ULL	/* a second slot, above the first */
#define GUEST_MMIO_GPA		0x600000ULL	/* in no slot: MMIO */

/* Page table and segment bits (SDM 4.5, 3.4.5). */
#define PTE_P			(1ULL << 0)
#define PTE_RW			(1ULL << 1)
#define PTE_PS			(1ULL << 7)
#define CR0_PE			(1ULL << 0)
#define CR0_MP			(1ULL << 1)
#define CR0_ET			(1ULL << 4)
#define CR0_NE			(1ULL << 5)
#define CR0_PG			(1ULL << 31)
#define CR4_PAE			(1ULL << 5)
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)

FIXTURE(x86) {
	int kvm;
	int vm;
	int vcpu;
	struct kvm_run *run;
	int run_size;
	unsigned char *mem;
};

FIXTURE_SETUP(x86)
{
	struct kvm_userspace_memory_region region = { 0 };

	self->kvm = open_kvm_dev();
	ASSERT_LE(0, self->kvm) TH_LOG("open %s: %s", kvm_dev_path(), strerror(errno));
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm);
	self->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	region.memory_size = GUEST_MEM_SIZE;
	region.userspace_addr = (unsigned long)self->mem;
	ASSERT_EQ(0, ioctl(self->vm, KVM_SET_USER_MEMORY_REGION, &region));
	self->vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, self->vcpu);
	self->run_size = ioctl(self->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	ASSERT_LT(0, self->run_size);
	self->run = mmap(NULL, self->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->vcpu, 0);
	ASSERT_NE(MAP_FAILED, self->run);
}

FIXTURE_TEARDOWN(x86)
{
	munmap(self->run, self->run_size);
	close(self->vcpu);
	close(self->vm);
	munmap(self->mem, GUEST_MEM_SIZE);
	close(self->kvm);
}

/* Every general register 0 but RIP = @rip and RSP = GUEST_STACK; RFLAGS has only bit 1. */
static inline void set_start_regs(struct __test_metadata *_metadata, int vcpu, __u64 rip)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rflags = 2;
	regs.rsp = GUEST_STACK;
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_REGS, &regs));
}

/* Real mode, CS base 0, at GUEST_CODE: the reset state but for CS and RIP. */
static inline void setup_real_mode(struct __test_metadata *_metadata, int vcpu,
				   unsigned char *mem, const unsigned char *code,
				   const unsigned char *end)
{
	struct kvm_sregs sregs;

	memcpy(mem + GUEST_CODE, code, end - code);
	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_SREGS, &sregs));
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_SREGS, &sregs));
	set_start_regs(_metadata, vcpu, GUEST_CODE);
}

/*
 * Flat code and data segments (SDM 3.4.5) at privilege level @dpl, which the selectors'
 * RPL repeats: CS 64-bit if @lm, else 32-bit; DS, and the same in ES, FS, GS and SS.
 */
static inline void set_flat_segs(struct kvm_sregs *sregs, bool lm, unsigned int dpl)
{
	struct kvm_segment seg = {
		.limit = 0xffffffff, .present = 1, .s = 1, .g = 1, .dpl = dpl,
	};

	sregs->cs = seg;
	sregs->cs.selector = 0x8 | dpl;
	sregs->cs.type = 0xb;
	sregs->cs.l = lm;
	sregs->cs.db = !lm;
	seg.selector = 0x10 | dpl;
	seg.type = 0x3;
	seg.db = 1;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = seg;
}

/* CPUID.80000001H:EDX bits (SDM Vol. 2, CPUID): SYSCALL, NX, LM. */
#define CPUID_EXT_EDX_SYSCALL	(1u << 11)
#define CPUID_EXT_EDX_NX	(1u << 20)
#define CPUID_EXT_EDX_LM	(1u << 29)

/* KVM (6.12) refuses EFER.LME in KVM_SET_SREGS unless the guest's CPUID has LM. */
static inline void set_cpuid_long_mode(struct __test_metadata *_metadata, int vcpu)
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

	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_CPUID2, &cpuid));
}

/* IA-32e mode with the first 2 MiB identity-mapped by one large page. */
static inline void setup_long_mode(struct __test_metadata *_metadata, int vcpu,
				   unsigned char *mem, const unsigned char *code,
				   const unsigned char *end)
{
	uint64_t *pml4 = (uint64_t *)(mem + GUEST_PML4);
	uint64_t *pdpt = (uint64_t *)(mem + GUEST_PDPT);
	uint64_t *pd = (uint64_t *)(mem + GUEST_PD);
	struct kvm_sregs sregs;

	set_cpuid_long_mode(_metadata, vcpu);
	memcpy(mem + GUEST_CODE64, code, end - code);
	pml4[0] = PTE_P | PTE_RW | GUEST_PDPT;
	pdpt[0] = PTE_P | PTE_RW | GUEST_PD;
	/* 8 MiB identity-mapped: RAM, the second slot and the MMIO range. */
	pd[0] = PTE_P | PTE_RW | PTE_PS;
	pd[1] = PTE_P | PTE_RW | PTE_PS | 0x200000;
	pd[2] = PTE_P | PTE_RW | PTE_PS | 0x400000;
	pd[3] = PTE_P | PTE_RW | PTE_PS | 0x600000;
	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_SREGS, &sregs));
	sregs.cr3 = GUEST_PML4;
	sregs.cr4 = CR4_PAE;
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG;
	sregs.efer = EFER_LME | EFER_LMA;
	set_flat_segs(&sregs, true, 0);
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_SREGS, &sregs));
	set_start_regs(_metadata, vcpu, GUEST_CODE64);
}

static inline uint64_t pio_value(const struct kvm_run *run)
{
	uint64_t val = 0;

	memcpy(&val, (const char *)run + run->io.data_offset, run->io.size);
	return val;
}

#define run_vcpu(self)	ioctl((self)->vcpu, KVM_RUN, 0)

#define ASSERT_EXIT(reason)	ASSERT_EQ((__u32)(reason), self->run->exit_reason)

/* Expects an OUT exit of @size bytes at @port carrying @val. */
#define EXPECT_OUT(port_, size_, val_) do {				\
	ASSERT_EQ(0, run_vcpu(self)) TH_LOG("KVM_RUN: %s", strerror(errno)); \
	ASSERT_EXIT(KVM_EXIT_IO);					\
	EXPECT_EQ((__u8)KVM_EXIT_IO_OUT, self->run->io.direction);		\
	EXPECT_EQ((__u16)(port_), self->run->io.port);				\
	EXPECT_EQ((__u8)(size_), self->run->io.size);				\
	EXPECT_EQ(1u, self->run->io.count);				\
	EXPECT_EQ((uint64_t)(val_), pio_value(self->run));			\
} while (0)

/* Expects an IN exit of @size bytes at @port, and answers @val. */
#define ANSWER_IN(port_, size_, val_) do {				\
	uint64_t v_ = (val_);						\
	ASSERT_EQ(0, run_vcpu(self)) TH_LOG("KVM_RUN: %s", strerror(errno)); \
	ASSERT_EXIT(KVM_EXIT_IO);					\
	EXPECT_EQ((__u8)KVM_EXIT_IO_IN, self->run->io.direction);		\
	EXPECT_EQ((__u16)(port_), self->run->io.port);				\
	EXPECT_EQ((__u8)(size_), self->run->io.size);				\
	EXPECT_EQ(1u, self->run->io.count);				\
	memcpy((char *)self->run + self->run->io.data_offset, &v_, (size_)); \
} while (0)

/* Expects an MMIO store of @len bytes at @gpa carrying @val. */
#define EXPECT_MMIO_STORE(gpa_, len_, val_) do {			\
	uint64_t v_ = 0;						\
	ASSERT_EQ(0, run_vcpu(self)) TH_LOG("KVM_RUN: %s", strerror(errno)); \
	ASSERT_EXIT(KVM_EXIT_MMIO);					\
	EXPECT_EQ(1, self->run->mmio.is_write);				\
	EXPECT_EQ((__u64)(gpa_), self->run->mmio.phys_addr);		\
	EXPECT_EQ((__u32)(len_), self->run->mmio.len);			\
	memcpy(&v_, self->run->mmio.data, self->run->mmio.len);		\
	EXPECT_EQ((uint64_t)(val_), v_);				\
} while (0)

/* Expects an MMIO load of @len bytes at @gpa, and answers @val. */
#define ANSWER_MMIO_LOAD(gpa_, len_, val_) do {				\
	uint64_t v_ = (val_);						\
	ASSERT_EQ(0, run_vcpu(self)) TH_LOG("KVM_RUN: %s", strerror(errno)); \
	ASSERT_EXIT(KVM_EXIT_MMIO);					\
	EXPECT_EQ(0, self->run->mmio.is_write);				\
	EXPECT_EQ((__u64)(gpa_), self->run->mmio.phys_addr);		\
	EXPECT_EQ((__u32)(len_), self->run->mmio.len);			\
	memcpy(self->run->mmio.data, &v_, (len_));			\
} while (0)

#define GUEST_HANDLER		0x3000ULL	/* real-mode handler, IVT entries point here */

/* Points real-mode vector @vec (IVT at 0, SDM 21.1.4) at the handler guest. */
static inline void set_real_mode_vector(unsigned char *mem, int vec)
{
	uint16_t *ivt = (uint16_t *)mem;

	memcpy(mem + GUEST_HANDLER, guest_handler16, guest_handler16_end - guest_handler16);
	ivt[vec * 2] = GUEST_HANDLER;
	ivt[vec * 2 + 1] = 0;
}

/* Exception vectors (SDM 6.3.1). */
#define DB_VECTOR		1
#define UD_VECTOR		6
#define GP_VECTOR		13

/* Real-mode handlers that say their vector on port 0x21 and halt, at GUEST_HANDLER. */
static inline void set_real_mode_fault_vector(unsigned char *mem, int vec)
{
	const unsigned char stub[] = { 0xb0, vec, 0xe6, 0x21, 0xf4 };	/* mov, out, hlt */
	uint16_t *ivt = (uint16_t *)mem;

	memcpy(mem + GUEST_HANDLER + 8 * vec, stub, sizeof(stub));
	ivt[vec * 2] = GUEST_HANDLER + 8 * vec;
	ivt[vec * 2 + 1] = 0;
}

/* Value @index of the vCPU's binary stat @name (KVM's names), or -1 if it has none. */
static inline int64_t read_vcpu_stat(int vcpu, const char *name, unsigned int index)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *desc;
	int64_t value = -1;
	size_t desc_size;
	char *descs;
	uint32_t i;
	int fd;

	fd = ioctl(vcpu, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return -1;
	if (pread(fd, &header, sizeof(header), 0) != sizeof(header))
		goto out;
	desc_size = sizeof(*desc) + header.name_size;
	descs = calloc(header.num_desc, desc_size);
	if (!descs)
		goto out;
	if (pread(fd, descs, header.num_desc * desc_size, header.desc_offset) !=
	    (ssize_t)(header.num_desc * desc_size))
		goto out_free;
	for (i = 0; i < header.num_desc; i++) {
		desc = (struct kvm_stats_desc *)(descs + i * desc_size);
		if (strcmp(desc->name, name) || index >= desc->size)
			continue;
		if (pread(fd, &value, sizeof(value),
			  header.data_offset + desc->offset + index * sizeof(value)) !=
		    sizeof(value))
			value = -1;
		break;
	}
out_free:
	free(descs);
out:
	close(fd);
	return value;
}

/* A SIGALRM handler, so that the signal ends KVM_RUN with EINTR, noting when it came. */
static struct timespec signal_time;

static inline void record_signal(int sig)
{
	clock_gettime(CLOCK_MONOTONIC, &signal_time);
}

#endif /* MINIKVM_X86_VM_H */
