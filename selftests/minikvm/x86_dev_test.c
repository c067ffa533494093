// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86 system ioctls: KVM_GET_SUPPORTED_CPUID and KVM_GET_MSR_INDEX_LIST, their
 * E2BIG contract, and what every KVM reports in them. Run against minikvm and real KVM;
 * both must agree.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"
#include "minikvm_util.h"

#define CPUID_1_ECX_HYPERVISOR	(1U << 31)
#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_EFER		0xc0000080

FIXTURE(x86_dev) {
	int kvm;
};

FIXTURE_SETUP(x86_dev)
{
	self->kvm = open_kvm_dev();
	ASSERT_LE(0, self->kvm) TH_LOG("open %s: %s", kvm_dev_path(), strerror(errno));
}

FIXTURE_TEARDOWN(x86_dev)
{
	close(self->kvm);
}

static struct kvm_cpuid2 *alloc_cpuid(unsigned int nent)
{
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));

	if (cpuid)
		cpuid->nent = nent;
	return cpuid;
}

static struct kvm_cpuid_entry2 *find_leaf(struct kvm_cpuid2 *cpuid, __u32 leaf, __u32 index)
{
	__u32 i;

	for (i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == leaf && cpuid->entries[i].index == index)
			return &cpuid->entries[i];
	return NULL;
}

TEST_F(x86_dev, supported_cpuid)
{
	struct kvm_cpuid2 *cpuid = alloc_cpuid(256);
	struct kvm_cpuid_entry2 *e;

	ASSERT_NE(NULL, cpuid);
	EXPECT_EQ(1, ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_EXT_CPUID));
	ASSERT_EQ(0, ioctl(self->kvm, KVM_GET_SUPPORTED_CPUID, cpuid))
		TH_LOG("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	EXPECT_LT(2U, cpuid->nent);
	e = find_leaf(cpuid, 0, 0);
	ASSERT_NE(NULL, e);
	EXPECT_LE(1U, e->eax);
	/* Whether the guest is told it runs under a hypervisor is for the VMM to set. */
	e = find_leaf(cpuid, 1, 0);
	ASSERT_NE(NULL, e);
	EXPECT_FALSE(!!(e->ecx & CPUID_1_ECX_HYPERVISOR));
	/* Leaf 7 has subleaves: its entry says its index matters. */
	e = find_leaf(cpuid, 7, 0);
	if (e)
		EXPECT_TRUE(!!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX));
	EXPECT_NE(NULL, find_leaf(cpuid, 0x80000000, 0));
	free(cpuid);
}

TEST_F(x86_dev, supported_cpuid_too_small_is_e2big)
{
	struct kvm_cpuid2 *cpuid = alloc_cpuid(2);

	ASSERT_NE(NULL, cpuid);
	EXPECT_EQ(-1, ioctl(self->kvm, KVM_GET_SUPPORTED_CPUID, cpuid));
	EXPECT_EQ(E2BIG, errno);
	cpuid->nent = 0;
	EXPECT_EQ(-1, ioctl(self->kvm, KVM_GET_SUPPORTED_CPUID, cpuid));
	EXPECT_EQ(E2BIG, errno);
	free(cpuid);
}

TEST_F(x86_dev, msr_index_list)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	bool efer = false, sysenter = false;
	__u32 i;

	/* Too small: E2BIG, with nmsrs saying how many there are. */
	EXPECT_EQ(-1, ioctl(self->kvm, KVM_GET_MSR_INDEX_LIST, &probe));
	EXPECT_EQ(E2BIG, errno);
	ASSERT_LT(0U, probe.nmsrs);
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(list->indices[0]));
	ASSERT_NE(NULL, list);
	list->nmsrs = probe.nmsrs;
	ASSERT_EQ(0, ioctl(self->kvm, KVM_GET_MSR_INDEX_LIST, list));
	EXPECT_EQ(probe.nmsrs, list->nmsrs);
	for (i = 0; i < list->nmsrs; i++) {
		efer |= list->indices[i] == MSR_EFER;
		sysenter |= list->indices[i] == MSR_IA32_SYSENTER_CS;
	}
	/* EFER travels in struct kvm_sregs, not in the MSRs a VMM saves. */
	EXPECT_FALSE(efer);
	EXPECT_TRUE(sysenter);
	free(list);
}

TEST_HARNESS_MAIN
