// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every ioctl either KVM or minikvm knows, on every kind of fd, with arguments no caller
 * should pass: 0, small numbers, a kernel address, an unmapped user address, a buffer
 * that ends where the mapping ends, and buffers of all-zero and all-ones bytes. Whatever
 * each call returns, the host must stay up (vm-run fails on any oops or warning) and the
 * VM must still answer. Run against minikvm and real KVM.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "minikvm_util.h"

/* The ioctls tried, by name for the log. KVM_RUN is left out: a garbage guest may spin. */
#define IOCTL(x)	{ x, #x }
static const struct {
	unsigned long nr;
	const char *name;
} ioctls[] = {
	IOCTL(KVM_GET_API_VERSION), IOCTL(KVM_CHECK_EXTENSION), IOCTL(KVM_GET_VCPU_MMAP_SIZE),
	IOCTL(KVM_SET_USER_MEMORY_REGION), IOCTL(KVM_IOEVENTFD), IOCTL(KVM_IRQFD),
	IOCTL(KVM_IRQ_LINE), IOCTL(KVM_SIGNAL_MSI), IOCTL(KVM_SET_GSI_ROUTING),
	IOCTL(KVM_GET_DIRTY_LOG), IOCTL(KVM_CLEAR_DIRTY_LOG), IOCTL(KVM_ENABLE_CAP),
	IOCTL(KVM_CREATE_DEVICE), IOCTL(KVM_SET_DEVICE_ATTR), IOCTL(KVM_GET_DEVICE_ATTR),
	IOCTL(KVM_HAS_DEVICE_ATTR), IOCTL(KVM_GET_REGS), IOCTL(KVM_SET_REGS),
	IOCTL(KVM_GET_SREGS), IOCTL(KVM_SET_SREGS), IOCTL(KVM_GET_FPU), IOCTL(KVM_SET_FPU),
	IOCTL(KVM_TRANSLATE), IOCTL(KVM_GET_MP_STATE), IOCTL(KVM_SET_MP_STATE),
	IOCTL(KVM_SET_SIGNAL_MASK), IOCTL(KVM_SET_GUEST_DEBUG), IOCTL(KVM_GET_ONE_REG),
	IOCTL(KVM_SET_ONE_REG), IOCTL(KVM_GET_REG_LIST), IOCTL(KVM_GET_STATS_FD),
#if defined(__x86_64__)
	IOCTL(KVM_GET_MSR_INDEX_LIST), IOCTL(KVM_GET_SUPPORTED_CPUID), IOCTL(KVM_SET_CPUID2),
	IOCTL(KVM_GET_CPUID2), IOCTL(KVM_SET_CPUID), IOCTL(KVM_GET_MSRS), IOCTL(KVM_SET_MSRS),
	IOCTL(KVM_SET_TSS_ADDR), IOCTL(KVM_SET_IDENTITY_MAP_ADDR), IOCTL(KVM_INTERRUPT),
	IOCTL(KVM_NMI), IOCTL(KVM_GET_VCPU_EVENTS), IOCTL(KVM_SET_VCPU_EVENTS),
	IOCTL(KVM_GET_DEBUGREGS), IOCTL(KVM_SET_DEBUGREGS), IOCTL(KVM_GET_XSAVE),
	IOCTL(KVM_SET_XSAVE), IOCTL(KVM_GET_XCRS), IOCTL(KVM_SET_XCRS), IOCTL(KVM_GET_LAPIC),
	IOCTL(KVM_SET_LAPIC), IOCTL(KVM_GET_CLOCK), IOCTL(KVM_SET_CLOCK),
#else
	IOCTL(KVM_ARM_PREFERRED_TARGET), IOCTL(KVM_ARM_VCPU_INIT), IOCTL(KVM_ARM_VCPU_FINALIZE),
	IOCTL(KVM_ARM_SET_DEVICE_ADDR),
#endif
	/* Numbers no KVM uses, in and out of the KVM ioctl space. */
	{ _IO(KVMIO, 0xfe), "_IO(KVMIO, 0xfe)" }, { _IOWR(KVMIO, 0xfd, __u64), "_IOWR(KVMIO, 0xfd)" },
	{ _IO('x', 1), "_IO('x', 1)" },
};

#define BUF_SIZE	(64 * 1024)

FIXTURE(bad_input) {
	int kvm, vm, vcpu;
	unsigned char *zeros, *ones, *edge;
};

FIXTURE_SETUP(bad_input)
{
	long page = getpagesize();
	unsigned char *map;

	self->kvm = open_kvm_dev();
	ASSERT_LE(0, self->kvm) TH_LOG("open %s: %s", kvm_dev_path(), strerror(errno));
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, self->vm);
	self->vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, self->vcpu);
	self->zeros = calloc(1, BUF_SIZE);
	self->ones = malloc(BUF_SIZE);
	ASSERT_NE(NULL, self->zeros);
	ASSERT_NE(NULL, self->ones);
	memset(self->ones, 0xff, BUF_SIZE);
	/* Eight bytes before a hole: any struct read from there faults half way. */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + page, page));
	memset(map, 0xff, page);
	self->edge = map + page - 8;
}

FIXTURE_TEARDOWN(bad_input)
{
	free(self->zeros);
	free(self->ones);
	close(self->vcpu);
	close(self->vm);
	close(self->kvm);
}

/* Tries every ioctl with every bad argument on @fd; fds the calls create are closed. */
static void try_all(FIXTURE_DATA(bad_input) * self, int fd)
{
	const unsigned long args[] = {
		0, 1, 0x10, (unsigned long)-4096, (unsigned long)self->edge,
		(unsigned long)self->zeros, (unsigned long)self->ones,
	};
	size_t i, j;
	int r;

	for (i = 0; i < ARRAY_SIZE(ioctls); i++) {
		for (j = 0; j < ARRAY_SIZE(args); j++) {
			if (ioctls[i].nr == KVM_CHECK_EXTENSION || ioctls[i].nr == KVM_GET_API_VERSION)
				continue;
			memset(self->zeros, 0, BUF_SIZE);
			memset(self->ones, 0xff, BUF_SIZE);
			r = ioctl(fd, ioctls[i].nr, args[j]);
			if (r > 2 && ioctls[i].nr == KVM_GET_STATS_FD)
				close(r);
		}
	}
}

TEST_F(bad_input, device_vm_and_vcpu_survive_anything)
{
	struct kvm_userspace_memory_region region = { 0 };

	try_all(self, self->kvm);
	try_all(self, self->vm);
	try_all(self, self->vcpu);
	/* Everything still answers, and a new vCPU and memslot can be made. */
	EXPECT_EQ(KVM_API_VERSION, ioctl(self->kvm, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(1, ioctl(self->vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY));
	EXPECT_LE(0, ioctl(self->vm, KVM_CREATE_VCPU, 1));
	region.slot = 5;
	region.guest_phys_addr = 0x80000000;
	region.memory_size = getpagesize();
	region.userspace_addr = (unsigned long)self->zeros & ~(getpagesize() - 1UL);
	EXPECT_EQ(0, ioctl(self->vm, KVM_SET_USER_MEMORY_REGION, &region));
}

TEST_HARNESS_MAIN
