// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86 side of minikvm's VM and vCPU objects and the run loop, as KVM's x86.c:
 * kvm_arch_vcpu_ioctl_run() → vcpu_run() → vcpu_enter_guest() → vmx_vcpu_run() (vmx.c),
 * then vmx_handle_exit() → kvm_vmx_exit_handlers[] (handle_exit.c) → the helpers here that
 * finish an exit in the kernel, on the io bus or in userspace (port I/O, HLT, CPUID, MSRs).
 * The vCPU's other ioctls, which read and write its state, are in guest.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>

#include <minikvm/compat.h>
#include <minikvm/iodev.h>
#include <minikvm/kvm_host.h>
#include <minikvm/trace.h>

#include "vmx.h"

int kvm_vm_ioctl_check_extension(struct kvm *kvm, long ext)
{
	switch (ext) {
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_DEBUGREGS:
		return 1;
	default:
		return 0;
	}
}

int kvm_arch_init_vm(struct kvm *kvm, unsigned long type)
{
	if (type)
		return kvm_refuse(-EINVAL, "machine type %lu: x86 has only type 0", type);
	raw_spin_lock_init(&kvm->arch.tsc_write_lock);
	vmx_l1d_flush_vm_check();
	return kvm_mmu_init_vm(kvm);
}

/*
 * minikvm's EPT has 4 levels, which translate 48-bit guest-physical addresses (SDM 29.3.2);
 * a CPU with more address bits would need 5-level EPT to reach beyond.
 */
#define EPT_4LEVEL_GPA_BITS	48

int kvm_arch_prepare_memory_region(struct kvm *kvm, const struct kvm_memory_slot *new)
{
	/* EPT maps guest addresses up to the host's MAXPHYADDR, and no further than 4 levels. */
	int bits = min_t(int, boot_cpu_data.x86_phys_bits, EPT_4LEVEL_GPA_BITS);
	gfn_t max_gfn = (1ULL << (bits - PAGE_SHIFT)) - 1;

	if (new->base_gfn + new->npages - 1 > max_gfn)
		return kvm_refuse(-EINVAL, "slot %u ends beyond the %d-bit guest-physical space",
				  new->id, bits);
	return 0;
}

void kvm_arch_destroy_vm(struct kvm *kvm)
{
	kvm_mmu_destroy_vm(kvm);
}

/* IA32_APIC_BASE after reset: the default base, enabled, BSP on vCPU 0 (SDM 12.4.4). */
#define APIC_DEFAULT_BASE	0xfee00000ULL

int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)
{
	int r = -ENOMEM;

	vcpu->arch.pio_data = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->arch.pio_data)
		return -ENOMEM;
	if (!fpu_alloc_guest_fpstate(&vcpu->arch.guest_fpu))
		goto out_free_pio;
	r = vmx_vcpu_create(vcpu);
	if (r)
		goto out_free_fpu;
	vcpu->arch.apic_base = APIC_DEFAULT_BASE | MSR_IA32_APICBASE_ENABLE |
			       (vcpu->vcpu_id ? 0 : MSR_IA32_APICBASE_BSP);
	vcpu_load(vcpu);
	vmx_vcpu_reset(vcpu);
	vcpu_put(vcpu);
	return 0;

out_free_fpu:
	fpu_free_guest_fpstate(&vcpu->arch.guest_fpu);
out_free_pio:
	free_page((unsigned long)vcpu->arch.pio_data);
	return r;
}

void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	kvm_vcpu_free_cpuid(vcpu);
	vmx_vcpu_free(vcpu);
	fpu_free_guest_fpstate(&vcpu->arch.guest_fpu);
	free_page((unsigned long)vcpu->arch.pio_data);
}

long kvm_arch_vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	u64 ident_addr;

	switch (ioctl) {
	/*
	 * Where KVM puts the real-mode TSS and identity page table of CPUs without
	 * unrestricted guest: minikvm requires unrestricted guest, and only takes note.
	 */
	case KVM_SET_TSS_ADDR:
		return 0;
	case KVM_SET_IDENTITY_MAP_ADDR:
		if (copy_from_user(&ident_addr, (void __user *)arg, sizeof(ident_addr)))
			return -EFAULT;
		return 0;
	default:
		/* KVM on x86 answers an unknown VM ioctl with ENOTTY (EINVAL elsewhere). */
		return kvm_refuse(-ENOTTY, "unknown VM ioctl 0x%x", ioctl);
	}
}

void kvm_arch_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	vmx_vcpu_load(vcpu, cpu);
}

void kvm_arch_vcpu_put(struct kvm_vcpu *vcpu)
{
	vmx_vcpu_put(vcpu);
}

