// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 guests run through KVM_RUN: port I/O in real and long mode, HLT, a triple fault, a
 * broken guest state, immediate_exit, a signal out of a spinning guest, an ioeventfd
 * written by a guest, guest writes seen in userspace memory, many VM lifetimes and the
 * vCPU's exit counters. The guests are real code, assembled below and run by the CPU.
 * Run against minikvm and real KVM; both must agree.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/hw_breakpoint.h>
#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <linux/perf_event.h>

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
#define VMX_ENTRY_FAILED	0x80000000u
#define EXIT_REASON_INVALID_STATE	33

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

/* Real mode, CS base 0, at GUEST_CODE: the reset state but for CS and RIP. */
static void setup_real_mode(struct __test_metadata *_metadata, int vcpu, unsigned char *mem,
			    const unsigned char *code, const unsigned char *end)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	memcpy(mem + GUEST_CODE, code, end - code);
	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_SREGS, &sregs));
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_SREGS, &sregs));
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE;
	regs.rflags = 2;
	regs.rsp = GUEST_STACK;
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_REGS, &regs));
}

/* Flat 64-bit code and data segments (SDM 3.4.5). */
static void set_seg64(struct kvm_segment *seg, bool code)
{
	memset(seg, 0, sizeof(*seg));
	seg->limit = 0xffffffff;
	seg->selector = code ? 0x8 : 0x10;
	seg->type = code ? 0xb : 0x3;
	seg->present = 1;
	seg->s = 1;
	seg->g = 1;
	seg->l = code;
	seg->db = !code;
}

/* CPUID.80000001H:EDX bits (SDM Vol. 2, CPUID): SYSCALL, NX, LM. */
#define CPUID_EXT_EDX_SYSCALL	(1u << 11)
#define CPUID_EXT_EDX_NX	(1u << 20)
#define CPUID_EXT_EDX_LM	(1u << 29)

/* KVM (6.12) refuses EFER.LME in KVM_SET_SREGS unless the guest's CPUID has LM. */
static void set_cpuid_long_mode(struct __test_metadata *_metadata, int vcpu)
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
static void setup_long_mode(struct __test_metadata *_metadata, int vcpu, unsigned char *mem,
			    const unsigned char *code, const unsigned char *end)
{
	uint64_t *pml4 = (uint64_t *)(mem + GUEST_PML4);
	uint64_t *pdpt = (uint64_t *)(mem + GUEST_PDPT);
	uint64_t *pd = (uint64_t *)(mem + GUEST_PD);
	struct kvm_sregs sregs;
	struct kvm_regs regs;

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
	set_seg64(&sregs.cs, true);
	set_seg64(&sregs.ds, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_SREGS, &sregs));
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE64;
	regs.rflags = 2;
	regs.rsp = GUEST_STACK;
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_REGS, &regs));
}

static uint64_t pio_value(const struct kvm_run *run)
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

TEST_F(x86, real_mode_port_io_and_hlt)
{
	struct kvm_regs regs;
	size_t len = guest_pio16_end - guest_pio16;

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_pio16, guest_pio16_end);
	EXPECT_OUT(0x10, 1, 0x12);
	/* As KVM: RIP stays on the OUT until the next KVM_RUN completes it. */
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(GUEST_CODE + 2, regs.rip);
	EXPECT_OUT(0x11, 2, 0x3456);
	EXPECT_OUT(0x12, 4, 0x789abcde);
	ANSWER_IN(0x13, 1, 0x5a);
	EXPECT_OUT(0x20, 1, 0x5a);
	ANSWER_IN(0x14, 2, 0xbeef);
	EXPECT_OUT(0x21, 2, 0xbeef);
	ANSWER_IN(0x15, 4, 0xcafef00d);
	EXPECT_OUT(0x22, 4, 0xcafef00d);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	/* HLT is done when userspace sees it. */
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(GUEST_CODE + len, regs.rip);
	EXPECT_EQ(0xcafef00d, regs.rax & 0xffffffff);
}

TEST_F(x86, long_mode_port_io)
{
	struct kvm_regs regs;

	setup_long_mode(_metadata, self->vcpu, self->mem, guest_pio64, guest_pio64_end);
	EXPECT_OUT(0x30, 4, 0x55667788);
	ANSWER_IN(0x31, 4, 0x9abcdef0);
	/* IN to EAX zeroes the upper half; the value survived a push and a pop. */
	EXPECT_OUT(0x32, 1, 0xf0);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(0x9abcdef0, regs.rax);
	EXPECT_EQ(0x9abcdef0, regs.rbx);
	EXPECT_EQ(GUEST_STACK, regs.rsp);
}

TEST_F(x86, triple_fault_is_shutdown)
{
	struct kvm_sregs sregs;

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_ud16, guest_ud16_end);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_SREGS, &sregs));
	sregs.idt.limit = 0;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_SREGS, &sregs));
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_SHUTDOWN);
}

TEST_F(x86, bad_guest_state_is_fail_entry)
{
	struct kvm_sregs sregs;

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_pio16, guest_pio16_end);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_SREGS, &sregs));
	/* TR must be usable (SDM 27.3.1.2). */
	sregs.tr.present = 0;
	sregs.tr.unusable = 1;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_SREGS, &sregs));
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_FAIL_ENTRY);
	EXPECT_EQ(VMX_ENTRY_FAILED | EXIT_REASON_INVALID_STATE,
		  self->run->fail_entry.hardware_entry_failure_reason);
}

TEST_F(x86, bad_sregs_are_einval)
{
	struct kvm_sregs sregs;

	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_SREGS, &sregs));
	/* The reset state, as KVM's. */
	EXPECT_EQ(0xf000, sregs.cs.selector);
	EXPECT_EQ(0xffff0000, sregs.cs.base);
	EXPECT_EQ(0x60000010ULL, sregs.cr0);
	/* Paging without protection. */
	sregs.cr0 = CR0_PG | CR0_ET;
	EXPECT_EQ(-1, ioctl(self->vcpu, KVM_SET_SREGS, &sregs));
	EXPECT_EQ(EINVAL, errno);
	/* LMA without paging. */
	sregs.cr0 = CR0_ET;
	sregs.efer = EFER_LMA;
	EXPECT_EQ(-1, ioctl(self->vcpu, KVM_SET_SREGS, &sregs));
	EXPECT_EQ(EINVAL, errno);
	/* Long mode without PAE. */
	sregs.cr0 = CR0_PE | CR0_PG | CR0_ET;
	sregs.efer = EFER_LME | EFER_LMA;
	EXPECT_EQ(-1, ioctl(self->vcpu, KVM_SET_SREGS, &sregs));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(x86, immediate_exit_completes_pending_in)
{
	struct kvm_regs regs;

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_in16, guest_in16_end);
	self->run->immediate_exit = 1;
	EXPECT_EQ(-1, run_vcpu(self));
	EXPECT_EQ(EINTR, errno);
	self->run->immediate_exit = 0;
	ANSWER_IN(0x13, 1, 0xa5);
	self->run->immediate_exit = 1;
	EXPECT_EQ(-1, run_vcpu(self));
	EXPECT_EQ(EINTR, errno);
	/* The exit reason is left alone, the IN is done. */
	ASSERT_EXIT(KVM_EXIT_IO);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(0xa5ULL, regs.rax & 0xff);
	EXPECT_EQ(GUEST_CODE + 2, regs.rip);
	self->run->immediate_exit = 0;
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
}

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

