// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm-run (tools/) with each example guest in each of its modes, against the device
 * under test: the guest's hello must come out on stdout and the run end with status 0; with
 * --trace, one line per userspace exit; --bench (a few iterations: a smoke test of the
 * benchmark, scripts/bench) must print every case. The test hosts hold the runner in /tools.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "minikvm_util.h"

#define RUNNER		"/tools/minikvm-run"

FIXTURE(runner) {
	char out[4096];
	char err[4096];
};

FIXTURE_VARIANT(runner) {
	const char *guest;
	const char *mode;
	const char *hello;
	const char *end_exit;	/* the --stats count of the exit that ends the guest */
};

#if defined(__x86_64__)
FIXTURE_VARIANT_ADD(runner, real_mode_asm) {
	.guest = "hello16.bin", .mode = "real", .hello = "Hello from a real-mode guest\n",
	.end_exit = " HLT 1",
};

FIXTURE_VARIANT_ADD(runner, protected_mode_asm) {
	.guest = "hello32.bin", .mode = "protected",
	.hello = "Hello from a 32-bit guest\nHello from a 32-bit guest\n", .end_exit = " HLT 1",
};

FIXTURE_VARIANT_ADD(runner, paged_mode_asm) {
	.guest = "hello32.bin", .mode = "paged",
	.hello = "Hello from a 32-bit guest\nHello from a 32-bit guest\n", .end_exit = " HLT 1",
};

FIXTURE_VARIANT_ADD(runner, long_mode_c) {
	.guest = "hello64.elf", .mode = "long", .hello = "Hello from a 64-bit C guest\n",
	.end_exit = " HLT 1",
};
#else
FIXTURE_VARIANT_ADD(runner, el1_asm) {
	.guest = "hello.bin", .mode = "el1", .hello = "Hello from an EL1 guest\n",
	.end_exit = " HVC64 1",
};

FIXTURE_VARIANT_ADD(runner, el1_c) {
	.guest = "hello.elf", .mode = "el1", .hello = "Hello from a C guest at EL1\n",
	.end_exit = " HVC64 1",
};
#endif

FIXTURE_SETUP(runner)
{
}

FIXTURE_TEARDOWN(runner)
{
}

static void drain(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;

	while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	buf[n] = 0;
}

/*
 * Runs the runner on the device under test with the options @opts (NULL-terminated), then
 * the guest at @path; its stdout and stderr land in @out and @err. Returns its exit status.
 */
static int run_runner(const char *const *opts, const char *path, char *out_buf,
		      char *err_buf, size_t size)
{
	char *argv[16];
	int out[2], err[2], status, argc = 0;
	pid_t pid;

	argv[argc++] = RUNNER;
	argv[argc++] = "--dev";
	argv[argc++] = (char *)kvm_dev_path();
	while (*opts && argc < 14)
		argv[argc++] = (char *)*opts++;
	argv[argc++] = (char *)path;
	argv[argc] = NULL;

	if (pipe(out) || pipe(err))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		alarm(110);
		execv(RUNNER, argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	drain(out[0], out_buf, size);
	drain(err[0], err_buf, size);
	close(out[0]);
	close(err[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The runner on a guest in @mode, with one more option @extra, or none. */
static int run_guest(const char *path, const char *mode, const char *extra, char *out_buf,
		     char *err_buf, size_t size)
{
	const char *const opts[] = { "--mode", mode, extra, NULL };

	return run_runner(opts, path, out_buf, err_buf, size);
}

/* The variant's guest, from /tools. */
static const char *guest_path(const char *guest)
{
	static char path[128];

	snprintf(path, sizeof(path), "/tools/%s", guest);
	return path;
}

TEST_F(runner, says_hello_and_ends)
{
	int status = run_guest(guest_path(variant->guest), variant->mode, NULL, self->out,
			       self->err, sizeof(self->out));

	EXPECT_EQ(0, status) TH_LOG("stderr: %s", self->err);
	EXPECT_STREQ(variant->hello, self->out);
}

TEST_F(runner, traces_each_userspace_exit)
{
	int status = run_guest(guest_path(variant->guest), variant->mode, "--trace", self->out,
			       self->err, sizeof(self->out));
	const char *line = strstr(self->out, "trace: exit ");

	EXPECT_EQ(0, status) TH_LOG("stderr: %s", self->err);
	ASSERT_NE(NULL, line) TH_LOG("stdout: %s", self->out);
	EXPECT_NE(NULL, strstr(line, "-> userspace"));
	EXPECT_NE(NULL, strstr(self->out, "the guest is done"));
}

TEST_F(runner, prints_the_stats)
{
	int status = run_guest(guest_path(variant->guest), variant->mode, "--stats", self->out,
			       self->err, sizeof(self->out));

	EXPECT_EQ(0, status) TH_LOG("stderr: %s", self->err);
	EXPECT_NE(NULL, strstr(self->out, "stats: exits = "));
	/* minikvm counts exits by reason, which the runner names (KVM has no such stat). */
	if (kvm_dev_is_minikvm())
		EXPECT_NE(NULL, strstr(self->out, variant->end_exit)) TH_LOG("stdout: %s", self->out);
}

TEST(runner_refuses_a_missing_guest)
{
	char out[256], err[256];

	EXPECT_EQ(1, run_guest("/nonexistent", "el1", NULL, out, err, sizeof(out)));
	EXPECT_NE(NULL, strstr(err, "/nonexistent")) TH_LOG("stderr: %s", err);
}

FIXTURE(bench) {
};

FIXTURE_SETUP(bench)
{
}

FIXTURE_TEARDOWN(bench)
{
}

/*
 * 120 s: real KVM x86 in the lab's Bochs takes 4 s of the host's time to create and
 * release a VM (measured), and the run makes eight of them.
 */
TEST_F_TIMEOUT(bench, every_case_runs, 120)
{
	static const char *const cases[] = {
		"clock", "null_exit", "in_kernel_exit", "io_bus_exit", "first_touch_4k",
		"prefaulted_touch_4k", "create_vm_4g", "create_vm_4m", "null_exit_2vcpus",
	};
	static const char *const opts[] = { "--bench", "all", "--iterations", "200", NULL };
	char out[4096], err[4096], line[64];
	unsigned int i;

#if defined(__x86_64__)
	ASSERT_EQ(0, run_runner(opts, "/tools/bench64.elf", out, err, sizeof(out)))
#else
	ASSERT_EQ(0, run_runner(opts, "/tools/bench.elf", out, err, sizeof(out)))
#endif
		TH_LOG("stderr: %s", err);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(line, sizeof(line), "bench: %s ", cases[i]);
		EXPECT_NE(NULL, strstr(out, line)) TH_LOG("no %s in: %s", cases[i], out);
	}
}

TEST_HARNESS_MAIN