/* Without an interrupt controller in the kernel, nothing wakes a halted vCPU here. */
bool kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu)
{
	return false;
}

/* Port I/O (KVM_EXIT_IO): the data page holds the bytes, as in KVM. */

void kvm_pio_exit(struct kvm_vcpu *vcpu, int size, unsigned short port, bool in)
{
	struct kvm_run *run = vcpu->run;

	vcpu->arch.pio.port = port;
	vcpu->arch.pio.size = size;
	vcpu->arch.pio.in = in;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
}

/*
 * The guest's OUT is done once userspace has seen it: step over it now, on the next
 * KVM_RUN, as KVM does (userspace that reads RIP at the exit sees the OUT's own).
 */
static int complete_fast_pio_out(struct kvm_vcpu *vcpu)
{
	return kvm_skip_emulated_instruction(vcpu);
}

/* The next KVM_RUN after a KVM_EXIT_IO IN: the data userspace left in the page. */
static int complete_fast_pio_in(struct kvm_vcpu *vcpu)
{
	unsigned long val = 0;

	memcpy(&val, vcpu->arch.pio_data, vcpu->arch.pio.size);
	trace_kvm_pio(vcpu->vcpu_id, false, vcpu->arch.pio.port, vcpu->arch.pio.size, 1, val);
	kvm_register_load(vcpu, VCPU_REGS_RAX, false, vcpu->arch.pio.size, val);
	return kvm_skip_emulated_instruction(vcpu);
}

static int kvm_fast_pio_out(struct kvm_vcpu *vcpu, int size, unsigned short port)
{
	unsigned long val = kvm_register_read(vcpu, VCPU_REGS_RAX);

	trace_kvm_pio(vcpu->vcpu_id, true, port, size, 1, val & GENMASK(size * 8 - 1, 0));
	if (!kvm_io_bus_write(vcpu, KVM_PIO_BUS, port, size, &val))
		return kvm_skip_emulated_instruction(vcpu);
	memcpy(vcpu->arch.pio_data, &val, size);
	kvm_pio_exit(vcpu, size, port, false);
	vcpu->arch.complete_userspace_io = complete_fast_pio_out;
	return 0;
}

static int kvm_fast_pio_in(struct kvm_vcpu *vcpu, int size, unsigned short port)
{
	unsigned long val = 0;

	if (!kvm_io_bus_read(vcpu, KVM_PIO_BUS, port, size, &val)) {
		trace_kvm_pio(vcpu->vcpu_id, false, port, size, 1, val);
		kvm_register_load(vcpu, VCPU_REGS_RAX, false, size, val);
		return kvm_skip_emulated_instruction(vcpu);
	}
	kvm_pio_exit(vcpu, size, port, true);
	vcpu->arch.complete_userspace_io = complete_fast_pio_in;
	return 0;
}

/**
 * kvm_fast_pio() - an IN or OUT of AL/AX/EAX (not INS/OUTS)
 * @vcpu: the vCPU
 * @size: 1, 2 or 4 bytes
 * @port: the port
 * @in: IN rather than OUT
 *
 * The in-kernel devices on the PIO bus first; else KVM_EXIT_IO, and the next KVM_RUN
 * completes the instruction (complete_fast_pio_in/out()).
 *
 * Return: 1 if handled in the kernel, 0 for userspace.
 */
int kvm_fast_pio(struct kvm_vcpu *vcpu, int size, unsigned short port, bool in)
{
	return in ? kvm_fast_pio_in(vcpu, size, port) : kvm_fast_pio_out(vcpu, size, port);
}

/* Without a local APIC in the kernel, a halted vCPU is userspace's to wake: KVM_EXIT_HLT. */
int kvm_emulate_halt(struct kvm_vcpu *vcpu)
{
	vcpu->stat.halt_exits++;
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	kvm_skip_emulated_instruction(vcpu);
	return 0;
}

long kvm_arch_dev_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_SUPPORTED_CPUID:
		return kvm_dev_ioctl_get_supported_cpuid((void __user *)arg);
	case KVM_GET_MSR_INDEX_LIST:
		return kvm_dev_ioctl_get_msr_index_list((void __user *)arg);
	default:
		return kvm_refuse(-EINVAL, "unknown ioctl 0x%x on /dev/minikvm", ioctl);
	}
}

/* CR0 and CR4 values a CPU accepts (SDM 2.5), as KVM's kvm_is_valid_cr0/cr4(). */
bool kvm_is_valid_cr0(struct kvm_vcpu *vcpu, unsigned long cr0)
{
	if (cr0 >> 32)
		return false;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return false;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return false;
	/* IA-32e mode needs PAE paging (SDM 10.8.5). */
	if ((cr0 & X86_CR0_PG) && (vmcs_read64(GUEST_IA32_EFER) & EFER_LME) &&
	    !(kvm_read_cr4(vcpu) & X86_CR4_PAE))
		return false;
	return true;
}