TEST_F(x86, real_mode_mmio)
{
	struct kvm_sregs sregs;

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_mmio16, guest_mmio16_end);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_SREGS, &sregs));
	sregs.es.base = GUEST_MMIO_GPA;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_SREGS, &sregs));
	EXPECT_MMIO_STORE(GUEST_MMIO_GPA + 4, 2, 0x1234);
	ANSWER_MMIO_LOAD(GUEST_MMIO_GPA + 8, 1, 0x7e);
	EXPECT_OUT(0x60, 1, 0x7e);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
}

TEST_F(x86, long_mode_mmio)
{
	struct kvm_ioeventfd ioeventfd = { .addr = GUEST_MMIO_GPA + 0x40, .len = 4 };
	uint64_t count = 0;
	struct kvm_regs regs;
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	ioeventfd.fd = efd;
	ASSERT_EQ(0, ioctl(self->vm, KVM_IOEVENTFD, &ioeventfd));
	setup_long_mode(_metadata, self->vcpu, self->mem, guest_mmio64, guest_mmio64_end);
	EXPECT_MMIO_STORE(GUEST_MMIO_GPA, 1, 0x11);
	/* As KVM: a store is done when userspace sees it, RIP is past it. */
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(GUEST_CODE64 + 7 + 3, regs.rip);
	EXPECT_MMIO_STORE(GUEST_MMIO_GPA + 2, 2, 0x2233);
	EXPECT_MMIO_STORE(GUEST_MMIO_GPA + 4, 4, 0x44556677);
	EXPECT_MMIO_STORE(GUEST_MMIO_GPA + 8, 8, 0x8899aabbccddeeffULL);
	EXPECT_MMIO_STORE(GUEST_MMIO_GPA + 0x10, 1, 0xee);
	ANSWER_MMIO_LOAD(GUEST_MMIO_GPA + 0x20, 1, 0x80);
	ANSWER_MMIO_LOAD(GUEST_MMIO_GPA + 0x21, 1, 0x80);
	ANSWER_MMIO_LOAD(GUEST_MMIO_GPA + 0x22, 2, 0x8000);
	ANSWER_MMIO_LOAD(GUEST_MMIO_GPA + 0x28, 8, 0x0123456789abcdefULL);
	ANSWER_MMIO_LOAD(GUEST_MMIO_GPA + 0x30, 4, 0xfedcba98);
	/* The store to the ioeventfd's address goes to the eventfd, not to userspace. */
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	ASSERT_EQ((ssize_t)sizeof(count), read(efd, &count, sizeof(count)));
	EXPECT_EQ(1ULL, count);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(0x80ULL, regs.rbx);
	EXPECT_EQ(0xffffffffffffff80ULL, regs.rcx);
	EXPECT_EQ(0xffff8000ULL, regs.rdx);
	EXPECT_EQ(0x0123456789abcdefULL, regs.rsi);
	EXPECT_EQ(0xfedcba98ULL, regs.r9);
	close(efd);
}

/*
 * A real-mode guest (@code) whose ES is based at GUEST_HIGH_GPA, where slot 1 (@region,
 * with the caller's size and flags) holds shared anonymous memory, in *@mem for the test.
 */
static void setup_high_slot_guest(struct __test_metadata *_metadata, FIXTURE_DATA(x86) * self,
				  struct kvm_userspace_memory_region *region, unsigned char **mem,
				  const unsigned char *code, const unsigned char *end)
{
	struct kvm_sregs sregs;

	*mem = mmap(NULL, region->memory_size, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, *mem);
	region->slot = 1;
	region->guest_phys_addr = GUEST_HIGH_GPA;
	region->userspace_addr = (unsigned long)*mem;
	ASSERT_EQ(0, ioctl(self->vm, KVM_SET_USER_MEMORY_REGION, region));
	setup_real_mode(_metadata, self->vcpu, self->mem, code, end);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_SREGS, &sregs));
	sregs.es.base = GUEST_HIGH_GPA;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_SREGS, &sregs));
}

TEST_F(x86, readonly_slot_store_is_mmio)
{
	struct kvm_userspace_memory_region region = {
		.flags = KVM_MEM_READONLY,
		.memory_size = 0x1000,
	};
	unsigned char *ro;

	ASSERT_EQ(1, ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM));
	setup_high_slot_guest(_metadata, self, &region, &ro, guest_readonly16,
			      guest_readonly16_end);
	ro[0] = 0x42;
	ro[1] = 0x24;
	EXPECT_OUT(0x61, 1, 0x42);
	EXPECT_MMIO_STORE(GUEST_HIGH_GPA + 1, 1, 0x99);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	EXPECT_EQ(0x24, ro[1]);
	munmap(ro, region.memory_size);
}

/*
 * A slot deleted while the vCPU is stopped is gone from EPT too: the guest's second pass
 * over the same instructions finds MMIO where it found the slot's memory.
 */
TEST_F(x86, deleted_slot_is_unmapped)
{
	struct kvm_userspace_memory_region region = { .memory_size = 0x1000 };
	struct kvm_sregs sregs;
	unsigned char *page;

	setup_high_slot_guest(_metadata, self, &region, &page, guest_readonly16,
			      guest_readonly16_end);
	/* Kept for the second pass, which starts the guest over with ES where it was. */
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_SREGS, &sregs));
	page[0] = 0x42;
	/* First pass: the load and the store reach the slot, mapped in EPT on the way. */
	EXPECT_OUT(0x61, 1, 0x42);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	EXPECT_EQ(0x99, page[1]);

	region.memory_size = 0;
	ASSERT_EQ(0, ioctl(self->vm, KVM_SET_USER_MEMORY_REGION, &region));
	setup_real_mode(_metadata, self->vcpu, self->mem, guest_readonly16,
			guest_readonly16_end);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_SREGS, &sregs));
	/* Second pass: both accesses are MMIO now, and the old page is left alone. */
	page[1] = 0;
	ANSWER_MMIO_LOAD(GUEST_HIGH_GPA, 1, 0x77);
	EXPECT_OUT(0x61, 1, 0x77);
	EXPECT_MMIO_STORE(GUEST_HIGH_GPA + 1, 1, 0x99);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	EXPECT_EQ(0, page[1]);
	munmap(page, 0x1000);
}

TEST_F(x86, rep_string_io)
{
	struct kvm_regs regs;

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_string16, guest_string16_end);
	memcpy(self->mem + GUEST_DATA, "abc", 3);
	EXPECT_OUT(0x70, 1, 'a');
	EXPECT_OUT(0x70, 1, 'b');
	EXPECT_OUT(0x70, 1, 'c');
	/* As KVM's emulator, REP INS reads ahead: both words in one exit. */
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_IO);
	EXPECT_EQ((__u8)KVM_EXIT_IO_IN, self->run->io.direction);
	EXPECT_EQ(0x71, self->run->io.port);
	EXPECT_EQ(2, self->run->io.size);
	ASSERT_EQ(2u, self->run->io.count);
	memcpy((char *)self->run + self->run->io.data_offset, "\x11\x11\x22\x22", 4);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	EXPECT_EQ(0x1111, *(uint16_t *)(self->mem + 0x5100));
	EXPECT_EQ(0x2222, *(uint16_t *)(self->mem + 0x5102));
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(0x5003ULL, regs.rsi & 0xffff);
	EXPECT_EQ(0x5104ULL, regs.rdi & 0xffff);
	EXPECT_EQ(0ULL, regs.rcx & 0xffff);
}

