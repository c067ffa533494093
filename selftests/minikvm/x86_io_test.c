// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 guests' port I/O and MMIO, as userspace sees them through KVM_RUN: IN and OUT of
 * every size in real and long mode, REP string I/O, MMIO loads and stores decoded by the
 * emulator, an ioeventfd that takes a guest's writes before userspace would, the
 * completion of a pending IN under immediate_exit, and memslots seen from the guest:
 * read-only (a store is MMIO), deleted (gone from EPT), and written (the writes land in
 * userspace's memory). Run against minikvm and real KVM; both must agree.
 */
#include <sys/eventfd.h>

#include "x86_vm.h"

TEST_F(x86, real_mode_port_io_and_hlt)
{
	struct kvm_regs regs;
	size_t len = guest_pio16_end - guest_pio16;

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_pio16, guest_pio16_end);
	EXPECT_OUT(0x10, 1, 0x12);
	/* As KVM: RIP stays on the OUT until the next KVM_RUN completes it. */
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
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
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(GUEST_CODE + len, regs.rip);
	EXPECT_EQ(0xcafef00d, regs.rax & 0xffffffff);
}

TEST_F(x86, long_mode_port_io)
{
	struct kvm_regs regs;

	setup_long_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_pio64, guest_pio64_end);
	EXPECT_OUT(0x30, 4, 0x55667788);
	ANSWER_IN(0x31, 4, 0x9abcdef0);
	/* IN to EAX zeroes the upper half; the value survived a push and a pop. */
	EXPECT_OUT(0x32, 1, 0xf0);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(0x9abcdef0, regs.rax);
	EXPECT_EQ(0x9abcdef0, regs.rbx);
	EXPECT_EQ(GUEST_STACK, regs.rsp);
}

TEST_F(x86, rep_string_io)
{
	struct kvm_regs regs;

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_string16, guest_string16_end);
	memcpy(self->vm.mem + GUEST_DATA, "abc", 3);
	EXPECT_OUT(0x70, 1, 'a');
	EXPECT_OUT(0x70, 1, 'b');
	EXPECT_OUT(0x70, 1, 'c');
	/* As KVM's emulator, REP INS reads ahead: both words in one exit. */
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_IO);
	EXPECT_EQ((__u8)KVM_EXIT_IO_IN, self->vm.run->io.direction);
	EXPECT_EQ(0x71, self->vm.run->io.port);
	EXPECT_EQ(2, self->vm.run->io.size);
	ASSERT_EQ(2u, self->vm.run->io.count);
	memcpy((char *)self->vm.run + self->vm.run->io.data_offset, "\x11\x11\x22\x22", 4);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	EXPECT_EQ(0x1111, *(uint16_t *)(self->vm.mem + 0x5100));
	EXPECT_EQ(0x2222, *(uint16_t *)(self->vm.mem + 0x5102));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(0x5003ULL, regs.rsi & 0xffff);
	EXPECT_EQ(0x5104ULL, regs.rdi & 0xffff);
	EXPECT_EQ(0ULL, regs.rcx & 0xffff);
}

TEST_F(x86, immediate_exit_completes_pending_in)
{
	struct kvm_regs regs;

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_in16, guest_in16_end);
	self->vm.run->immediate_exit = 1;
	EXPECT_EQ(-1, run_vcpu(self));
	EXPECT_EQ(EINTR, errno);
	self->vm.run->immediate_exit = 0;
	ANSWER_IN(0x13, 1, 0xa5);
	self->vm.run->immediate_exit = 1;
	EXPECT_EQ(-1, run_vcpu(self));
	EXPECT_EQ(EINTR, errno);
	/* The exit reason is left alone, the IN is done. */
	ASSERT_EXIT(KVM_EXIT_IO);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(0xa5ULL, regs.rax & 0xff);
	EXPECT_EQ(GUEST_CODE + 2, regs.rip);
	self->vm.run->immediate_exit = 0;
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
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
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_IOEVENTFD, &ioeventfd));
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_ioeventfd16, guest_ioeventfd16_end);
	/* The three writes to 0x40 never reach userspace: the first exit is 0x41. */
	EXPECT_OUT(0x41, 1, 1);
	ASSERT_EQ((ssize_t)sizeof(count), read(efd, &count, sizeof(count)));
	EXPECT_EQ(3ULL, count);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	close(efd);
}

TEST_F(x86, real_mode_mmio)
{
	struct kvm_sregs sregs;

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_mmio16, guest_mmio16_end);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	sregs.es.base = GUEST_MMIO_GPA;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
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
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_IOEVENTFD, &ioeventfd));
	setup_long_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_mmio64, guest_mmio64_end);
	EXPECT_MMIO_STORE(GUEST_MMIO_GPA, 1, 0x11);
	/* As KVM: a store is done when userspace sees it, RIP is past it. */
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
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
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
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
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_SET_USER_MEMORY_REGION, region));
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, code, end);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	sregs.es.base = GUEST_HIGH_GPA;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
}

TEST_F(x86, readonly_slot_store_is_mmio)
{
	struct kvm_userspace_memory_region region = {
		.flags = KVM_MEM_READONLY,
		.memory_size = 0x1000,
	};
	unsigned char *ro;

	ASSERT_EQ(1, ioctl(self->vm.kvm, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM));
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
 * Stores to each page of a 4-page read-only slot, after loads that map every page: each
 * is MMIO at its own address, never at the first page's, and none reaches the memory.
 */
TEST_F(x86, readonly_slot_store_address_on_every_page)
{
	struct kvm_userspace_memory_region region = {
		.flags = KVM_MEM_READONLY,
		.memory_size = 0x4000,
	};
	unsigned char *ro;
	int i;

	setup_high_slot_guest(_metadata, self, &region, &ro, guest_ro_pages16,
			      guest_ro_pages16_end);
	for (i = 0; i < 4; i++)
		EXPECT_MMIO_STORE(GUEST_HIGH_GPA + i * 0x1000 + 0x10 + i, 1, 0x5a);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, ro[i * 0x1000 + 0x10 + i]);
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
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	page[0] = 0x42;
	/* First pass: the load and the store reach the slot, mapped in EPT on the way. */
	EXPECT_OUT(0x61, 1, 0x42);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	EXPECT_EQ(0x99, page[1]);

	region.memory_size = 0;
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_SET_USER_MEMORY_REGION, &region));
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_readonly16,
			guest_readonly16_end);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
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

TEST_F(x86, guest_writes_reach_userspace_memory)
{
	struct kvm_userspace_memory_region region = { .memory_size = 0x10000 };
	unsigned char *high;

	setup_high_slot_guest(_metadata, self, &region, &high, guest_mem16, guest_mem16_end);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	EXPECT_EQ(0xbeef, *(uint16_t *)(self->vm.mem + GUEST_DATA));
	EXPECT_EQ(0xfeedface, *(uint32_t *)(high + 0x10));
	/* Deleting the slot while the vCPU is stopped gives its pages back; it still runs. */
	region.memory_size = 0;
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_SET_USER_MEMORY_REGION, &region));
	munmap(high, 0x10000);
}

TEST_HARNESS_MAIN
