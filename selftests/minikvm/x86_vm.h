/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the x86 KVM_RUN selftests share: the guest memory layout, the fixture (a VM with
 * one 2 MiB slot at guest physical 0 and one vCPU), real- and long-mode set-up through the
 * guest set-up library that minikvm-run uses too (tools/lib/x86_setup.h), each step
 * ASSERTed, and the macros that run the vCPU to an expected port I/O or MMIO exit. Each
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
#include "kvm_util.h"
#include "minikvm_util.h"
#include "x86_guest.h"

#define GUEST_MEM_SIZE		0x200000ULL	/* 2 MiB at guest physical 0 */
#define GUEST_CODE		0x1000ULL		/* real-mode guests: CS base 0, IP here */
#define GUEST_CODE64		0x8000ULL		/* long-mode guests */
#define GUEST_PML4		0x2000ULL	/* then the PDPT and the page directory */
#define GUEST_DATA		0x5000ULL
#define GUEST_STACK		0x7000ULL
#define GUEST_HIGH_GPA		0x400000ULL	/* a second slot, above the first */
#define GUEST_MMIO_GPA		0x600000ULL	/* in no slot: MMIO */
/* What long-mode guests have identity-mapped: RAM, the second slot and the MMIO range. */
#define GUEST_LONG_MAPPED	0x800000ULL

FIXTURE(x86) {
	struct vm vm;
};

FIXTURE_SETUP(x86)
{
	int kvm = open_kvm_dev();

	ASSERT_LE(0, kvm) TH_LOG("open %s: %s", kvm_dev_path(), strerror(errno));
	ASSERT_EQ(0, vm_create(&self->vm, kvm, 0, GUEST_MEM_SIZE))
		TH_LOG("a VM with its memory: %s", strerror(errno));
	ASSERT_EQ(0, vcpu_create(&self->vm, 0)) TH_LOG("vCPU 0: %s", strerror(errno));
}

FIXTURE_TEARDOWN(x86)
{
	vm_destroy(&self->vm);
	close(self->vm.kvm);
}

/* Every general register 0 but RIP = @rip and RSP = GUEST_STACK; RFLAGS has only bit 1. */
static inline void set_start_regs(struct __test_metadata *_metadata, int vcpu, __u64 rip)
{
	ASSERT_EQ(0, x86_set_start_regs(vcpu, rip, GUEST_STACK));
}

/* Real mode, every segment at base 0, at GUEST_CODE: the reset state but for CS and RIP. */
static inline void setup_real_mode(struct __test_metadata *_metadata, int vcpu,
				   unsigned char *mem, const unsigned char *code,
				   const unsigned char *end)
{
	struct kvm_sregs sregs;

	memcpy(mem + GUEST_CODE, code, end - code);
	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_SREGS, &sregs));
	x86_real_mode_segments(&sregs, 0);
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_SREGS, &sregs));
	set_start_regs(_metadata, vcpu, GUEST_CODE);
}

/* IA-32e mode with the first GUEST_LONG_MAPPED bytes identity-mapped by large pages. */
static inline void setup_long_mode(struct __test_metadata *_metadata, int vcpu,
				   unsigned char *mem, const unsigned char *code,
				   const unsigned char *end)
{
	struct kvm_sregs sregs;

	ASSERT_EQ(0, x86_set_cpuid_long_mode(vcpu));
	memcpy(mem + GUEST_CODE64, code, end - code);
	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_SREGS, &sregs));
	x86_protected_mode(&sregs, true);
	x86_long_tables((uint64_t *)(mem + GUEST_PML4), GUEST_PML4, GUEST_LONG_MAPPED, &sregs);
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_SREGS, &sregs));
	set_start_regs(_metadata, vcpu, GUEST_CODE64);
}

#define GUEST_GDT		0xd000ULL	/* the tables of a test's own protected-mode guest */
#define GUEST_IDT		0xe000ULL
#define RFLAGS_IOPL3		0x3000ULL

/*
 * 32-bit protected mode at CPL 3, with CR0 = PE | ET | NE | @cr0 and CR3 = @cr3, running
 * the code at GUEST_CODE with RFLAGS = 2 | @rflags and ESP = @esp. The GDT at GUEST_GDT has
 * flat DPL 3 code (0x0b) and data (0x13) segments; the IDT at GUEST_IDT has one present
 * 32-bit interrupt gate, DPL 3, for @vector, to 0x0b:@handler.
 */