/* A vCPU run in its own thread until HLT, counting its OUTs to port 0x50. */
struct vcpu_thread {
	int vcpu;
	struct kvm_run *run;
	int outs;
	int status;	/* 0, or the exit reason / errno that stopped it */
};

static void *run_vcpu_thread(void *arg)
{
	struct vcpu_thread *t = arg;

	for (;;) {
		if (ioctl(t->vcpu, KVM_RUN, 0)) {
			t->status = -errno;
			break;
		}
		if (t->run->exit_reason == KVM_EXIT_HLT)
			break;
		if (t->run->exit_reason != KVM_EXIT_IO || t->run->io.port != 0x50) {
			t->status = t->run->exit_reason;
			break;
		}
		t->outs++;
	}
	return NULL;
}

TEST_F(x86, two_vcpus_at_once)
{
	const int loops = 300;
	struct vcpu_thread t[2] = { { .vcpu = self->vcpu, .run = self->run } };
	pthread_t thread[2];
	struct kvm_regs regs;
	int i;

	t[1].vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 1);
	ASSERT_LE(0, t[1].vcpu);
	t[1].run = mmap(NULL, self->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, t[1].vcpu, 0);
	ASSERT_NE(MAP_FAILED, t[1].run);
	for (i = 0; i < 2; i++) {
		setup_real_mode(_metadata, t[i].vcpu, self->mem, guest_loop16, guest_loop16_end);
		ASSERT_EQ(0, ioctl(t[i].vcpu, KVM_GET_REGS, &regs));
		regs.rcx = loops + i;
		ASSERT_EQ(0, ioctl(t[i].vcpu, KVM_SET_REGS, &regs));
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&thread[i], NULL, run_vcpu_thread, &t[i]));
	for (i = 0; i < 2; i++) {
		pthread_join(thread[i], NULL);
		EXPECT_EQ(0, t[i].status);
		/* Each ran its own count: the two vCPUs' states never mixed. */
		EXPECT_EQ(loops + i, t[i].outs);
	}
	munmap(t[1].run, self->run_size);
	close(t[1].vcpu);
}

TEST_F(x86, cpuid_from_set_cpuid2)
{
	/* Leaf 0: max leaf 1, vendor "MiniKVM_test"; leaf 1 with the APIC bit KVM keeps. */
	const struct kvm_cpuid_entry2 leaves[] = {
		{ .function = 0, .eax = 1, .ebx = 0x696e694d, .edx = 0x5f4d564b,
		  .ecx = 0x74736574 },
		{ .function = 1, .eax = 0x000806ec, .ebx = 0x00010800, .ecx = 0x80000000,
		  .edx = 0x00000201 },
	};
	struct {
		struct kvm_cpuid2 header;
		struct kvm_cpuid_entry2 entries[2];
	} cpuid = { .header.nent = 2 };
	uint32_t *out = (uint32_t *)(self->mem + GUEST_DATA);
	int i;

	memcpy(cpuid.entries, leaves, sizeof(leaves));
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_CPUID2, &cpuid));
	/* Read back; too small an array is E2BIG, and nent is left alone. */
	memset(cpuid.entries, 0, sizeof(cpuid.entries));
	cpuid.header.nent = 1;
	EXPECT_EQ(-1, ioctl(self->vcpu, KVM_GET_CPUID2, &cpuid));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(1u, cpuid.header.nent);
	cpuid.header.nent = 2;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_CPUID2, &cpuid));
	EXPECT_EQ(2u, cpuid.header.nent);
	EXPECT_EQ(leaves[1].eax, cpuid.entries[1].eax);

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_cpuid16, guest_cpuid16_end);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	for (i = 0; i < 3; i++) {
		/* Leaf 5 is beyond the last basic leaf: the CPU answers with leaf 1's. */
		const struct kvm_cpuid_entry2 *e = &leaves[i ? 1 : 0];

		EXPECT_EQ(e->eax, out[4 * i]) TH_LOG("leaf %d eax", i);
		EXPECT_EQ(e->ebx, out[4 * i + 1]) TH_LOG("leaf %d ebx", i);
		EXPECT_EQ(e->ecx, out[4 * i + 2]) TH_LOG("leaf %d ecx", i);
		EXPECT_EQ(e->edx, out[4 * i + 3]) TH_LOG("leaf %d edx", i);
	}
}

#define GUEST_HANDLER		0x3000ULL	/* real-mode handler, IVT entries point here */

/* Points real-mode vector @vec (IVT at 0, SDM 21.1.4) at the handler guest. */
static void set_real_mode_vector(unsigned char *mem, int vec)
{
	uint16_t *ivt = (uint16_t *)mem;

	memcpy(mem + GUEST_HANDLER, guest_handler16, guest_handler16_end - guest_handler16);
	ivt[vec * 2] = GUEST_HANDLER;
	ivt[vec * 2 + 1] = 0;
}

TEST_F(x86, msrs_and_gp_for_unknown_msr)
{
	struct {
		struct kvm_msrs header;
		struct kvm_msr_entry entries[2];
	} msrs = { .header.nmsrs = 2 };

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_msr16, guest_msr16_end);
	set_real_mode_vector(self->mem, 13);
	msrs.entries[0].index = 0x174;		/* IA32_SYSENTER_CS */
	msrs.entries[0].data = 0x10;
	msrs.entries[1].index = 0x175;		/* IA32_SYSENTER_ESP */
	msrs.entries[1].data = 0x1000;
	ASSERT_EQ(2, ioctl(self->vcpu, KVM_SET_MSRS, &msrs));
	/* #GP (vector 13) comes from the RDMSR of an unknown MSR. */
	EXPECT_OUT(0x21, 1, 0x44);
	EXPECT_EQ(0x10u, *(uint32_t *)(self->mem + GUEST_DATA));
	memset(msrs.entries, 0, sizeof(msrs.entries));
	msrs.entries[0].index = 0x175;
	msrs.entries[1].index = 0x12345678;
	/* KVM_GET_MSRS stops at the first MSR it does not know. */
	ASSERT_EQ(1, ioctl(self->vcpu, KVM_GET_MSRS, &msrs));
	EXPECT_EQ(0x11223344ULL, msrs.entries[0].data);
}

