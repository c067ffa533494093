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

/**
 * struct vm - one VM with one vCPU, and what the runner was asked to do with it
 * @kvm: the device fd
 * @vm: the VM fd
 * @vcpu: the vCPU fd
 * @run: the vCPU's mmapped struct kvm_run
 * @mem: guest memory in this process
 * @mem_base: its guest physical address
 * @mem_size: its size
 * @entry: where the guest starts
 * @mode: arch-specific guest mode name (x86: real, protected, paged, long)
 * @trace: print one line per exit
 */
struct vm {
	int kvm;
	int vm;
	int vcpu;
	struct kvm_run *run;
	uint8_t *mem;
	uint64_t mem_base;
	uint64_t mem_size;
	uint64_t entry;
	const char *mode;
	bool trace;
};

/* What an arch's exit handler decided. */
enum run_verdict {
	RUN_CONTINUE,	/* handled: run the guest again */
	RUN_DONE,	/* the guest finished (HLT, PSCI SYSTEM_OFF): status 0 */
	RUN_FAILED,	/* unexpected: a message was printed, status 1 */
};

/* Per arch (run-x86.c, run-arm64.c). */
extern const uint64_t arch_default_mem_base;
extern const char *const arch_default_mode;
int arch_setup_vcpu(struct vm *vm);
enum run_verdict arch_handle_exit(struct vm *vm);

/* From minikvm-run.c. */
_Noreturn void die(const char *fmt, ...);
void console_putc(struct vm *vm, char c);
void *guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len);

#endif /* MINIKVM_RUN_H */
