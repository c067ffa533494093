// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_IOEVENTFD as an ioctl: what is accepted, what is refused with which errno, collisions,
 * deassignment, and the VM's teardown with registrations in place. A guest's write reaching
 * an ioeventfd is each backend's test (it needs a guest). Run against minikvm and real KVM;
 * both must agree.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "minikvm_util.h"

FIXTURE(ioeventfd) {
	int kvm;
	int vm;
	int efd;
};

FIXTURE_SETUP(ioeventfd)
{
	self->kvm = open_kvm_dev();
	ASSERT_LE(0, self->kvm) TH_LOG("open %s: %s", kvm_dev_path(), strerror(errno));
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
	self->efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(ioeventfd)
{
	close(self->efd);
	close(self->vm);
	close(self->kvm);
}

static int assign(int vm, int fd, __u64 addr, __u32 len, __u32 flags, __u64 datamatch)
{
	struct kvm_ioeventfd args = {
		.datamatch = datamatch, .addr = addr, .len = len, .fd = fd, .flags = flags,
	};

	return ioctl(vm, KVM_IOEVENTFD, &args);
}

/* The errno of a call that must fail, or 0 if it succeeded. */
static int assign_errno(int vm, int fd, __u64 addr, __u32 len, __u32 flags, __u64 datamatch)
{
	return assign(vm, fd, addr, len, flags, datamatch) ? errno : 0;
}

TEST_F(ioeventfd, capability)
{
	EXPECT_EQ(1, ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD));
}

TEST_F(ioeventfd, every_natural_length_on_both_buses)
{
	const __u32 lens[] = { 0, 1, 2, 4, 8 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		EXPECT_EQ(0, assign_errno(self->vm, self->efd, 0x100 + 0x10 * i, lens[i],
					  KVM_IOEVENTFD_FLAG_PIO, 0));
		EXPECT_EQ(0, assign_errno(self->vm, self->efd, 0x10000000 + 0x10 * i, lens[i], 0, 0));
	}
}

TEST_F(ioeventfd, bad_requests_are_refused)
{
	/* Not a natural access size. */
	EXPECT_EQ(EINVAL, assign_errno(self->vm, self->efd, 0x100, 3, KVM_IOEVENTFD_FLAG_PIO, 0));
	EXPECT_EQ(EINVAL, assign_errno(self->vm, self->efd, 0x1000, 16, 0, 0));
	/* Any length means no data size to compare. */
	EXPECT_EQ(EINVAL, assign_errno(self->vm, self->efd, 0x1000, 0,
				       KVM_IOEVENTFD_FLAG_DATAMATCH, 1));
	/* A range that wraps around. */
	EXPECT_EQ(EINVAL, assign_errno(self->vm, self->efd, ~0ULL - 1, 4, 0, 0));
	/* A flag nobody defines. */
	EXPECT_EQ(EINVAL, assign_errno(self->vm, self->efd, 0x1000, 4, 1U << 10, 0));
	/* Not an fd, and not an eventfd. */
	EXPECT_EQ(EBADF, assign_errno(self->vm, -1, 0x1000, 4, 0, 0));
	EXPECT_EQ(EINVAL, assign_errno(self->vm, self->vm, 0x1000, 4, 0, 0));
	/* The struct itself out of reach. */
	EXPECT_EQ(-1, ioctl(self->vm, KVM_IOEVENTFD, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(ioeventfd, collisions_and_datamatch)
{
	__u32 dm = KVM_IOEVENTFD_FLAG_DATAMATCH;

	ASSERT_EQ(0, assign_errno(self->vm, self->efd, 0x2000, 4, dm, 1));
	/* Another value at the same place is another registration... */
	EXPECT_EQ(0, assign_errno(self->vm, self->efd, 0x2000, 4, dm, 2));
	/* ...the same value is not, nor a wildcard over it, nor any length. */
	EXPECT_EQ(EEXIST, assign_errno(self->vm, self->efd, 0x2000, 4, dm, 1));
	EXPECT_EQ(EEXIST, assign_errno(self->vm, self->efd, 0x2000, 4, 0, 0));
	EXPECT_EQ(EEXIST, assign_errno(self->vm, self->efd, 0x2000, 0, 0, 0));
	/* Another length, another bus, or another address do not collide. */
	EXPECT_EQ(0, assign_errno(self->vm, self->efd, 0x2000, 2, 0, 0));
	EXPECT_EQ(0, assign_errno(self->vm, self->efd, 0x2000, 4, KVM_IOEVENTFD_FLAG_PIO, 0));
	EXPECT_EQ(0, assign_errno(self->vm, self->efd, 0x2004, 4, 0, 0));
}

TEST_F(ioeventfd, deassign_finds_the_exact_registration)
{
	__u32 dm = KVM_IOEVENTFD_FLAG_DATAMATCH, de = KVM_IOEVENTFD_FLAG_DEASSIGN;
	int other = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, assign_errno(self->vm, self->efd, 0x3000, 4, dm, 7));
	/* Nothing else matches it: value, length, eventfd, bus, wildcard. */
	EXPECT_EQ(ENOENT, assign_errno(self->vm, self->efd, 0x3000, 4, dm | de, 8));
	EXPECT_EQ(ENOENT, assign_errno(self->vm, self->efd, 0x3000, 2, dm | de, 7));
	EXPECT_EQ(ENOENT, assign_errno(self->vm, other, 0x3000, 4, dm | de, 7));
	EXPECT_EQ(ENOENT, assign_errno(self->vm, self->efd, 0x3000, 4,
				       dm | de | KVM_IOEVENTFD_FLAG_PIO, 7));
	EXPECT_EQ(ENOENT, assign_errno(self->vm, self->efd, 0x3000, 4, de, 0));
	EXPECT_EQ(EBADF, assign_errno(self->vm, -1, 0x3000, 4, dm | de, 7));
	/* The exact one goes, once; then the place is free again. */
	EXPECT_EQ(0, assign_errno(self->vm, self->efd, 0x3000, 4, dm | de, 7));
	EXPECT_EQ(ENOENT, assign_errno(self->vm, self->efd, 0x3000, 4, dm | de, 7));
	EXPECT_EQ(0, assign_errno(self->vm, self->efd, 0x3000, 4, 0, 0));
	close(other);
}

/*
 * Registrations keep their eventfd alive after userspace closes it, and all go with the
 * VM: many of them, on both buses, left in place at close (module_test's leak check
 * counts the pages).
 */
TEST_F(ioeventfd, vm_teardown_with_registrations)
{
	int vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	int i, efd;

	ASSERT_LE(0, vm);
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	/*
	 * 50 of each: every registration waits for an SRCU grace period, and 200 of each ran
	 * past the harness's 30 s (~75 ms a wait) in 2 of 3 full runs in the lab's Bochs.
	 */
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, assign_errno(vm, efd, 0x100 + i, 1, KVM_IOEVENTFD_FLAG_PIO, 0));
		ASSERT_EQ(0, assign_errno(vm, efd, 0x40000000 + 8 * i, 8, 0, 0));
	}
	close(efd);
	EXPECT_EQ(0, close(vm));
}

TEST_HARNESS_MAIN