TEST_F(x86, interrupt_injection)
{
	struct kvm_interrupt irq = { .irq = 0x20 };

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_irq16, guest_irq16_end);
	set_real_mode_vector(self->mem, 0x20);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	/* Halted with IF set: an interrupt can go in now. */
	EXPECT_EQ(1, self->run->if_flag);
	EXPECT_EQ(1, self->run->ready_for_interrupt_injection);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_INTERRUPT, &irq));
	EXPECT_OUT(0x21, 1, 0);
	/* Back after the HLT: interrupts off, so userspace asks for the window. */
	EXPECT_OUT(0x22, 1, 0);
	EXPECT_EQ(0, self->run->if_flag);
	EXPECT_EQ(0, self->run->ready_for_interrupt_injection);
	self->run->request_interrupt_window = 1;
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_IRQ_WINDOW_OPEN);
	EXPECT_EQ(1, self->run->ready_for_interrupt_injection);
	self->run->request_interrupt_window = 0;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_INTERRUPT, &irq));
	/* The handler runs before the instruction after STI's shadow. */
	EXPECT_OUT(0x21, 1, 0);
	EXPECT_OUT(0x23, 1, 0);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	irq.irq = 256;
	EXPECT_EQ(-1, ioctl(self->vcpu, KVM_INTERRUPT, &irq));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * 32-bit guests. With paging, the code runs at a virtual address that is not its
 * physical one, and EDI/ESI name virtual pages of MMIO and data elsewhere, so that
 * minikvm's page walk (instruction fetch, string I/O) is what finds them.
 */
#define PM32_VIRT_MMIO		0x800000ULL	/* -> GUEST_MMIO_GPA when paged */
#define PM32_VIRT_DATA		0x801000ULL	/* -> GUEST_DATA */
#define PM32_VIRT_CODE		0x802000ULL	/* -> GUEST_CODE */
#define GUEST_PM32_PD		0x9000ULL
#define GUEST_PM32_PT		0xa000ULL
#define GUEST_PAE_PDPT		0xc000ULL
#define CR4_PSE			(1ULL << 4)

enum pm32_paging { PM32_FLAT, PM32_PAGED, PM32_PAE };

static void set_seg32(struct kvm_segment *seg, bool code)
{
	memset(seg, 0, sizeof(*seg));
	seg->limit = 0xffffffff;
	seg->selector = code ? 0x8 : 0x10;
	seg->type = code ? 0xb : 0x3;
	seg->present = 1;
	seg->s = 1;
	seg->g = 1;
	seg->db = 1;
}

static void run_pm32_guest(struct __test_metadata *_metadata, FIXTURE_DATA(x86) * self,
			   enum pm32_paging paging)
{
	uint64_t mmio_gpa = paging == PM32_FLAT ? PM32_VIRT_MMIO : GUEST_MMIO_GPA;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	memcpy(self->mem + GUEST_CODE, guest_pm32, guest_pm32_end - guest_pm32);
	memcpy(self->mem + GUEST_DATA, "xy", 2);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_SREGS, &sregs));
	sregs.cr0 = CR0_PE | CR0_ET | CR0_NE;
	set_seg32(&sregs.cs, true);
	set_seg32(&sregs.ds, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	regs.rsp = GUEST_STACK;
	regs.rdi = PM32_VIRT_MMIO;
	if (paging == PM32_FLAT) {
		regs.rip = GUEST_CODE;
		regs.rsi = GUEST_DATA;
	} else {
		regs.rip = PM32_VIRT_CODE;
		regs.rsi = PM32_VIRT_DATA;
		sregs.cr0 |= CR0_PG;
	}
	if (paging == PM32_PAGED) {
		/* 4 MiB page for the first 4 MiB (PSE), 4 KiB pages at 8 MiB. */
		uint32_t *pd = (uint32_t *)(self->mem + GUEST_PM32_PD);
		uint32_t *pt = (uint32_t *)(self->mem + GUEST_PM32_PT);

		pd[0] = PTE_P | PTE_RW | PTE_PS;
		pd[2] = PTE_P | PTE_RW | GUEST_PM32_PT;
		pt[0] = PTE_P | PTE_RW | GUEST_MMIO_GPA;
		pt[1] = PTE_P | PTE_RW | GUEST_DATA;
		pt[2] = PTE_P | PTE_RW | GUEST_CODE;
		sregs.cr3 = GUEST_PM32_PD;
		sregs.cr4 = CR4_PSE;
	} else if (paging == PM32_PAE) {
		/* PDPT -> PD: a 2 MiB page at 0, 4 KiB pages at 8 MiB. */
		uint64_t *pdpt = (uint64_t *)(self->mem + GUEST_PAE_PDPT);
		uint64_t *pd = (uint64_t *)(self->mem + GUEST_PM32_PD);
		uint64_t *pt = (uint64_t *)(self->mem + GUEST_PM32_PT);

		pdpt[0] = PTE_P | GUEST_PM32_PD;
		pd[0] = PTE_P | PTE_RW | PTE_PS;
		pd[4] = PTE_P | PTE_RW | GUEST_PM32_PT;
		pt[0] = PTE_P | PTE_RW | GUEST_MMIO_GPA;
		pt[1] = PTE_P | PTE_RW | GUEST_DATA;
		pt[2] = PTE_P | PTE_RW | GUEST_CODE;
		sregs.cr3 = GUEST_PAE_PDPT;
		sregs.cr4 = CR4_PAE;
	}
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_SREGS, &sregs));
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_REGS, &regs));

	EXPECT_OUT(0x42, 4, 0xdeadbeef);
	EXPECT_MMIO_STORE(mmio_gpa + 0x10, 4, 0x12345678);
	ANSWER_MMIO_LOAD(mmio_gpa + 0x20, 2, 0xabcd);
	EXPECT_OUT(0x43, 4, 0xabcd);
	EXPECT_OUT(0x44, 1, 'x');
	EXPECT_OUT(0x44, 1, 'y');
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
}

TEST_F(x86, protected_mode_guest)
{
	run_pm32_guest(_metadata, self, PM32_FLAT);
}

TEST_F(x86, paged_32bit_guest)
{
	run_pm32_guest(_metadata, self, PM32_PAGED);
}

TEST_F(x86, paged_pae_guest)
{
	run_pm32_guest(_metadata, self, PM32_PAE);
}

#define CR4_OSFXSR		(1ULL << 9)

static void setup_fpu_guest(struct __test_metadata *_metadata, int vcpu, unsigned char *mem)
{
	struct kvm_sregs sregs;

	setup_real_mode(_metadata, vcpu, mem, guest_fpu16, guest_fpu16_end);
	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_SREGS, &sregs));
	sregs.cr4 |= CR4_OSFXSR;
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_SREGS, &sregs));
}

TEST_F(x86, fpu_state_from_guest_and_mp_state)
{
	struct kvm_mp_state mp_state;
	struct kvm_fpu fpu;
	uint32_t val;

	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_MP_STATE, &mp_state));
	EXPECT_EQ((__u32)KVM_MP_STATE_RUNNABLE, mp_state.mp_state);
	mp_state.mp_state = KVM_MP_STATE_HALTED;
	EXPECT_EQ(-1, ioctl(self->vcpu, KVM_SET_MP_STATE, &mp_state));
	EXPECT_EQ(EINVAL, errno);

	setup_fpu_guest(_metadata, self->vcpu, self->mem);
	EXPECT_OUT(0x45, 4, 0);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	/* What the guest put in XMM1 is in its FPU state, not in ours. */
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_FPU, &fpu));
	memcpy(&val, fpu.xmm[1], sizeof(val));
	EXPECT_EQ(0x13572468u, val);
}

