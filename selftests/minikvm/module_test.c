// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unloading and loading minikvm again and again leaves no leak and no warning. minikvm
 * only; it needs the module file (MINIKVM_KO, default /lib/minikvm/minikvm.ko) and leaves
 * the module loaded. Runs last in a host: it unloads the device the other suites use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "minikvm_util.h"

#define CYCLES		100
/* Free memory may move by this much for reasons of its own (per-CPU caches, vmap). */
#define SLACK_KIB	256
#define TAINT_DIE	(1UL << 7)
#define TAINT_WARN	(1UL << 9)

static const char *module_path(void)
{
	const char *path = getenv("MINIKVM_KO");

	return path && *path ? path : "/lib/minikvm/minikvm.ko";
}

static long read_long(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			v = strtol(line, NULL, 10);
			break;
		}
		if (!strncmp(line, key, strlen(key))) {
			v = strtol(line + strlen(key), NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static int load_module(void)
{
	int fd = open(module_path(), O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return r;
}

static int unload_module(void)
{
	return syscall(SYS_delete_module, "minikvm", O_NONBLOCK) ? -errno : 0;
}

/* One cycle: unload, check the device is gone, load, check it is back and answers. */
static void cycle(struct __test_metadata *_metadata)
{
	int fd;

	ASSERT_EQ(0, unload_module());
	ASSERT_NE(0, access(kvm_dev_path(), F_OK));
	ASSERT_EQ(0, load_module());
	fd = open_kvm_dev();
	ASSERT_LE(0, fd);
	close(fd);
}

TEST(load_unload_cycles_leak_nothing)
{
	long taint, free_before, free_after;
	int i;

	if (!kvm_dev_is_minikvm())
		SKIP(return, "the reference host runs real KVM, built in or not ours to unload");
	if (access(module_path(), R_OK))
		SKIP(return, "no module file at %s", module_path());

	taint = read_long("/proc/sys/kernel/tainted", NULL);
	/* The first cycle warms caches that later cycles reuse. */
	cycle(_metadata);
	free_before = read_long("/proc/meminfo", "MemFree:");
	for (i = 0; i < CYCLES; i++)
		cycle(_metadata);
	free_after = read_long("/proc/meminfo", "MemFree:");

	TH_LOG("%d cycles: MemFree %ld -> %ld KiB", CYCLES, free_before, free_after);
	EXPECT_GT(SLACK_KIB, free_before - free_after);
	ASSERT_EQ(0UL, (read_long("/proc/sys/kernel/tainted", NULL) & ~taint) &
		  (TAINT_DIE | TAINT_WARN));
}

/* A second instance cannot load, and the first keeps working. */
TEST(double_load_is_refused)
{
	if (!kvm_dev_is_minikvm())
		SKIP(return, "minikvm only");
	if (access(module_path(), R_OK))
		SKIP(return, "no module file at %s", module_path());
	ASSERT_EQ(-EEXIST, load_module());
}

TEST_HARNESS_MAIN