/*
 * CR4 bits the CPU or minikvm does not allow a guest (vmx_cr4_valid_bits()), or the guest's
 * CPUID does not offer (kvm_vcpu_after_set_cpuid()): a CPU without the feature #GPs.
 */
bool kvm_cr4_reserved(struct kvm_vcpu *vcpu, unsigned long cr4)
{
	return (cr4 & ~vmx_cr4_valid_bits()) || (cr4 & vcpu->arch.cr4_guest_rsvd_bits);
}

bool kvm_is_valid_cr4(struct kvm_vcpu *vcpu, unsigned long cr4)
{
	if (kvm_cr4_reserved(vcpu, cr4))
		return false;
	/* Leaving PAE in IA-32e mode #GPs (SDM 2.5). */
	if ((vmcs_read64(GUEST_IA32_EFER) & EFER_LMA) && !(cr4 & X86_CR4_PAE))
		return false;
	return true;
}

/* Paging with PAE outside IA-32e mode: the CPU runs from 4 PDPTE registers (SDM 5.4.1). */
bool is_pae_paging(struct kvm_vcpu *vcpu)
{
	return (kvm_read_cr0(vcpu) & X86_CR0_PG) && (kvm_read_cr4(vcpu) & X86_CR4_PAE) &&
	       !(vmcs_read64(GUEST_IA32_EFER) & EFER_LMA);
}

/* PDPTE bits that must be 0 in a present entry, below MAXPHYADDR (SDM Table 5-8). */
#define PDPTE_PRESENT		BIT_ULL(0)
#define PDPTE_RSVD_LOW		(BIT_ULL(1) | BIT_ULL(2) | GENMASK_ULL(8, 5))
#define PAE_PDPT_ALIGN		32

/*
 * With EPT, VM entry loads the PDPTEs from the VMCS, not from the guest's CR3 (SDM
 * 27.3.2.4): when the guest's paging state changes out of its sight (KVM_SET_SREGS, an
 * emulated MOV to CR0), they are read as the CPU would have. Returns 0, or -EINVAL for
 * entries the CPU would refuse (a #GP to the guest).
 */
int kvm_load_pdptrs(struct kvm_vcpu *vcpu, unsigned long cr3)
{
	u64 rsvd = PDPTE_RSVD_LOW | GENMASK_ULL(63, boot_cpu_data.x86_phys_bits);
	u64 pdpte[4];
	int i;

	if (kvm_read_guest(vcpu->kvm, cr3 & ~(PAE_PDPT_ALIGN - 1UL), pdpte, sizeof(pdpte)))
		return -EINVAL;
	for (i = 0; i < 4; i++)
		if ((pdpte[i] & PDPTE_PRESENT) && (pdpte[i] & rsvd))
			return -EINVAL;
	vmcs_write64(GUEST_PDPTR0, pdpte[0]);
	vmcs_write64(GUEST_PDPTR1, pdpte[1]);
	vmcs_write64(GUEST_PDPTR2, pdpte[2]);
	vmcs_write64(GUEST_PDPTR3, pdpte[3]);
	return 0;
}

/* The run loop. */

/*
 * Before an entry: a queued interrupt goes in if the guest can take it now, else the
 * guest exits as soon as it can. When userspace asked to hear of that moment, the guest
 * exits as soon as the window is open, right after the entry if it is open now: as KVM,
 * which then returns KVM_EXIT_IRQ_WINDOW_OPEN without waiting for another exit.
 */
static void kvm_check_and_inject_events(struct kvm_vcpu *vcpu)
{
	if (vcpu->arch.interrupt.pending && vmx_interrupt_allowed(vcpu)) {
		vmx_inject_irq(vcpu, vcpu->arch.interrupt.nr);
		vcpu->arch.interrupt.pending = false;
	}
	if (vcpu->arch.interrupt.pending || vcpu->run->request_interrupt_window)
		vmx_set_irq_window(vcpu, true);
}

/* As KVM's kvm_vcpu_ready_for_interrupt_injection(), without an in-kernel irqchip. */
static bool kvm_vcpu_ready_for_interrupt_injection(struct kvm_vcpu *vcpu)
{
	return vmx_interrupt_allowed(vcpu) && !vcpu->arch.interrupt.pending;
}

/* What every return of KVM_RUN tells userspace of the vCPU's interrupt state. */
static void post_kvm_run_save(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->if_flag = !!(vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_IF);
	run->cr8 = vcpu->arch.cr8;
	run->apic_base = vcpu->arch.apic_base;
	run->ready_for_interrupt_injection = kvm_vcpu_ready_for_interrupt_injection(vcpu);
}