TEST_F(x86, fpu_state_to_guest)
{
	uint32_t val = 0xcafebabe;
	struct kvm_fpu fpu;

	if (!kvm_dev_is_minikvm())
		SKIP(return, "real KVM 6.1 (measured): KVM_SET_FPU XMM did not reach a new vCPU");
	setup_fpu_guest(_metadata, self->vcpu, self->mem);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_FPU, &fpu));
	/* MXCSR's value after reset (SDM 10.1.1). */
	EXPECT_EQ(0x1f80u, fpu.mxcsr);
	memcpy(fpu.xmm[0], &val, sizeof(val));
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_FPU, &fpu));
	EXPECT_OUT(0x45, 4, 0xcafebabe);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
}

/* VMCALL's result and the RIP after it: the OUT right behind the 3-byte VMCALL. */
static void expect_vmcall_result(struct __test_metadata *_metadata, FIXTURE_DATA(x86) * self,
				 uint64_t code, uint64_t rax)
{
	struct kvm_regs regs;

	EXPECT_OUT(0x26, 1, rax & 0xff);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(rax, regs.rax);
	EXPECT_EQ(code + 3, regs.rip);
}

TEST_F(x86, vmcall_unknown_hypercall_real_mode)
{
	struct kvm_regs regs;

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_vmcall, guest_vmcall_end);
	/* Outside 64-bit mode the number and the result are 32-bit: RAX's high half goes. */
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	regs.rax = 0xabcd000000001234ULL;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_REGS, &regs));
	expect_vmcall_result(_metadata, self, GUEST_CODE, (uint32_t)-KVM_ENOSYS);
	/* CPL 0: the debug register read that follows works. */
	EXPECT_OUT(0x27, 1, 0);
}

TEST_F(x86, vmcall_unknown_hypercall_long_mode)
{
	struct kvm_regs regs;

	setup_long_mode(_metadata, self->vcpu, self->mem, guest_vmcall, guest_vmcall_end);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	regs.rax = 0x1234;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_REGS, &regs));
	expect_vmcall_result(_metadata, self, GUEST_CODE64, (uint64_t)-KVM_ENOSYS);
}

/*
 * 32-bit protected mode at CPL 3 with IOPL 3 (so that OUT needs no TSS bitmap), no IDT:
 * VMCALL gets -KVM_EPERM; MOV from DR0 #GPs, which with no IDT ends in a triple fault.
 */
TEST_F(x86, vmcall_and_mov_dr_at_cpl3)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	memcpy(self->mem + GUEST_CODE, guest_vmcall, guest_vmcall_end - guest_vmcall);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_SREGS, &sregs));
	sregs.cr0 = CR0_PE | CR0_ET | CR0_NE;
	set_seg32(&sregs.cs, true);
	set_seg32(&sregs.ds, false);
	sregs.cs.dpl = 3;
	sregs.cs.selector |= 3;
	sregs.ds.dpl = 3;
	sregs.ds.selector |= 3;
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.idt.limit = 0;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_SREGS, &sregs));
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE;
	regs.rflags = 0x3002;
	regs.rsp = GUEST_STACK;
	regs.rax = 0xffffffff00000001ULL;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_REGS, &regs));
	expect_vmcall_result(_metadata, self, GUEST_CODE, (uint32_t)-KVM_EPERM);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_SHUTDOWN);
}

/* Real-mode handlers that say their vector on port 0x21 and halt, at GUEST_HANDLER. */
static void set_real_mode_fault_vector(unsigned char *mem, int vec)
{
	const unsigned char stub[] = { 0xb0, vec, 0xe6, 0x21, 0xf4 };	/* mov, out, hlt */
	uint16_t *ivt = (uint16_t *)mem;

	memcpy(mem + GUEST_HANDLER + 8 * vec, stub, sizeof(stub));
	ivt[vec * 2] = GUEST_HANDLER + 8 * vec;
	ivt[vec * 2 + 1] = 0;
}

#define DB_VECTOR		1
#define UD_VECTOR		6
#define GP_VECTOR		13
#define DR6_INIT		0xffff0ff0u	/* DR6 after reset, and with no condition */
#define DR6_BS			0x4000u		/* single step */
#define CR4_OSXSAVE		(1ULL << 18)

TEST_F(x86, dr4_is_dr6_then_ud_with_cr4_de)
{
	setup_real_mode(_metadata, self->vcpu, self->mem, guest_dr16, guest_dr16_end);
	set_real_mode_fault_vector(self->mem, UD_VECTOR);
	EXPECT_OUT(0x28, 4, DR6_INIT);
	EXPECT_OUT(0x21, 1, UD_VECTOR);
}

/* With DR7.GD (general detect) set, the next MOV DR is a #DB (SDM 19.2.4). */
TEST_F(x86, dr7_gd_makes_mov_dr_a_db)
{
	setup_real_mode(_metadata, self->vcpu, self->mem, guest_gd16, guest_gd16_end);
	set_real_mode_fault_vector(self->mem, DB_VECTOR);
	EXPECT_OUT(0x21, 1, DB_VECTOR);
}

/* A guest's single step: its #DB handler reads DR6 with BS (SDM 19.2.3) set. */
TEST_F(x86, single_step_shows_in_dr6)
{
	uint16_t *ivt = (uint16_t *)self->mem;

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_step16, guest_step16_end);
	memcpy(self->mem + GUEST_HANDLER, guest_db_handler16,
	       guest_db_handler16_end - guest_db_handler16);
	ivt[DB_VECTOR * 2] = GUEST_HANDLER;
	ivt[DB_VECTOR * 2 + 1] = 0;
	EXPECT_OUT(0x21, 4, DR6_INIT | DR6_BS);
}

/* A breakpoint on this variable, the host's own: it must still fire after the guest ran. */
static uint32_t watched;

static int open_watchpoint(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(attr),
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = (unsigned long)&watched,
		.bp_len = HW_BREAKPOINT_LEN_4,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};

	return syscall(__NR_perf_event_open, &attr, 0, -1, -1, 0);
}

static uint64_t watch_count(int fd)
{
	uint64_t count = 0;

	if (read(fd, &count, sizeof(count)) != sizeof(count))
		return -1;
	return count;
}

/*
 * The guest's debug registers round-trip through MOV DR in long mode, its DR7 enabling
 * four execute breakpoints at addresses it never runs; DR0 is a host kernel address. The
 * host's own watchpoint, set before, still fires after.
 */
TEST_F(x86, debug_registers_round_trip)
{
	const uint64_t dr[4] = { 0xffffffff81000000ULL, 0x1000000, 0x2000000, 0x3000000 };
	struct kvm_regs regs;
	int fd = open_watchpoint();
	uint64_t fired = 0;

	setup_long_mode(_metadata, self->vcpu, self->mem, guest_dr64, guest_dr64_end);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	regs.rax = dr[0];
	regs.rbx = dr[1];
	regs.rcx = dr[2];
	regs.rdx = dr[3];
	regs.rsi = 0xff;		/* L0-L3 and G0-G3, execute breakpoints */
	regs.rdi = 0x4001;		/* BS and B0 */
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_REGS, &regs));
	if (fd >= 0) {
		watched = 1;
		fired = watch_count(fd);
	}
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(dr[0], regs.r8);
	EXPECT_EQ(dr[1], regs.r9);
	EXPECT_EQ(dr[2], regs.r10);
	EXPECT_EQ(dr[3], regs.r11);
	EXPECT_EQ(0x4ffULL, regs.r12);		/* bit 10 reads as 1 */
	EXPECT_EQ(DR6_INIT, regs.r13);
	EXPECT_EQ(DR6_INIT | 0x4001ULL, regs.r14);
	if (fd < 0)
		SKIP(return, "no hardware breakpoint for the host (perf_event_open: %s)",
		     strerror(errno));
	watched = 2;
	if (!fired) {
		close(fd);
		SKIP(return, "this CPU (emulator) does not fire data breakpoints");
	}
	EXPECT_EQ(2ULL, watch_count(fd));
	close(fd);
}

