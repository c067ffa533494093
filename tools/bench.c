// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm-run --bench: times the exits a hypervisor takes, with the bench guest (guests/ARCH/
 * bench.S) running one tight loop per case. The same binary runs on /dev/minikvm and on
 * /dev/kvm, so the two hypervisors run exactly the same guest and userspace code.
 *
 * Our test hosts are emulators whose clock follows executed instructions (Bochs with
 * clock: sync=none, QEMU with -icount): there a duration is an instruction count. The
 * "clock" case measures the ratio by timing a userspace loop of a known number of
 * instructions; every other case prints its time per iteration in ns and, divided by that
 * ratio, in instructions.
 *
 * Each case prints one line: "bench: CASE iterations=N ns/iter=T insns/iter=I".
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "minikvm-run.h"

/* The bench guest's loops, chosen by its first argument (see guests/ARCH/bench.S). */
enum bench_loop {
	LOOP_NULL_DEV,		/* an exit to userspace, for the runner's null device */
	LOOP_IN_KERNEL,		/* x86 CPUID, arm64 HVC PSCI_VERSION */
	LOOP_IO_BUS,		/* a write to the ioeventfd at arch_bench.bus_addr */
	LOOP_TOUCH,		/* one write to each 4 KiB page of a fresh memslot */
};

#define TOUCH_SIZE	(64ULL << 20)
#define TOUCH_SLOT	1
#define BIG_SLOT_SIZE	(4ULL << 30)
#define PAGE_SIZE	4096

/* Instruction-clock ratio from the "clock" case: ns per instruction, 0 until measured. */
static double ns_per_insn;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void report(const char *name, uint64_t iterations, uint64_t ns)
{
	double per = (double)ns / iterations;

	printf("bench: %s iterations=%llu ns/iter=%.1f", name, (unsigned long long)iterations,
	       per);
	if (ns_per_insn > 0)
		printf(" insns/iter=%.1f", per / ns_per_insn);
	printf("\n");
	fflush(stdout);
}

/*
 * A VM with the bench guest loaded, one vCPU set to run @loop @count times from @arg.
 * Returns the guest's entry point.
 */
static uint64_t bench_vm(struct vm *vm, const struct vm *tmpl, const char *guest,
			 enum bench_loop loop, uint64_t count, uint64_t arg)
{
	uint64_t entry;

	runner_vm_create(vm, tmpl);
	entry = load_guest(vm, guest, vm->mem_base + 0x10000);
	runner_vcpu_create(vm, 0);
	if (arch_setup_vcpu(vm, arch_bench.mode, entry))
		die("cannot set the vCPU up");
	arch_set_guest_args(vm, loop, count, arg);
	return entry;
}

/* Runs the vCPU until the guest is done; any other end is fatal. */
static void run_to_end(struct vm *vm)
{
	enum run_verdict verdict;

	do {
		if (ioctl(vm->vcpu, KVM_RUN, 0))
			die("KVM_RUN: %s", strerror(errno));
		verdict = arch_handle_exit(vm);
	} while (verdict == RUN_CONTINUE);
	if (verdict != RUN_DONE)
		die("the bench guest failed");
}

/* One loop on one vCPU, timed from the first entry to the guest's end. */
static void bench_loop(const struct vm *tmpl, const char *guest, const char *name,
		       enum bench_loop loop, uint64_t count)
{
	struct vm vm;
	uint64_t t0, signals;
	int efd = -1;

	bench_vm(&vm, tmpl, guest, loop, count, 0);
	if (loop == LOOP_IO_BUS) {
		struct kvm_ioeventfd io = {
			.addr = arch_bench.bus_addr, .len = arch_bench.bus_len,
			.flags = arch_bench.bus_flags,
		};

		efd = eventfd(0, EFD_CLOEXEC);
		io.fd = efd;
		if (efd < 0 || ioctl(vm.vm, KVM_IOEVENTFD, &io))
			die("KVM_IOEVENTFD: %s", strerror(errno));
	}
	t0 = now_ns();
	run_to_end(&vm);
	report(name, count, now_ns() - t0);
	/* Every write went through the io bus, none to userspace (which would have failed). */
	if (efd >= 0) {
		if (read(efd, &signals, sizeof(signals)) != sizeof(signals) || signals != count)
			die("%s: the eventfd counted %llu of %llu writes", name,
			    (unsigned long long)signals, (unsigned long long)count);
		close(efd);
	}
	vm_destroy(&vm);
}

/*
 * The guest's first write to each of @count pages (64 MiB at most) of a fresh slot. With
 * @prefault, the runner has written them first: the host's page faults (allocating and
 * zeroing) are out of the figure, which is then the hypervisor's fault path alone.
 */
static void bench_touch(const struct vm *tmpl, const char *guest, const char *name,
			uint64_t count, bool prefault)
{
	uint64_t pages = count < TOUCH_SIZE / PAGE_SIZE ? count : TOUCH_SIZE / PAGE_SIZE, t0;
	struct vm vm;
	void *mem;

	bench_vm(&vm, tmpl, guest, LOOP_TOUCH, pages, arch_bench.touch_gpa);
	mem = vm_add_memory(&vm, TOUCH_SLOT, arch_bench.touch_gpa, TOUCH_SIZE);
	if (!mem)
		die("KVM_SET_USER_MEMORY_REGION (slot %u, %llu bytes): %s", TOUCH_SLOT,
		    TOUCH_SIZE, strerror(errno));
	if (prefault)
		memset(mem, 0, pages * PAGE_SIZE);
	t0 = now_ns();
	run_to_end(&vm);
	report(name, pages, now_ns() - t0);
	munmap(mem, TOUCH_SIZE);
	vm_destroy(&vm);
}

