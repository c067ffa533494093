// SPDX-License-Identifier: GPL-2.0-only
/*
 * The system device: it opens, and its ioctls answer as real KVM's /dev/kvm does. Run
 * against both; every expectation here was checked against KVM in the reference hosts.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "minikvm_util.h"

/* A capability number far beyond any that KVM defines. */
#define UNKNOWN_CAP	0x7fff0000

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open_kvm_dev();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", kvm_dev_path(), strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F(dev, is_char_device_for_root_only)
{
	struct stat st;

	ASSERT_EQ(0, fstat(self->fd, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	if (!kvm_dev_is_minikvm())
		SKIP(return, "/dev/kvm's mode is udev's choice, not KVM's");
	/* Without a udev rule, only root may create VMs (see README.md). */
	ASSERT_EQ(0600u, st.st_mode & 07777);
}

TEST_F(dev, api_version)
{
	ASSERT_EQ(KVM_API_VERSION, ioctl(self->fd, KVM_GET_API_VERSION, 0));
}

TEST_F(dev, api_version_rejects_argument)
{
	ASSERT_EQ(-1, ioctl(self->fd, KVM_GET_API_VERSION, 1));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(dev, unknown_capability_is_zero)
{
	ASSERT_EQ(0, ioctl(self->fd, KVM_CHECK_EXTENSION, UNKNOWN_CAP));
	ASSERT_EQ(0, ioctl(self->fd, KVM_CHECK_EXTENSION, -1L));
}

TEST_F(dev, unknown_ioctl_is_einval)
{
	ASSERT_EQ(-1, ioctl(self->fd, _IO(KVMIO, 0xff), 0));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(dev, wrong_ioctl_encoding_is_einval)
{
	/* The API-version number with a size and direction: a different ioctl. */
	int v;

	ASSERT_EQ(-1, ioctl(self->fd, _IOR(KVMIO, 0x00, int), &v));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(dev, vm_ioctl_on_system_fd_is_einval)
{
	struct kvm_userspace_memory_region region = { 0 };

	ASSERT_EQ(-1, ioctl(self->fd, KVM_SET_USER_MEMORY_REGION, &region));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(dev, system_fd_cannot_be_mapped)
{
	/* Only vCPU fds map struct kvm_run; the system device has no mmap at all. */
	ASSERT_EQ(MAP_FAILED, mmap(NULL, getpagesize(), PROT_READ, MAP_SHARED, self->fd, 0));
	ASSERT_EQ(ENODEV, errno);
}

TEST_HARNESS_MAIN