/*
 * A vCPU whose CPUID has no XSAVE: CR4.OSXSAVE is reserved to it. (Real KVM 6.1 without
 * any KVM_SET_CPUID2, measured: OSXSAVE accepted, XSETBV of XCR0 = x87 done; minikvm
 * reserves OSXSAVE whatever the table.)
 */
TEST_F(x86, osxsave_is_reserved_and_xsetbv_is_ud)
{
	struct {
		struct kvm_cpuid2 header;
		struct kvm_cpuid_entry2 entries[2];
	} cpuid = {
		.header.nent = 2,
		.entries = { { .function = 0, .eax = 1 }, { .function = 1 } },
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_CPUID2, &cpuid));
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_SREGS, &sregs));
	sregs.cr4 |= CR4_OSXSAVE;
	EXPECT_EQ(-1, ioctl(self->vcpu, KVM_SET_SREGS, &sregs));
	EXPECT_EQ(EINVAL, errno);

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_osxsave16, guest_osxsave16_end);
	set_real_mode_fault_vector(self->mem, UD_VECTOR);
	set_real_mode_fault_vector(self->mem, GP_VECTOR);
	EXPECT_OUT(0x21, 1, GP_VECTOR);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_SREGS, &sregs));
	EXPECT_EQ(0ULL, sregs.cr4 & CR4_OSXSAVE);

	/* XSETBV with CR4.OSXSAVE clear: #UD. */
	memcpy(self->mem + GUEST_CODE, guest_xsetbv16, guest_xsetbv16_end - guest_xsetbv16);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	regs.rip = GUEST_CODE;
	regs.rsp = GUEST_STACK;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_REGS, &regs));
	EXPECT_OUT(0x21, 1, UD_VECTOR);
}

#define EVENTS_FLAGS	((__u32)(KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW))

static void get_events(struct __test_metadata *_metadata, int vcpu,
		       struct kvm_vcpu_events *events)
{
	memset(events, 0xaa, sizeof(*events));
	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_VCPU_EVENTS, events));
}

TEST_F(x86, vcpu_events_shadow_and_interrupt)
{
	struct kvm_vcpu_events events, again;

	ASSERT_EQ(1, ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_VCPU_EVENTS));
	setup_real_mode(_metadata, self->vcpu, self->mem, guest_events16, guest_events16_end);
	set_real_mode_vector(self->mem, 0x20);
	EXPECT_OUT(0x2c, 1, 0);
	/* Stopped on the OUT in STI's shadow, nothing queued. */
	get_events(_metadata, self->vcpu, &events);
	EXPECT_EQ(EVENTS_FLAGS, events.flags & EVENTS_FLAGS);
	EXPECT_EQ(KVM_X86_SHADOW_INT_STI, events.interrupt.shadow);
	EXPECT_EQ(0, events.interrupt.injected);
	EXPECT_EQ(0, events.exception.injected);
	EXPECT_EQ(0, events.exception.pending);
	EXPECT_EQ(0, events.nmi.injected);
	EXPECT_EQ(0, events.nmi.masked);
	/* What GET gives, SET takes back unchanged. */
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_VCPU_EVENTS, &events));
	get_events(_metadata, self->vcpu, &again);
	EXPECT_EQ(0, memcmp(&events, &again, sizeof(events)));

	/* Each shadow, and both at once: MOV SS wins. */
	events.flags = KVM_VCPUEVENT_VALID_SHADOW;
	events.interrupt.shadow = 0;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_VCPU_EVENTS, &events));
	get_events(_metadata, self->vcpu, &again);
	EXPECT_EQ(0, again.interrupt.shadow);
	events.interrupt.shadow = KVM_X86_SHADOW_INT_STI | KVM_X86_SHADOW_INT_MOV_SS;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_VCPU_EVENTS, &events));
	get_events(_metadata, self->vcpu, &again);
	EXPECT_EQ(KVM_X86_SHADOW_INT_MOV_SS, again.interrupt.shadow);

	/* Refused as KVM refuses: unknown flags, NMI as an exception. */
	events.flags = 0x80;
	EXPECT_EQ(-1, ioctl(self->vcpu, KVM_SET_VCPU_EVENTS, &events));
	EXPECT_EQ(EINVAL, errno);
	events.flags = 0;
	events.exception.injected = 1;
	events.exception.nr = 2;
	EXPECT_EQ(-1, ioctl(self->vcpu, KVM_SET_VCPU_EVENTS, &events));
	EXPECT_EQ(EINVAL, errno);

	/* The STI shadow back, and an interrupt: it comes once the OUT is done. */
	events.exception.injected = 0;
	events.exception.nr = 0;
	events.flags = KVM_VCPUEVENT_VALID_SHADOW;
	events.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	events.interrupt.injected = 1;
	events.interrupt.nr = 0x20;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_VCPU_EVENTS, &events));
	get_events(_metadata, self->vcpu, &again);
	EXPECT_EQ(KVM_X86_SHADOW_INT_STI, again.interrupt.shadow);
	EXPECT_EQ(1, again.interrupt.injected);
	EXPECT_EQ(0x20, again.interrupt.nr);
	EXPECT_OUT(0x21, 1, 0);
	EXPECT_OUT(0x2d, 1, 0);
	get_events(_metadata, self->vcpu, &again);
	EXPECT_EQ(0, again.interrupt.shadow);
	EXPECT_EQ(0, again.interrupt.injected);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
}

/* An exception set with KVM_SET_VCPU_EVENTS is read back, then delivered first thing. */
TEST_F(x86, vcpu_events_inject_exception)
{
	struct kvm_vcpu_events events, again;

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_events16, guest_events16_end);
	set_real_mode_fault_vector(self->mem, UD_VECTOR);
	get_events(_metadata, self->vcpu, &events);
	events.exception.injected = 1;
	events.exception.nr = UD_VECTOR;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_VCPU_EVENTS, &events));
	get_events(_metadata, self->vcpu, &again);
	EXPECT_EQ(1, again.exception.injected);
	EXPECT_EQ(UD_VECTOR, again.exception.nr);
	EXPECT_EQ(0, again.exception.has_error_code);
	EXPECT_OUT(0x21, 1, UD_VECTOR);
}

/*
 * A shadow set with KVM_SET_VCPU_EVENTS holds a queued interrupt back for one instruction.
 * KVM takes an injected interrupt as already being delivered and injects it at the next
 * entry whatever the shadow, which VM entry refuses, so this is minikvm's behaviour only.
 */
