/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest set-up library that minikvm-run (tools/) and the selftests (selftests/minikvm/)
 * share, so that a test and the runner build a guest the same way: struct vm, a VM with its
 * memory and one vCPU, and each arch's vCPU set-up (x86_setup.h, arm64_setup.h). It speaks
 * only the KVM ABI, so it serves /dev/kvm as well as /dev/minikvm. Every function returns
 * 0 (or a pointer) on success and -1 (or NULL) with errno set on failure: the runner
 * reports it and exits, a test ASSERTs it.
 */
#ifndef MINIKVM_KVM_UTIL_H
#define MINIKVM_KVM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/**
 * struct vm - one VM, its memory in slot 0, and its first vCPU
 * @kvm: the device fd the VM was created on: the caller's, which vm_destroy() leaves open
 * @vm: the VM fd
 * @vcpu: the vCPU fd, -1 until vcpu_create()
 * @run: the vCPU's mmapped struct kvm_run
 * @run_size: the size of that mapping (KVM_GET_VCPU_MMAP_SIZE)
 * @mem: the guest's memory (slot 0) in this process
 * @mem_base: its guest physical address
 * @mem_size: its size in bytes
 */
struct vm {
	int kvm;
	int vm;
	int vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	uint64_t mem_base;
	uint64_t mem_size;
};

int vm_create(struct vm *vm, int kvm, uint64_t mem_base, uint64_t mem_size);
void *vm_add_memory(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size);
int vcpu_create(struct vm *vm, unsigned int id);
void vm_destroy(struct vm *vm);
void *guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len);
int vcpu_set_reg(int vcpu, uint64_t id, uint64_t val);
int vcpu_get_reg(int vcpu, uint64_t id, uint64_t *val);

#if defined(__x86_64__)
#include "x86_setup.h"
#elif defined(__aarch64__)
#include "arm64_setup.h"
#endif

#endif /* MINIKVM_KVM_UTIL_H */
