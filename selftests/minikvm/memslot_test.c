// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_SET_USER_MEMORY_REGION: create, move, change flags, delete, and every refusal with
 * KVM's errno. Run against minikvm and real KVM; both must agree.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "minikvm_util.h"

#define MB		(1UL << 20)
#define GB		(1UL << 30)
/* Guest memory for the tests: 2 MiB at guest physical 1 MiB. */
#define MEM_SIZE	(2 * MB)
#define MEM_GPA		(1 * MB)

FIXTURE(slots) {
	int kvm;
	int vm;
	void *mem;
};

FIXTURE_SETUP(slots)
{
	self->kvm = open_kvm_dev();
	ASSERT_LE(0, self->kvm);
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm);
	self->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(slots)
{
	close(self->vm);
	close(self->kvm);
	munmap(self->mem, MEM_SIZE);
}

static int set_region(int vm, __u32 slot, __u32 flags, __u64 gpa, __u64 size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (unsigned long)hva,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) ? errno : 0;
}

TEST_F(slots, create_move_delete)
{
	ASSERT_EQ(0, set_region(self->vm, 0, 0, MEM_GPA, MEM_SIZE, self->mem));
	/* The same again is no change; a new guest address moves the slot. */
	ASSERT_EQ(0, set_region(self->vm, 0, 0, MEM_GPA, MEM_SIZE, self->mem));
	ASSERT_EQ(0, set_region(self->vm, 0, 0, 16 * MB, MEM_SIZE, self->mem));
	/* Size 0 deletes; deleting what is not there is refused. */
	ASSERT_EQ(0, set_region(self->vm, 0, 0, 16 * MB, 0, self->mem));
	ASSERT_EQ(EINVAL, set_region(self->vm, 0, 0, 16 * MB, 0, self->mem));
	/* The id is free again. */
	ASSERT_EQ(0, set_region(self->vm, 0, 0, MEM_GPA, MEM_SIZE, self->mem));
}

TEST_F(slots, misaligned_is_einval)
{
	long page = getpagesize();

	EXPECT_EQ(EINVAL, set_region(self->vm, 0, 0, MEM_GPA + 1, MEM_SIZE, self->mem));
	EXPECT_EQ(EINVAL, set_region(self->vm, 0, 0, MEM_GPA, MEM_SIZE - 1, self->mem));
	EXPECT_EQ(EINVAL, set_region(self->vm, 0, 0, MEM_GPA, MEM_SIZE - page,
				     (char *)self->mem + 1));
}

TEST_F(slots, bad_slot_flags_and_ranges_are_einval)
{
	int nr = ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);

	ASSERT_LT(0, nr);
	EXPECT_EQ(EINVAL, set_region(self->vm, nr, 0, MEM_GPA, MEM_SIZE, self->mem));
	EXPECT_EQ(EINVAL, set_region(self->vm, 0, 1U << 31, MEM_GPA, MEM_SIZE, self->mem));
	/* Guest range wrapping around the top of the address space. */
	EXPECT_EQ(EINVAL, set_region(self->vm, 0, 0, -MB, MEM_SIZE, self->mem));
	/* A "userspace" address in the kernel's half. */
	EXPECT_EQ(EINVAL, set_region(self->vm, 0, 0, MEM_GPA, MEM_SIZE,
				     (void *)0xffff800000000000UL));
}

/* Beyond the guest physical address space (x86: MAXPHYADDR; arm64: the 40-bit IPA space). */
TEST_F(slots, beyond_guest_address_space)
{
#if defined(__aarch64__)
	const int expected = EFAULT;
#else
	const int expected = EINVAL;
#endif
	ASSERT_EQ(expected, set_region(self->vm, 0, 0, 1UL << 52, MEM_SIZE, self->mem));
	/* Moving an existing slot there is checked the same way. */
	ASSERT_EQ(0, set_region(self->vm, 0, 0, MEM_GPA, MEM_SIZE, self->mem));
	ASSERT_EQ(expected, set_region(self->vm, 0, 0, 1UL << 52, MEM_SIZE, self->mem));
}

TEST_F(slots, overlap_is_eexist)
{
	ASSERT_EQ(0, set_region(self->vm, 0, 0, MEM_GPA, MB, self->mem));
	/* Another slot over the same guest pages, fully or partly. */
	EXPECT_EQ(EEXIST, set_region(self->vm, 1, 0, MEM_GPA, MB, (char *)self->mem + MB));
	EXPECT_EQ(EEXIST, set_region(self->vm, 1, 0, MEM_GPA - MB / 2, MB,
				     (char *)self->mem + MB));
	/* Next to it is fine; moving onto it is not. */
	ASSERT_EQ(0, set_region(self->vm, 1, 0, MEM_GPA + MB, MB, (char *)self->mem + MB));
	EXPECT_EQ(EEXIST, set_region(self->vm, 1, 0, MEM_GPA, MB, (char *)self->mem + MB));
}

TEST_F(slots, existing_slot_keeps_size_and_backing)
{
	ASSERT_EQ(0, set_region(self->vm, 0, 0, MEM_GPA, MEM_SIZE, self->mem));
	EXPECT_EQ(EINVAL, set_region(self->vm, 0, 0, MEM_GPA, MB, self->mem));
	EXPECT_EQ(EINVAL, set_region(self->vm, 0, 0, MEM_GPA, MB, (char *)self->mem + MB));
	/* Read-only cannot be switched on or off on an existing slot. */
	EXPECT_EQ(EINVAL, set_region(self->vm, 0, KVM_MEM_READONLY, MEM_GPA, MEM_SIZE,
				     self->mem));
}

TEST_F(slots, readonly_slot)
{
	ASSERT_EQ(0, set_region(self->vm, 0, KVM_MEM_READONLY, MEM_GPA, MEM_SIZE, self->mem));
}

/* A slot records an address range: its size costs neither time nor memory. */
TEST_F(slots, huge_slot_is_cheap)
{
	size_t size = 16 * GB;
	struct timespec t0, t1;
	long ms;
	void *mem;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(0, set_region(self->vm, 0, 0, 4 * GB, size, mem));
	EXPECT_EQ(0, set_region(self->vm, 0, 0, 4 * GB, 0, mem));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	TH_LOG("create and delete a 16 GiB slot: %ld ms", ms);
	/* Far less than touching 4M pages would take, even in an emulator. */
	EXPECT_GT(1000, ms);
	munmap(mem, size);
}

TEST_HARNESS_MAIN
