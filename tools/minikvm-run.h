/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * minikvm-run: the tiny runner. What the arch-independent part (minikvm-run.c) and each
 * arch's part (run-x86.c, run-arm64.c) share.
 */
#ifndef MINIKVM_RUN_H
#define MINIKVM_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "kvm_util.h"

/* --trace: print one line per exit (minikvm-run.c). */
extern bool trace_exits;

/* What an arch's exit handler decided. */
enum run_verdict {
	RUN_CONTINUE,	/* handled: run the guest again */
	RUN_DONE,	/* the guest finished (HLT, PSCI SYSTEM_OFF): status 0 */
	RUN_FAILED,	/* unexpected: a message was printed, status 1 */
};

/**
 * struct arch_bench - where an arch's bench guest finds its devices (see bench.c)
 * @mode: the guest mode the bench guest runs in
 * @bus_addr: port (x86) or guest physical address (arm64) of the io-bus loop's ioeventfd
 * @bus_len: the size of the guest's write there
 * @bus_flags: KVM_IOEVENTFD flags for it (KVM_IOEVENTFD_FLAG_PIO on x86)
 * @touch_gpa: guest physical address of the memslot the first-touch loop writes to
 */
struct arch_bench {
	const char *mode;
	uint64_t bus_addr;
	uint32_t bus_len;
	uint32_t bus_flags;
	uint64_t touch_gpa;
};

/* Per arch (run-x86.c, run-arm64.c). */
extern const uint64_t arch_default_mem_base;
extern const char *const arch_default_mode;
extern const struct arch_bench arch_bench;
int arch_setup_vcpu(struct vm *vm, const char *mode, uint64_t entry);
void arch_set_guest_args(struct vm *vm, uint64_t a0, uint64_t a1, uint64_t a2);
enum run_verdict arch_handle_exit(struct vm *vm);
/* The name of an exit reason as minikvm counts them (x86: VMX basic reason; arm64: EC). */
const char *arch_exit_reason_name(unsigned int reason);
void arch_spin(uint64_t n);

/* From minikvm-run.c. */
_Noreturn void die(const char *fmt, ...);
void console_putc(char c);
uint64_t parse_size(const char *s);
int open_device(const char *dev);
void runner_vm_create(struct vm *vm, const struct vm *tmpl);
void runner_vcpu_create(struct vm *vm, unsigned int id);
uint64_t load_guest(struct vm *vm, const char *path, uint64_t load);

/* From bench.c. */
int bench_main(const struct vm *tmpl, const char *guest, const char *cases, uint64_t count);

#endif /* MINIKVM_RUN_H */
