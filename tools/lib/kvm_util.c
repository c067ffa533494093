// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct vm: a VM with its memory and its first vCPU, made and torn down through the KVM
 * ABI alone (kvm_util.h says how errors come back).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_util.h"

/**
 * vm_create() - a VM on device fd @kvm with @mem_size bytes of fresh memory at @mem_base
 * @vm: filled in; vm_destroy() releases it, also after a failure here
 * @kvm: the device's fd, which stays the caller's
 * @mem_base: the guest physical address of the memory (slot 0)
 * @mem_size: its size in bytes
 */
int vm_create(struct vm *vm, int kvm, uint64_t mem_base, uint64_t mem_size)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm = kvm;
	vm->vcpu = -1;
	vm->vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm->vm < 0)
		return -1;
	vm->mem = vm_add_memory(vm, 0, mem_base, mem_size);
	if (!vm->mem)
		return -1;
	vm->mem_base = mem_base;
	vm->mem_size = mem_size;
	return 0;
}

/*
 * Maps fresh anonymous memory as memslot @slot at guest physical @gpa: returns it, or NULL.
 * Only the pages the guest or the caller touch are ever allocated (MAP_NORESERVE).
 */
void *vm_add_memory(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
	};
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int err;

	if (mem == MAP_FAILED)
		return NULL;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm->vm, KVM_SET_USER_MEMORY_REGION, &region)) {
		err = errno;
		munmap(mem, size);
		errno = err;
		return NULL;
	}
	return mem;
}

/* vCPU @id of the VM, in vm->vcpu, with its struct kvm_run mapped at vm->run. */
int vcpu_create(struct vm *vm, unsigned int id)
{
	int mmap_size;

	vm->vcpu = ioctl(vm->vm, KVM_CREATE_VCPU, id);
	if (vm->vcpu < 0)
		return -1;
	mmap_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < 0)
		return -1;
	if ((size_t)mmap_size < sizeof(struct kvm_run)) {
		errno = EINVAL;
		return -1;
	}
	vm->run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		return -1;
	}
	vm->run_size = mmap_size;
	return 0;
}

/* Unmaps and closes what vm_create() and vcpu_create() made; the device fd stays open. */
void vm_destroy(struct vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	if (vm->vcpu >= 0)
		close(vm->vcpu);
	if (vm->vm >= 0)
		close(vm->vm);
	vm->run = NULL;
	vm->mem = NULL;
	vm->vcpu = -1;
	vm->vm = -1;
}

/* Guest physical [gpa, gpa + len) of slot 0 in this process, or NULL outside it. */
void *guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa < vm->mem_base || len > vm->mem_size || gpa - vm->mem_base > vm->mem_size - len)
		return NULL;
	return vm->mem + (gpa - vm->mem_base);
}

/* KVM_SET_ONE_REG of the register @id (a KVM_REG_* id) on vCPU fd @vcpu. */
int vcpu_set_reg(int vcpu, uint64_t id, uint64_t val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	return ioctl(vcpu, KVM_SET_ONE_REG, &reg);
}

/* KVM_GET_ONE_REG of the 64-bit register @id on vCPU fd @vcpu, into @val. */
int vcpu_get_reg(int vcpu, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)val };

	return ioctl(vcpu, KVM_GET_ONE_REG, &reg);
}
