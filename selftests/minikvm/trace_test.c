// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's tracepoints (/sys/kernel/tracing/events/minikvm/): each event exists with the
 * fields documented in Documentation/api.rst, and running a guest with them enabled
 * records its entries, exits and userspace exits. minikvm only: real KVM has its own
 * events (events/kvm/), which the reference host checks exist.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "minikvm_util.h"

#define TRACING		"/sys/kernel/tracing"
#define EVENTS		TRACING "/events/minikvm"

#if defined(__x86_64__)
#define GUEST		"/tools/hello16.bin"
#define GUEST_MODE	"real"
#else
#define GUEST		"/tools/hello.bin"
#define GUEST_MODE	"el1"
#endif

static bool file_has(const char *path, const char *what)
{
	static char buf[1 << 16];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return strstr(buf, what) != NULL;
}

static int write_file(const char *path, const char *what)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, what, strlen(what));
	close(fd);
	return n == (ssize_t)strlen(what) ? 0 : -1;
}

TEST(events_exist_with_their_fields)
{
	static const struct {
		const char *event;
		const char *field;
	} events[] = {
		{ "kvm_entry", "field:u64 pc;" },
		{ "kvm_exit", "field:u32 reason;" },
		{ "kvm_exit", "field:u64 info;" },
		{ "kvm_userspace_exit", "field:u32 exit_reason;" },
		{ "kvm_pio", "field:u16 port;" },
		{ "kvm_mmio", "field:u64 gpa;" },
		{ "kvm_io_bus", "field:bool handled;" },
	};
	char path[256];
	size_t i;

	if (access(TRACING "/events", F_OK))
		SKIP(return, "no tracefs at " TRACING);
	if (!kvm_dev_is_minikvm()) {
		EXPECT_EQ(0, access(TRACING "/events/kvm/kvm_exit/format", F_OK));
		return;
	}
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		snprintf(path, sizeof(path), EVENTS "/%s/format", events[i].event);
		EXPECT_TRUE(file_has(path, events[i].field))
			TH_LOG("%s lacks '%s'", path, events[i].field);
	}
}

/* Runs the example guest with every minikvm event on; the trace must show its run. */
TEST(a_guest_run_is_traced)
{
	const char *argv[7];
	int status;
	pid_t pid;

	if (!kvm_dev_is_minikvm())
		SKIP(return, "minikvm's events only");
	if (access(EVENTS, F_OK))
		SKIP(return, "no tracefs at " TRACING);
	ASSERT_EQ(0, write_file(TRACING "/trace", ""));
	ASSERT_EQ(0, write_file(EVENTS "/enable", "1"));
	argv[0] = "/tools/minikvm-run";
	argv[1] = "--dev";
	argv[2] = kvm_dev_path();
	argv[3] = "--mode";
	argv[4] = GUEST_MODE;
	argv[5] = GUEST;
	argv[6] = NULL;
	pid = fork();
	if (!pid) {
		close(1);
		close(2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, write_file(EVENTS "/enable", "0"));
	if (WEXITSTATUS(status) && !file_has(TRACING "/trace", "kvm_exit"))
		SKIP(return, "minikvm's backend cannot run guests yet");
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_TRUE(file_has(TRACING "/trace", "kvm_entry: vcpu 0"));
	EXPECT_TRUE(file_has(TRACING "/trace", "kvm_exit: vcpu 0"));
	EXPECT_TRUE(file_has(TRACING "/trace", "kvm_userspace_exit: vcpu 0"));
#if defined(__x86_64__)
	EXPECT_TRUE(file_has(TRACING "/trace", "pio_write at 0x3f8 size 1"));
#else
	EXPECT_TRUE(file_has(TRACING "/trace", "mmio write len 1 gpa 0x9000000"));
#endif
	EXPECT_TRUE(file_has(TRACING "/trace", "pio bus write at 0x3f8 len 1 not handled") ||
		    file_has(TRACING "/trace", "mmio bus write at 0x9000000 len 1 not handled"));
}

TEST_HARNESS_MAIN
