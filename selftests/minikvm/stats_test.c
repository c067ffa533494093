// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_GET_STATS_FD on a VM and a vCPU: the binary format (header, id, descriptors, data),
 * reads at any offset, the fd's own lifetime, and the counters every KVM has. Run against
 * minikvm and real KVM; both must agree.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "minikvm_util.h"

FIXTURE(stats) {
	int kvm;
	int vm;
	int vcpu;
};

FIXTURE_SETUP(stats)
{
	self->kvm = open_kvm_dev();
	ASSERT_LE(0, self->kvm) TH_LOG("open %s: %s", kvm_dev_path(), strerror(errno));
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
	self->vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, self->vcpu) TH_LOG("KVM_CREATE_VCPU: %s", strerror(errno));
}

FIXTURE_TEARDOWN(stats)
{
	close(self->vcpu);
	close(self->vm);
	close(self->kvm);
}

/*
 * Reads a whole stats file and checks its layout. Returns the number of descriptors, or -1
 * (after failing the test) if the file is malformed; sets *found to the descriptor index
 * named @want, or -1.
 */
static int check_stats_file(struct __test_metadata *_metadata, int fd, const char *id_prefix,
			    const char *want, int *found)
{
	struct kvm_stats_header h;
	char id[256], buf[4096];
	size_t desc_size;
	__u32 i, end = 0;

	*found = -1;
	EXPECT_EQ((ssize_t)sizeof(h), pread(fd, &h, sizeof(h), 0));
	EXPECT_EQ(0U, h.flags);
	EXPECT_LT(0U, h.num_desc);
	EXPECT_LE(8U, h.name_size);
	EXPECT_GE(sizeof(id), h.name_size);
	if (h.name_size > sizeof(id) || !h.num_desc)
		return -1;
	EXPECT_LE(sizeof(h), (size_t)h.id_offset);
	EXPECT_EQ((ssize_t)h.name_size, pread(fd, id, h.name_size, h.id_offset));
	id[h.name_size - 1] = 0;
	EXPECT_EQ(0, strncmp(id, id_prefix, strlen(id_prefix))) TH_LOG("id '%s'", id);

	desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	EXPECT_GE(sizeof(buf), desc_size);
	for (i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)buf;

		EXPECT_EQ((ssize_t)desc_size, pread(fd, buf, desc_size, h.desc_offset + i * desc_size));
		d->name[h.name_size - 1] = 0;
		EXPECT_LT(0U, strlen(d->name));
		EXPECT_LT(0, (int)d->size) TH_LOG("%s has no data", d->name);
		EXPECT_EQ(0U, d->offset % 8);
		if (d->offset + d->size * 8 > end)
			end = d->offset + d->size * 8;
		if (!strcmp(d->name, want))
			*found = i;
	}
	/* The data block ends with the last counter: reading there gives the rest, then 0. */
	EXPECT_LE(h.desc_offset + h.num_desc * desc_size, (size_t)h.data_offset);
	EXPECT_EQ((ssize_t)(sizeof(buf) < end ? sizeof(buf) : end),
		  pread(fd, buf, sizeof(buf) < end ? sizeof(buf) : end, h.data_offset));
	EXPECT_EQ(0, pread(fd, buf, 8, h.data_offset + end));
	return h.num_desc;
}

/* The first value of counter @index. */
static unsigned long long read_stat(int fd, int index)
{
	struct kvm_stats_header h;
	char buf[4096];
	unsigned long long v = ~0ULL;
	struct kvm_stats_desc *d = (struct kvm_stats_desc *)buf;

	if (pread(fd, &h, sizeof(h), 0) != sizeof(h) ||
	    pread(fd, buf, sizeof(*d) + h.name_size,
		  h.desc_offset + index * (sizeof(*d) + h.name_size)) <= 0 ||
	    pread(fd, &v, 8, h.data_offset + d->offset) != 8)
		return ~0ULL;
	return v;
}

TEST_F(stats, capability)
{
	EXPECT_EQ(1, ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD));
}

TEST_F(stats, vm_stats_are_well_formed)
{
	int fd = ioctl(self->vm, KVM_GET_STATS_FD, 0);
	int found;

	ASSERT_LE(0, fd) TH_LOG("KVM_GET_STATS_FD: %s", strerror(errno));
	EXPECT_LT(0, check_stats_file(_metadata, fd, "kvm-", "", &found));
	close(fd);
}

TEST_F(stats, vcpu_stats_are_well_formed_and_counted)
{
	int fd = ioctl(self->vcpu, KVM_GET_STATS_FD, 0);
	char prefix[64];
	int exits, signals;

	ASSERT_LE(0, fd) TH_LOG("KVM_GET_STATS_FD: %s", strerror(errno));
	snprintf(prefix, sizeof(prefix), "kvm-%d/vcpu-0", getpid());
	EXPECT_LT(0, check_stats_file(_metadata, fd, prefix, "exits", &exits));
	EXPECT_LT(0, check_stats_file(_metadata, fd, prefix, "signal_exits", &signals));
	/* Every KVM counts these two; a vCPU that never ran has counted nothing. */
	ASSERT_LE(0, exits);
	ASSERT_LE(0, signals);
	EXPECT_EQ(0ULL, read_stat(fd, exits));
	EXPECT_EQ(0ULL, read_stat(fd, signals));
	close(fd);
}

TEST_F(stats, fd_is_read_only_and_outlives_the_vm_fds)
{
	int vm_fd = ioctl(self->vm, KVM_GET_STATS_FD, 0);
	int vcpu_fd = ioctl(self->vcpu, KVM_GET_STATS_FD, 0);
	struct kvm_stats_header h;
	int found;

	ASSERT_LE(0, vm_fd);
	ASSERT_LE(0, vcpu_fd);
	EXPECT_EQ(-1, write(vcpu_fd, "x", 1));
	EXPECT_EQ(EBADF, errno);
	/* The stats fds keep the VM: reading them after every other fd is closed works. */
	close(self->vcpu);
	close(self->vm);
	self->vcpu = self->vm = -1;
	EXPECT_EQ((ssize_t)sizeof(h), pread(vm_fd, &h, sizeof(h), 0));
	EXPECT_LT(0, check_stats_file(_metadata, vcpu_fd, "kvm-", "", &found));
	close(vm_fd);
	close(vcpu_fd);
}

TEST_HARNESS_MAIN
