// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proof that minikvm really set up the hardware on every online CPU: each line of
 * /sys/kernel/debug/minikvm/hardware is written on its CPU after executing something that
 * works only in virtualization mode (x86: VMPTRST needs VMX operation; arm64: a hyp call
 * returns CurrentEL as read at EL2). minikvm only: real KVM has no such file.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "minikvm_util.h"

#define HARDWARE_FILE	"/sys/kernel/debug/minikvm/hardware"
#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

#if defined(__x86_64__)
/* VMX on, and VMPTRST answered "no current VMCS" (all ones) instead of #UD. */
static const char *const proof[] = { "vmx=on", "vmcs_ptr=0xffffffffffffffff" };
#elif defined(__aarch64__)
static const char *const proof[] = { "current_el=2" };
#endif

/* Checks every line of the hardware file; returns the number of CPUs proven. */
static int count_proven_cpus(struct __test_metadata *_metadata)
{
	char line[256];
	int cpus = 0;
	size_t i;
	FILE *f;

	f = fopen(HARDWARE_FILE, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		TH_LOG("%s", line);
		for (i = 0; i < ARRAY_SIZE(proof); i++)
			EXPECT_TRUE(strstr(line, proof[i]) != NULL);
		cpus++;
	}
	fclose(f);
	return cpus;
}

static int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int r;

	if (!f)
		return -errno;
	r = fputs(s, f) < 0 ? -EIO : 0;
	if (fclose(f))
		r = -errno;
	return r;
}

TEST(every_online_cpu_is_in_virtualization_mode)
{
	if (!kvm_dev_is_minikvm())
		SKIP(return, "real KVM has no %s", HARDWARE_FILE);
	ASSERT_EQ(sysconf(_SC_NPROCESSORS_ONLN), count_proven_cpus(_metadata));
}

/* The CPU hotplug state disables a CPU going offline and enables it again coming back. */
TEST(cpu_hotplug_keeps_virtualization_mode)
{
	if (!kvm_dev_is_minikvm())
		SKIP(return, "real KVM has no %s", HARDWARE_FILE);
	if (access(CPU1_ONLINE, W_OK))
		SKIP(return, "no hot-pluggable cpu1 in this host");

	ASSERT_EQ(0, write_file(CPU1_ONLINE, "0"));
	EXPECT_EQ(sysconf(_SC_NPROCESSORS_ONLN), count_proven_cpus(_metadata));
	ASSERT_EQ(0, write_file(CPU1_ONLINE, "1"));
	ASSERT_EQ(sysconf(_SC_NPROCESSORS_ONLN), count_proven_cpus(_metadata));
}

TEST_HARNESS_MAIN