static inline void setup_cpl3_protected_mode(struct __test_metadata *_metadata, int vcpu,
					     unsigned char *mem, uint64_t cr0, uint64_t cr3,
					     unsigned int vector, uint32_t handler,
					     uint64_t rflags, uint32_t esp)
{
	uint64_t *gdt = (uint64_t *)(mem + GUEST_GDT);
	uint64_t *idt = (uint64_t *)(mem + GUEST_IDT);
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	gdt[1] = 0x00cffa000000ffffULL;		/* code, DPL 3 */
	gdt[2] = 0x00cff2000000ffffULL;		/* data, DPL 3 */
	idt[vector] = (handler & 0xffff) | 0x0bULL << 16 |
		      (uint64_t)((handler & 0xffff0000) | 0xee00) << 32;
	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_SREGS, &sregs));
	sregs.cr0 = CR0_PE | CR0_ET | CR0_NE | cr0;
	sregs.cr3 = cr3;
	x86_flat_segments(&sregs, false, 3);
	sregs.gdt.base = GUEST_GDT;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.idt.base = GUEST_IDT;
	sregs.idt.limit = (vector + 1) * 8 - 1;
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_SREGS, &sregs));
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE;
	regs.rflags = 2 | rflags;
	regs.rsp = esp;
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_REGS, &regs));
}

static inline uint64_t pio_value(const struct kvm_run *run)
{
	uint64_t val = 0;

	memcpy(&val, (const char *)run + run->io.data_offset, run->io.size);
	return val;
}

#define run_vcpu(self)	ioctl((self)->vm.vcpu, KVM_RUN, 0)

#define ASSERT_EXIT(reason)	ASSERT_EQ((__u32)(reason), self->vm.run->exit_reason)

/* Expects an OUT exit of @size bytes at @port carrying @val. */
#define EXPECT_OUT(port_, size_, val_) do {				\
	ASSERT_EQ(0, run_vcpu(self)) TH_LOG("KVM_RUN: %s", strerror(errno)); \
	ASSERT_EXIT(KVM_EXIT_IO);					\
	EXPECT_EQ((__u8)KVM_EXIT_IO_OUT, self->vm.run->io.direction);		\
	EXPECT_EQ((__u16)(port_), self->vm.run->io.port);				\
	EXPECT_EQ((__u8)(size_), self->vm.run->io.size);				\
	EXPECT_EQ(1u, self->vm.run->io.count);				\
	EXPECT_EQ((uint64_t)(val_), pio_value(self->vm.run));			\
} while (0)

/* Expects an IN exit of @size bytes at @port, and answers @val. */
#define ANSWER_IN(port_, size_, val_) do {				\
	uint64_t v_ = (val_);						\
	ASSERT_EQ(0, run_vcpu(self)) TH_LOG("KVM_RUN: %s", strerror(errno)); \
	ASSERT_EXIT(KVM_EXIT_IO);					\
	EXPECT_EQ((__u8)KVM_EXIT_IO_IN, self->vm.run->io.direction);		\
	EXPECT_EQ((__u16)(port_), self->vm.run->io.port);				\
	EXPECT_EQ((__u8)(size_), self->vm.run->io.size);				\
	EXPECT_EQ(1u, self->vm.run->io.count);				\
	memcpy((char *)self->vm.run + self->vm.run->io.data_offset, &v_, (size_)); \
} while (0)

/* Expects an MMIO store of @len bytes at @gpa carrying @val. */
#define EXPECT_MMIO_STORE(gpa_, len_, val_) do {			\
	uint64_t v_ = 0;						\
	ASSERT_EQ(0, run_vcpu(self)) TH_LOG("KVM_RUN: %s", strerror(errno)); \
	ASSERT_EXIT(KVM_EXIT_MMIO);					\
	EXPECT_EQ(1, self->vm.run->mmio.is_write);				\
	EXPECT_EQ((__u64)(gpa_), self->vm.run->mmio.phys_addr);		\
	EXPECT_EQ((__u32)(len_), self->vm.run->mmio.len);			\
	memcpy(&v_, self->vm.run->mmio.data, self->vm.run->mmio.len);		\
	EXPECT_EQ((uint64_t)(val_), v_);				\
} while (0)

/* Expects an MMIO load of @len bytes at @gpa, and answers @val. */
#define ANSWER_MMIO_LOAD(gpa_, len_, val_) do {				\
	uint64_t v_ = (val_);						\
	ASSERT_EQ(0, run_vcpu(self)) TH_LOG("KVM_RUN: %s", strerror(errno)); \
	ASSERT_EXIT(KVM_EXIT_MMIO);					\
	EXPECT_EQ(0, self->vm.run->mmio.is_write);				\
	EXPECT_EQ((__u64)(gpa_), self->vm.run->mmio.phys_addr);		\
	EXPECT_EQ((__u32)(len_), self->vm.run->mmio.len);			\
	memcpy(self->vm.run->mmio.data, &v_, (len_));			\
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