TEST_F(x86, vcpu_events_shadow_delays_interrupt)
{
	struct kvm_vcpu_events events;

	if (!kvm_dev_is_minikvm())
		SKIP(return, "real KVM 6.1 (measured): KVM_EXIT_FAIL_ENTRY, invalid guest state");
	setup_real_mode(_metadata, self->vcpu, self->mem, guest_events16, guest_events16_end);
	set_real_mode_vector(self->mem, 0x20);
	EXPECT_OUT(0x2c, 1, 0);
	EXPECT_OUT(0x2d, 1, 0);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	/* After the HLT, interrupts on: the shadow alone keeps the interrupt out. */
	get_events(_metadata, self->vcpu, &events);
	events.flags = KVM_VCPUEVENT_VALID_SHADOW;
	events.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	events.interrupt.injected = 1;
	events.interrupt.nr = 0x20;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_VCPU_EVENTS, &events));
	EXPECT_OUT(0x2e, 1, 0);
	EXPECT_OUT(0x21, 1, 0);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
}

static struct timespec signal_time;

static void record_signal(int sig)
{
	clock_gettime(CLOCK_MONOTONIC, &signal_time);
}

static double elapsed_ms(const struct timespec *from, const struct timespec *to)
{
	return (to->tv_sec - from->tv_sec) * 1e3 + (to->tv_nsec - from->tv_nsec) / 1e6;
}

static void signal_leaves_guest(struct __test_metadata *_metadata, int vcpu,
				struct kvm_run *run, const unsigned char *code,
				const unsigned char *end)
{
	struct sigaction sa = { .sa_handler = record_signal };
	struct itimerval timer = { .it_value = { .tv_usec = 100000 } };
	struct timespec back;
	struct kvm_regs regs;
	double ms;

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &timer, NULL));
	EXPECT_EQ(-1, ioctl(vcpu, KVM_RUN, 0));
	EXPECT_EQ(EINTR, errno);
	clock_gettime(CLOCK_MONOTONIC, &back);
	ASSERT_EQ((__u32)KVM_EXIT_INTR, run->exit_reason);
	ms = elapsed_ms(&signal_time, &back);
	TH_LOG("KVM_RUN returned %.2f ms after the signal", ms);
	/* Generous: the lab's emulated hosts are slow; real hardware takes microseconds. */
	EXPECT_GT(100.0, ms);
	/* The guest was running its loop: RIP is in it. */
	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_REGS, &regs));
	EXPECT_LE(GUEST_CODE, regs.rip);
	EXPECT_GT(GUEST_CODE + (end - code), regs.rip);
	signal(SIGALRM, SIG_DFL);
}

#define GUEST_GDT		0xd000ULL
#define GUEST_IDT		0xe000ULL
#define AC_VECTOR		17
#define CR0_AM			(1ULL << 18)
#define RFLAGS_IOPL3		0x3000ULL
#define RFLAGS_AC		(1ULL << 18)

/*
 * 32-bit protected mode at CPL 3 with IOPL 3 and alignment checking on (CR0.AM, EFLAGS.AC),
 * running @code at GUEST_CODE with ESP at @esp. The GDT has flat DPL 3 segments (0x0b, 0x13)
 * and the IDT one gate, #AC's, to @handler at CPL 3.
 */
static void setup_cpl3_alignment_check(struct __test_metadata *_metadata,
				       FIXTURE_DATA(x86) * self, const unsigned char *code,
				       const unsigned char *end, const unsigned char *handler,
				       uint32_t esp)
{
	uint64_t *gdt = (uint64_t *)(self->mem + GUEST_GDT);
	uint64_t *idt = (uint64_t *)(self->mem + GUEST_IDT);
	uint32_t entry = GUEST_CODE + (handler - code);
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	memcpy(self->mem + GUEST_CODE, code, end - code);
	gdt[1] = 0x00cffa000000ffffULL;		/* code, DPL 3 */
	gdt[2] = 0x00cff2000000ffffULL;		/* data, DPL 3 */
	/* A present 32-bit interrupt gate, DPL 3, to 0x0b:entry. */
	idt[AC_VECTOR] = (entry & 0xffff) | 0x0bULL << 16 |
			 (uint64_t)((entry & 0xffff0000) | 0xee00) << 32;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_SREGS, &sregs));
	sregs.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_AM;
	set_seg32(&sregs.cs, true);
	set_seg32(&sregs.ds, false);
	sregs.cs.dpl = 3;
	sregs.cs.selector = 0x0b;
	sregs.ds.dpl = 3;
	sregs.ds.selector = 0x13;
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = GUEST_GDT;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.idt.base = GUEST_IDT;
	sregs.idt.limit = (AC_VECTOR + 1) * 8 - 1;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_SREGS, &sregs));
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE;
	regs.rflags = 2 | RFLAGS_IOPL3 | RFLAGS_AC;
	regs.rsp = esp;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_REGS, &regs));
}

/* The #AC the hypervisor intercepts reaches the guest's handler, error code 0. */
TEST_F(x86, alignment_check_reaches_the_guest)
{
	setup_cpl3_alignment_check(_metadata, self, guest_ac32, guest_ac32_end,
				   guest_ac32_handler, GUEST_STACK);
	EXPECT_OUT(0x2f, 4, 0);
	EXPECT_OUT(0x21, 1, AC_VECTOR);
}

/*
 * With ESP misaligned, every #AC's delivery raises another: without the intercept the CPU
 * loops inside itself and the host CPU hangs (CVE-2015-5307). With it, the first #AC in
 * the delivery of another comes to userspace as KVM's simultaneous-exception error.
 */
TEST_F(x86, alignment_check_storm_ends_in_userspace)
{
	setup_cpl3_alignment_check(_metadata, self, guest_ac_storm32, guest_ac_storm32_end,
				   guest_ac_storm32, GUEST_STACK - 1);
	ASSERT_EQ(0, run_vcpu(self)) TH_LOG("KVM_RUN: %s", strerror(errno));
	ASSERT_EXIT(KVM_EXIT_INTERNAL_ERROR);
	EXPECT_EQ((__u32)KVM_INTERNAL_ERROR_SIMUL_EX, self->run->internal.suberror);
	ASSERT_LE(3u, self->run->internal.ndata);
	/* Delivering a hardware exception (type 3), #AC, and the #AC that delivery raised. */
	EXPECT_EQ(0x80000b11ULL, self->run->internal.data[0] & 0x80000fffULL);
	EXPECT_EQ(0x80000b11ULL, self->run->internal.data[1] & 0x80000fffULL);
	/* Error code 1: EXT, raised while delivering another event (SDM 6.13). */
	EXPECT_EQ(1ULL, self->run->internal.data[2]);
}

/*
 * request_interrupt_window with the window already open (IF set, no shadow): KVM makes the
 * guest exit right after the entry and returns KVM_EXIT_IRQ_WINDOW_OPEN, rather than
 * running it until some other exit. The guest's first KVM_RUN ends at its OUT (so that
 * its code is mapped); then it counts in ECX: no count means no instruction ran. A timer
 * bounds a wrong answer.
 */