/*
 * KVM_CREATE_VM, a memslot of @size, and the VM's release, @count times. The slot's memory
 * is mapped once, outside the timing: munmap() of 4 GiB alone costs the host more than
 * the VM (unmap_page_range() visits every page-table entry of the range).
 */
static void bench_create(const struct vm *tmpl, const char *name, uint64_t size,
			 uint64_t count)
{
	struct kvm_userspace_memory_region region = {
		.guest_phys_addr = tmpl->mem_base, .memory_size = size,
	};
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t i, t0;
	int vm;

	if (mem == MAP_FAILED)
		die("cannot map %llu bytes of guest memory", (unsigned long long)size);
	region.userspace_addr = (uintptr_t)mem;
	t0 = now_ns();
	for (i = 0; i < count; i++) {
		vm = ioctl(tmpl->kvm, KVM_CREATE_VM, 0);
		if (vm < 0)
			die("KVM_CREATE_VM: %s", strerror(errno));
		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
			die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		close(vm);
	}
	report(name, count, now_ns() - t0);
	munmap(mem, size);
}

static void *vcpu_thread(void *arg)
{
	run_to_end(arg);
	return NULL;
}

/* Two vCPUs of one VM, each in its own thread, both in the userspace-exit loop. */
static void bench_two_vcpus(const struct vm *tmpl, const char *guest, uint64_t count)
{
	struct vm vm, second;
	uint64_t t0, entry;
	pthread_t thread;

	entry = bench_vm(&vm, tmpl, guest, LOOP_NULL_DEV, count, 0);
	second = vm;
	runner_vcpu_create(&second, 1);
	if (arch_setup_vcpu(&second, arch_bench.mode, entry))
		die("cannot set the second vCPU up");
	arch_set_guest_args(&second, LOOP_NULL_DEV, count, 0);
	t0 = now_ns();
	if (pthread_create(&thread, NULL, vcpu_thread, &second))
		die("cannot start a thread");
	run_to_end(&vm);
	pthread_join(thread, NULL);
	/* Per iteration of either vCPU: 2 x count iterations in that time. */
	report("null_exit_2vcpus", 2 * count, now_ns() - t0);
	close(second.vcpu);
	vm_destroy(&vm);
}

/*
 * The instruction clock: the fastest of 5 timings of a loop of 2 * 10^7 instructions. A
 * timer tick inside the loop only ever adds to a timing, so the fastest is the truest.
 */
static void bench_clock(void)
{
	uint64_t n = 10000000, best = UINT64_MAX, t0, ns;
	int i;

	for (i = 0; i < 5; i++) {
		t0 = now_ns();
		arch_spin(n);
		ns = now_ns() - t0;
		if (ns < best)
			best = ns;
	}
	ns_per_insn = (double)best / (2 * n);
	printf("bench: clock instructions=%llu ns=%llu ns/insn=%.3f\n",
	       (unsigned long long)(2 * n), (unsigned long long)best, ns_per_insn);
	fflush(stdout);
}

static bool wanted(const char *cases, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	if (!cases || !strcmp(cases, "all"))
		return true;
	for (p = cases; (p = strstr(p, name)); p += len)
		if ((p == cases || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

int bench_main(const struct vm *tmpl, const char *guest, const char *cases, uint64_t count)
{
	/* A VM's creation and release cost thousands of exits. */
	uint64_t creates = count >= 1000 ? count / 1000 : 1;
	/*
	 * KVM 6.1 turns virtualization on in every CPU when its first VM is created and off
	 * when its last one goes (minikvm does at load): a VM kept for the whole run keeps
	 * that out of every case, as on a host that runs VMs.
	 */
	int keeper = ioctl(tmpl->kvm, KVM_CREATE_VM, 0);

	if (keeper < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	bench_clock();
	/*
	 * Creation first: after the other cases, an x86 Bochs host took 1.6-1.9 M instruction
	 * times per 4 GiB VM in 2 runs of 3, and 45 k in the third and for every 4 MiB one:
	 * waits behind what the teardown of the cases' VMs left to the host.
	 */
	if (wanted(cases, "create_vm_4g"))
		bench_create(tmpl, "create_vm_4g", BIG_SLOT_SIZE, creates);
	if (wanted(cases, "create_vm_4m"))
		bench_create(tmpl, "create_vm_4m", 4ULL << 20, creates);
	if (wanted(cases, "null_exit"))
		bench_loop(tmpl, guest, "null_exit", LOOP_NULL_DEV, count);
	if (wanted(cases, "in_kernel_exit"))
		bench_loop(tmpl, guest, "in_kernel_exit", LOOP_IN_KERNEL, count);
	if (wanted(cases, "io_bus_exit"))
		bench_loop(tmpl, guest, "io_bus_exit", LOOP_IO_BUS, count);
	if (wanted(cases, "first_touch_4k"))
		bench_touch(tmpl, guest, "first_touch_4k", count, false);
	if (wanted(cases, "prefaulted_touch_4k"))
		bench_touch(tmpl, guest, "prefaulted_touch_4k", count, true);
	if (wanted(cases, "null_exit_2vcpus"))
		bench_two_vcpus(tmpl, guest, count);
	close(keeper);
	return 0;
}
