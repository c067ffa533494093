// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMs and vCPUs as objects: creation, limits, fds and their lifetime, the vCPU mmap, and
 * the capabilities that describe them. Run against minikvm and real KVM; both must agree.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "minikvm_util.h"

FIXTURE(vm) {
	int kvm;
	int vm;
};

FIXTURE_SETUP(vm)
{
	self->kvm = open_kvm_dev();
	ASSERT_LE(0, self->kvm) TH_LOG("open %s: %s", kvm_dev_path(), strerror(errno));
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
}

FIXTURE_TEARDOWN(vm)
{
	close(self->vm);
	close(self->kvm);
}

TEST_F(vm, bad_machine_type_is_einval)
{
#if defined(__aarch64__)
	/* Bits beyond the IPA size field, and an IPA size below the 32-bit minimum. */
	const unsigned long bad[] = { 0x100, KVM_VM_TYPE_ARM_IPA_SIZE(31) };
#else
	const unsigned long bad[] = { 1, 0x100 };
#endif
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, ioctl(self->kvm, KVM_CREATE_VM, bad[i]));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(vm, vcpu_limits_are_consistent)
{
	int nr = ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	int max = ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	int max_id = ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);

	ASSERT_LT(0, nr);
	ASSERT_LE(nr, max);
	ASSERT_LE(max, max_id);
	/* The VM fd answers too (KVM_CAP_CHECK_EXTENSION_VM), and the same. */
	ASSERT_EQ(1, ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM));
	ASSERT_EQ(max, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS));
	ASSERT_EQ(1, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY));
}

TEST_F(vm, vcpu_ids)
{
	int max_id = ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	int vcpu;

	vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, vcpu);
	EXPECT_EQ(-1, ioctl(self->vm, KVM_CREATE_VCPU, 0));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, ioctl(self->vm, KVM_CREATE_VCPU, max_id));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->vm, KVM_CREATE_VCPU, -1UL));
	EXPECT_EQ(EINVAL, errno);
	close(vcpu);
	/* Closing its fd does not free the id: the vCPU lives as long as the VM. */
	EXPECT_EQ(-1, ioctl(self->vm, KVM_CREATE_VCPU, 0));
	EXPECT_EQ(EEXIST, errno);
}

TEST_F(vm, vcpu_mmap_holds_kvm_run)
{
	int size = ioctl(self->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	int vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 1);
	struct kvm_run *run;

	ASSERT_LE(getpagesize(), size);
	ASSERT_EQ(0, size % getpagesize());
	ASSERT_LE(0, vcpu);
	EXPECT_EQ(-1, ioctl(self->kvm, KVM_GET_VCPU_MMAP_SIZE, 1));
	EXPECT_EQ(EINVAL, errno);

	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_NE(MAP_FAILED, run);
	/* A new vCPU has not exited yet; the page is shared, and writable by userspace. */
	EXPECT_EQ(KVM_EXIT_UNKNOWN, (int)run->exit_reason);
	run->immediate_exit = 1;
	EXPECT_EQ(1, run->immediate_exit);
	munmap(run, size);
	close(vcpu);
}

TEST_F(vm, vcpu_outlives_vm_fd)
{
	int size = ioctl(self->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	int vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 2);
	struct kvm_run *run;

	ASSERT_LE(0, vcpu);
	close(self->vm);
	/* The vCPU fd holds the VM: it still maps and answers. */
	run = mmap(NULL, size, PROT_READ, MAP_SHARED, vcpu, 0);
	ASSERT_NE(MAP_FAILED, run);
	EXPECT_EQ(KVM_EXIT_UNKNOWN, (int)run->exit_reason);
	EXPECT_EQ(-1, ioctl(vcpu, _IO(KVMIO, 0xff), 0));
	EXPECT_EQ(EINVAL, errno);
	munmap(run, size);
	close(vcpu);
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm);
}

TEST_F(vm, unknown_ioctls)
{
	int vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 3);

	ASSERT_LE(0, vcpu);
#if defined(__x86_64__)
	/* x86 KVM answers an unknown VM ioctl with ENOTTY, every other fd with EINVAL. */
	EXPECT_EQ(-1, ioctl(self->vm, _IO(KVMIO, 0xff), 0));
	EXPECT_EQ(ENOTTY, errno);
#else
	EXPECT_EQ(-1, ioctl(self->vm, _IO(KVMIO, 0xff), 0));
	EXPECT_EQ(EINVAL, errno);
#endif
	EXPECT_EQ(-1, ioctl(vcpu, _IO(KVMIO, 0xff), 0));
	EXPECT_EQ(EINVAL, errno);
	/* Not even a KVM ioctl. */
	EXPECT_EQ(-1, ioctl(vcpu, _IO('x', 1), 0));
	EXPECT_EQ(EINVAL, errno);
	close(vcpu);
}

/* Guest memory is the creator's address space: a child's ioctls on inherited fds fail. */
TEST_F(vm, other_process_gets_eio)
{
	int vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 4);
	int status;
	pid_t pid;

	ASSERT_LE(0, vcpu);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int ok = ioctl(self->vm, KVM_CREATE_VCPU, 5) == -1 && errno == EIO &&
			 ioctl(vcpu, KVM_RUN, 0) == -1 && errno == EIO;

		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	close(vcpu);
}

/* KVM_RUN takes no argument: EINVAL on both; minikvm also says why in dmesg. */
TEST_F(vm, run_with_an_argument_is_einval_and_explained)
{
	int vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 6);
	char line[1024];
	bool seen = false;
	ssize_t n;
	int kmsg;

	ASSERT_LE(0, vcpu);
	/* /dev/kmsg from its end: only what this test makes the kernel say. */
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, kmsg);
	ASSERT_LE(0, lseek(kmsg, 0, SEEK_END));
	EXPECT_EQ(-1, ioctl(vcpu, KVM_RUN, 1));
	EXPECT_EQ(EINVAL, errno);
	while ((n = read(kmsg, line, sizeof(line) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		line[n > 0 ? n : 0] = 0;
		seen |= strstr(line, "minikvm: ") && strstr(line, "KVM_RUN takes no argument");
	}
	if (kvm_dev_is_minikvm())
		EXPECT_TRUE(seen) TH_LOG("no reason for the refusal in /dev/kmsg");
	close(kmsg);
	close(vcpu);
}

TEST_HARNESS_MAIN