TEST_F(x86, open_interrupt_window_exits_at_once)
{
	struct itimerval timer = { .it_value = { .tv_sec = 1 } }, off = { 0 };
	struct sigaction sa = { .sa_handler = record_signal };
	struct kvm_regs regs;

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_count16, guest_count16_end);
	EXPECT_OUT(0x20, 1, 0);
	EXPECT_EQ(1, self->run->ready_for_interrupt_injection);
	self->run->request_interrupt_window = 1;
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &timer, NULL));
	EXPECT_EQ(0, run_vcpu(self)) TH_LOG("KVM_RUN: %s", strerror(errno));
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	EXPECT_EQ((__u32)KVM_EXIT_IRQ_WINDOW_OPEN, self->run->exit_reason);
	EXPECT_EQ(1, self->run->ready_for_interrupt_injection);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(0ULL, regs.rcx & 0xffffffff);
}

TEST_F(x86, pio_exit_rate)
{
	const int loops = 5000;
	struct timespec start, end;
	struct kvm_regs regs;
	double ms;
	int i;

	setup_real_mode(_metadata, self->vcpu, self->mem, guest_loop16, guest_loop16_end);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	regs.rcx = loops;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_REGS, &regs));
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < loops; i++) {
		ASSERT_EQ(0, run_vcpu(self));
		ASSERT_EXIT(KVM_EXIT_IO);
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	ms = elapsed_ms(&start, &end);
	TH_LOG("%d userspace PIO exits in %.0f ms: %.0f exits/s", loops, ms, loops * 1e3 / ms);
}

TEST_F(x86, signal_leaves_spinning_guest)
{
	setup_real_mode(_metadata, self->vcpu, self->mem, guest_spin16, guest_spin16_end);
	signal_leaves_guest(_metadata, self->vcpu, self->run, guest_spin16, guest_spin16_end);
}

TEST_F(x86, signal_leaves_guest_spinning_with_interrupts_off)
{
	if (!kvm_dev_is_minikvm())
		SKIP(return, "real KVM freezes the lab's Bochs on IF=0 spins (lab-notes)");
	setup_real_mode(_metadata, self->vcpu, self->mem, guest_spin_cli16,
			guest_spin_cli16_end);
	signal_leaves_guest(_metadata, self->vcpu, self->run, guest_spin_cli16,
			    guest_spin_cli16_end);
}

TEST_F(x86, ioeventfd_signalled_by_guest)
{
	struct kvm_ioeventfd ioeventfd = {
		.addr = 0x40,
		.len = 1,
		.flags = KVM_IOEVENTFD_FLAG_PIO,
	};
	uint64_t count = 0;
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	ioeventfd.fd = efd;
	ASSERT_EQ(0, ioctl(self->vm, KVM_IOEVENTFD, &ioeventfd));
	setup_real_mode(_metadata, self->vcpu, self->mem, guest_ioeventfd16, guest_ioeventfd16_end);
	/* The three writes to 0x40 never reach userspace: the first exit is 0x41. */
	EXPECT_OUT(0x41, 1, 1);
	ASSERT_EQ((ssize_t)sizeof(count), read(efd, &count, sizeof(count)));
	EXPECT_EQ(3ULL, count);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	close(efd);
}

TEST_F(x86, guest_writes_reach_userspace_memory)
{
	struct kvm_userspace_memory_region region = { .memory_size = 0x10000 };
	unsigned char *high;

	setup_high_slot_guest(_metadata, self, &region, &high, guest_mem16, guest_mem16_end);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	EXPECT_EQ(0xbeef, *(uint16_t *)(self->mem + GUEST_DATA));
	EXPECT_EQ(0xfeedface, *(uint32_t *)(high + 0x10));
	/* Deleting the slot while the vCPU is stopped gives its pages back; it still runs. */
	region.memory_size = 0;
	ASSERT_EQ(0, ioctl(self->vm, KVM_SET_USER_MEMORY_REGION, &region));
	munmap(high, 0x10000);
}

/* The vCPU's "exits" counter from its binary stats, or -1. */
static int64_t read_exits_stat(int vcpu)
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
		if (strcmp(desc->name, "exits"))
			continue;
		if (pread(fd, &value, sizeof(value), header.data_offset + desc->offset) !=
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

TEST_F(x86, stats_count_exits)
{
	const int loops = 100;
	int64_t before, after;
	struct kvm_regs regs;
	int i;

	if (!kvm_dev_is_minikvm())
		SKIP(return, "exit counts are minikvm's (real KVM counts its own way)");
	setup_real_mode(_metadata, self->vcpu, self->mem, guest_loop16, guest_loop16_end);
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_GET_REGS, &regs));
	regs.rcx = loops;
	ASSERT_EQ(0, ioctl(self->vcpu, KVM_SET_REGS, &regs));
	before = read_exits_stat(self->vcpu);
	ASSERT_LE(0, before);
	for (i = 0; i < loops; i++)
		EXPECT_OUT(0x50, 1, 0);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	after = read_exits_stat(self->vcpu);
	/* One exit per OUT and for the HLT, and one per EPT fill and host interrupt. */
	EXPECT_LE(before + loops + 1, after);
	TH_LOG("exits: %lld for %d OUTs and a HLT", (long long)(after - before), loops);
}

TEST(many_vm_lifetimes)
{
	/* Real KVM sets up far more per VM: 0.1-1.3 s each in the lab's Bochs. */
	const int cycles = kvm_dev_is_minikvm() ? 1000 : 10;
	struct timespec start, end;
	int kvm = open_kvm_dev();
	int i;

	ASSERT_LE(0, kvm);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (i = 0; i < cycles; i++) {
		struct kvm_userspace_memory_region region = { .memory_size = 0x10000 };
		unsigned char *mem = mmap(NULL, region.memory_size, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int vm = ioctl(kvm, KVM_CREATE_VM, 0);
		struct kvm_sregs sregs;
		struct kvm_regs regs = { .rip = GUEST_CODE, .rflags = 2 };
		struct kvm_run *run;
		int vcpu;

		ASSERT_NE(MAP_FAILED, mem);
		ASSERT_LE(0, vm);
		memcpy(mem + GUEST_CODE, guest_pio16, 2);	/* mov $0x12, %al */
		mem[GUEST_CODE + 2] = 0xf4;			/* hlt */
		region.userspace_addr = (unsigned long)mem;
		ASSERT_EQ(0, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region));
		vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
		ASSERT_LE(0, vcpu);
		run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE,
			   MAP_SHARED, vcpu, 0);
		ASSERT_NE(MAP_FAILED, run);
		ASSERT_EQ(0, ioctl(vcpu, KVM_GET_SREGS, &sregs));
		sregs.cs.selector = 0;
		sregs.cs.base = 0;
		ASSERT_EQ(0, ioctl(vcpu, KVM_SET_SREGS, &sregs));
		ASSERT_EQ(0, ioctl(vcpu, KVM_SET_REGS, &regs));
		ASSERT_EQ(0, ioctl(vcpu, KVM_RUN, 0));
		ASSERT_EQ((__u32)KVM_EXIT_HLT, run->exit_reason);
		munmap(run, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
		close(vcpu);
		close(vm);
		munmap(mem, region.memory_size);
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	TH_LOG("%d VM create/run/destroy cycles in %.0f ms", cycles, elapsed_ms(&start, &end));
	close(kvm);
}

TEST_HARNESS_MAIN