/**
 * vcpu_enter_guest() - one trip into the guest and the handling of its exit
 * @vcpu: the vCPU, loaded
 *
 * Return: as the exit handlers: 1 to go on, 0 for userspace, or a negative errno.
 */
static int vcpu_enter_guest(struct kvm_vcpu *vcpu)
{
	local_irq_disable();
	if (!kvm_vcpu_enter_guest_mode(vcpu)) {
		local_irq_enable();
		return 1;
	}
	kvm_check_and_inject_events(vcpu);
	if (trace_kvm_entry_enabled())
		trace_kvm_entry(vcpu->vcpu_id, kvm_rip_read(vcpu));

	vmx_vcpu_run(vcpu);
	vcpu->arch.has_run = true;

	WRITE_ONCE(vcpu->mode, OUTSIDE_GUEST_MODE);
	kvm_vcpu_count_exit(vcpu, (u16)vcpu->arch.exit_reason);
	/* The host takes the interrupt that made the exit, if one did, here. */
	local_irq_enable();
	if (trace_kvm_exit_enabled())
		trace_kvm_exit(vcpu->vcpu_id, vcpu->arch.exit_reason,
			       vcpu->arch.exit_qualification, kvm_rip_read(vcpu));
	return vmx_handle_exit(vcpu);
}

static int vcpu_run(struct kvm_vcpu *vcpu)
{
	int r;

	/* Userspace ran since the last entry: its data may be in the L1D (l1d_flush.c). */
	vcpu->arch.l1tf_flush_l1d = true;

	for (;;) {
		/* Signals and rescheduling; on a signal, KVM_EXIT_INTR is set and counted. */
		r = kvm_vcpu_handle_host_work(vcpu);
		if (r <= 0)
			return r;
		r = vcpu_enter_guest(vcpu);
		if (r <= 0)
			break;
		/* Userspace injects interrupts itself: tell it when it can. */
		if (vcpu->run->request_interrupt_window &&
		    kvm_vcpu_ready_for_interrupt_injection(vcpu)) {
			vcpu->run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
			r = 0;
			break;
		}
	}
	if (!r)
		kvm_vcpu_exit_to_user(vcpu);
	return r;
}

/*
 * The guest's FPU state is in the registers from here to kvm_put_guest_fpu(), the host
 * task's saved in its place: the kernel's guest FPU API swaps them, and a context switch
 * in between saves and restores the guest's as the task's own.
 */
static void kvm_load_guest_fpu(struct kvm_vcpu *vcpu)
{
	fpu_swap_kvm_fpstate(&vcpu->arch.guest_fpu, true);
}

static void kvm_put_guest_fpu(struct kvm_vcpu *vcpu)
{
	fpu_swap_kvm_fpstate(&vcpu->arch.guest_fpu, false);
}

int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	int r;

	vcpu_load(vcpu);
	kvm_load_guest_fpu(vcpu);
	/*
	 * Userspace, which emulates the local APIC, may have changed the TPR in kvm_run: KVM
	 * takes it back at every KVM_RUN without an in-kernel APIC.
	 */
	if (kvm_set_cr8(vcpu, vcpu->run->cr8)) {
		r = kvm_refuse(-EINVAL, "KVM_RUN: run->cr8 0x%llx sets reserved bits",
			       vcpu->run->cr8);
		goto out;
	}
	/* First the access userspace just handled: an IN gets its data, as KVM does. */
	if (vcpu->arch.complete_userspace_io) {
		int (*cui)(struct kvm_vcpu *vcpu) = vcpu->arch.complete_userspace_io;

		vcpu->arch.complete_userspace_io = NULL;
		r = cui(vcpu);
		if (!r)
			kvm_vcpu_exit_to_user(vcpu);
		if (r <= 0)
			goto out;
	}
	/* The exit reason is left as it was: userspace asked to stop, nothing exited. */
	if (kvm_run_immediate_exit(vcpu->run)) {
		r = -EINTR;
		goto out;
	}
	r = vcpu_run(vcpu);
out:
	post_kvm_run_save(vcpu);
	kvm_put_guest_fpu(vcpu);
	vcpu_put(vcpu);
	return r;
}

vm_fault_t kvm_arch_vcpu_fault(struct kvm_vcpu *vcpu, struct vm_fault *vmf)
{
	if (vmf->pgoff != KVM_PIO_PAGE_OFFSET)
		return VM_FAULT_SIGBUS;
	return kvm_vcpu_fault_page(vmf, vcpu->arch.pio_data);
}
