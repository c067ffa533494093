// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86 side of minikvm's VM and vCPU objects and the run loop, as KVM's x86.c:
 * kvm_arch_vcpu_ioctl_run() → vcpu_run() → vcpu_enter_guest() → vmx_vcpu_run() (vmx.c),
 * then vmx_handle_exit() → kvm_vmx_exit_handlers[] → the helpers here that finish an exit
 * in the kernel, on the io bus or in userspace (port I/O, HLT, CPUID, MSRs); and the
 * register ioctls.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xstate.h>
#include <asm/irq_vectors.h>
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
		return 1;
	default:
		return 0;
	}
}

int kvm_arch_init_vm(struct kvm *kvm, unsigned long type)
{
	if (type)
		return kvm_refuse(-EINVAL, "machine type %lu: x86 has only type 0", type);
	return kvm_mmu_init_vm(kvm);
}

int kvm_arch_prepare_memory_region(struct kvm *kvm, const struct kvm_memory_slot *new)
{
	/* EPT maps guest addresses up to the host's MAXPHYADDR. */
	gfn_t max_gfn = (1ULL << (boot_cpu_data.x86_phys_bits - PAGE_SHIFT)) - 1;

	if (new->base_gfn + new->npages - 1 > max_gfn)
		return kvm_refuse(-EINVAL, "slot %u ends beyond the host's physical address width",
				  new->id);
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

/* IN writes AL, AX or EAX; a 32-bit result zeroes RAX's upper half (SDM 3.4.1.1). */
static void kvm_pio_in_to_rax(struct kvm_vcpu *vcpu, int size, unsigned long val)
{
	unsigned long rax = kvm_register_read(vcpu, VCPU_REGS_RAX);

	switch (size) {
	case 1:
		rax = (rax & ~0xffUL) | (val & 0xff);
		break;
	case 2:
		rax = (rax & ~0xffffUL) | (val & 0xffff);
		break;
	default:
		rax = (u32)val;
		break;
	}
	kvm_register_write(vcpu, VCPU_REGS_RAX, rax);
}

/* The next KVM_RUN after a KVM_EXIT_IO IN: the data userspace left in the page. */
static int complete_fast_pio_in(struct kvm_vcpu *vcpu)
{
	unsigned long val = 0;

	memcpy(&val, vcpu->arch.pio_data, vcpu->arch.pio.size);
	trace_kvm_pio(vcpu->vcpu_id, false, vcpu->arch.pio.port, vcpu->arch.pio.size, 1, val);
	kvm_pio_in_to_rax(vcpu, vcpu->arch.pio.size, val);
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
		kvm_pio_in_to_rax(vcpu, size, val);
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

bool kvm_is_valid_cr4(struct kvm_vcpu *vcpu, unsigned long cr4)
{
	if (cr4 & ~vmx_cr4_valid_bits())
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
	bool allowed = vmx_interrupt_allowed(vcpu);

	if (vcpu->arch.interrupt.pending && allowed) {
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

/* The register ioctls, with the vCPU loaded: its state is in its VMCS. */

static void kvm_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	unsigned long *r = vcpu->arch.regs;

	regs->rax = r[VCPU_REGS_RAX];
	regs->rbx = r[VCPU_REGS_RBX];
	regs->rcx = r[VCPU_REGS_RCX];
	regs->rdx = r[VCPU_REGS_RDX];
	regs->rsi = r[VCPU_REGS_RSI];
	regs->rdi = r[VCPU_REGS_RDI];
	regs->rsp = kvm_register_read(vcpu, VCPU_REGS_RSP);
	regs->rbp = r[VCPU_REGS_RBP];
	regs->r8 = r[VCPU_REGS_R8];
	regs->r9 = r[VCPU_REGS_R9];
	regs->r10 = r[VCPU_REGS_R10];
	regs->r11 = r[VCPU_REGS_R11];
	regs->r12 = r[VCPU_REGS_R12];
	regs->r13 = r[VCPU_REGS_R13];
	regs->r14 = r[VCPU_REGS_R14];
	regs->r15 = r[VCPU_REGS_R15];
	regs->rip = kvm_rip_read(vcpu);
	regs->rflags = vmcs_readl(GUEST_RFLAGS);
}

static void kvm_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	unsigned long *r = vcpu->arch.regs;

	r[VCPU_REGS_RAX] = regs->rax;
	r[VCPU_REGS_RBX] = regs->rbx;
	r[VCPU_REGS_RCX] = regs->rcx;
	r[VCPU_REGS_RDX] = regs->rdx;
	r[VCPU_REGS_RSI] = regs->rsi;
	r[VCPU_REGS_RDI] = regs->rdi;
	kvm_register_write(vcpu, VCPU_REGS_RSP, regs->rsp);
	r[VCPU_REGS_RBP] = regs->rbp;
	r[VCPU_REGS_R8] = regs->r8;
	r[VCPU_REGS_R9] = regs->r9;
	r[VCPU_REGS_R10] = regs->r10;
	r[VCPU_REGS_R11] = regs->r11;
	r[VCPU_REGS_R12] = regs->r12;
	r[VCPU_REGS_R13] = regs->r13;
	r[VCPU_REGS_R14] = regs->r14;
	r[VCPU_REGS_R15] = regs->r15;
	kvm_rip_write(vcpu, regs->rip);
	/* Bit 1 of RFLAGS is always 1 (SDM 3.4.3). */
	vmcs_writel(GUEST_RFLAGS, regs->rflags | X86_EFLAGS_FIXED);
}

static void kvm_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	memset(sregs, 0, sizeof(*sregs));
	vmx_get_segment(vcpu, &sregs->cs, VCPU_SREG_CS);
	vmx_get_segment(vcpu, &sregs->ds, VCPU_SREG_DS);
	vmx_get_segment(vcpu, &sregs->es, VCPU_SREG_ES);
	vmx_get_segment(vcpu, &sregs->fs, VCPU_SREG_FS);
	vmx_get_segment(vcpu, &sregs->gs, VCPU_SREG_GS);
	vmx_get_segment(vcpu, &sregs->ss, VCPU_SREG_SS);
	vmx_get_segment(vcpu, &sregs->tr, VCPU_SREG_TR);
	vmx_get_segment(vcpu, &sregs->ldt, VCPU_SREG_LDTR);
	vmx_get_dtable(vcpu, &sregs->gdt, false);
	vmx_get_dtable(vcpu, &sregs->idt, true);
	sregs->cr0 = kvm_read_cr0(vcpu);
	sregs->cr2 = vcpu->arch.cr2;
	sregs->cr3 = vmcs_readl(GUEST_CR3);
	sregs->cr4 = kvm_read_cr4(vcpu);
	sregs->cr8 = vcpu->arch.cr8;
	sregs->efer = vmcs_read64(GUEST_IA32_EFER);
	sregs->apic_base = vcpu->arch.apic_base;
}

/*
 * As KVM's kvm_is_valid_sregs(): a state a CPU could be in. IA-32e mode is LME with paging,
 * which needs PAE and LMA; LMA or a 64-bit code segment without it is no state at all.
 * Returns NULL, or why not.
 */
static const char *kvm_invalid_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	if (sregs->efer & ~EFER_VALID_BITS)
		return "EFER sets bits minikvm does not virtualize";
	if ((sregs->efer & EFER_LME) && (sregs->cr0 & X86_CR0_PG)) {
		if (!(sregs->cr4 & X86_CR4_PAE) || !(sregs->efer & EFER_LMA))
			return "IA-32e paging without CR4.PAE or EFER.LMA";
		if (sregs->cr3 >> boot_cpu_data.x86_phys_bits)
			return "CR3 beyond the physical address width";
	} else if ((sregs->efer & EFER_LMA) || sregs->cs.l) {
		return "EFER.LMA or CS.L outside IA-32e mode";
	}
	if (sregs->cr4 & ~vmx_cr4_valid_bits())
		return "CR4 sets reserved bits";
	if (sregs->cr0 >> 32 || ((sregs->cr0 & X86_CR0_NW) && !(sregs->cr0 & X86_CR0_CD)) ||
	    ((sregs->cr0 & X86_CR0_PG) && !(sregs->cr0 & X86_CR0_PE)))
		return "CR0 sets reserved bits, NW without CD, or PG without PE";
	return NULL;
}

static int kvm_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	const char *invalid = kvm_invalid_sregs(vcpu, sregs);

	if (invalid)
		return kvm_refuse(-EINVAL, "KVM_SET_SREGS: %s", invalid);
	vmx_set_segment(vcpu, &sregs->cs, VCPU_SREG_CS);
	vmx_set_segment(vcpu, &sregs->ds, VCPU_SREG_DS);
	vmx_set_segment(vcpu, &sregs->es, VCPU_SREG_ES);
	vmx_set_segment(vcpu, &sregs->fs, VCPU_SREG_FS);
	vmx_set_segment(vcpu, &sregs->gs, VCPU_SREG_GS);
	vmx_set_segment(vcpu, &sregs->ss, VCPU_SREG_SS);
	vmx_set_segment(vcpu, &sregs->tr, VCPU_SREG_TR);
	vmx_set_segment(vcpu, &sregs->ldt, VCPU_SREG_LDTR);
	vmx_set_dtable(vcpu, &sregs->gdt, false);
	vmx_set_dtable(vcpu, &sregs->idt, true);
	vcpu->arch.cr2 = sregs->cr2;
	vcpu->arch.cr8 = sregs->cr8;
	vcpu->arch.apic_base = sregs->apic_base;
	vmcs_writel(GUEST_CR3, sregs->cr3);
	/* EFER before CR0: the mode is set whole here, not switched as a guest would. */
	vmx_set_efer(vcpu, sregs->efer);
	vmx_set_cr4(vcpu, sregs->cr4);
	vmcs_writel(CR0_READ_SHADOW, sregs->cr0);
	vmx_set_cr0(vcpu, sregs->cr0);
	if (is_pae_paging(vcpu) && kvm_load_pdptrs(vcpu, sregs->cr3))
		return kvm_refuse(-EINVAL, "KVM_SET_SREGS: PAE paging with bad PDPTEs");
	return 0;
}

/*
 * KVM_GET_FPU and KVM_SET_FPU: the legacy x87/SSE area of the guest's FPU state, which
 * is in memory whenever no KVM_RUN is under way (it is in the registers only inside).
 */
static void kvm_get_fpu(struct kvm_vcpu *vcpu, struct kvm_fpu *fpu)
{
	struct fxregs_state *fxsave = &vcpu->arch.guest_fpu.fpstate->regs.fxsave;

	memset(fpu, 0, sizeof(*fpu));
	memcpy(fpu->fpr, fxsave->st_space, sizeof(fpu->fpr));
	fpu->fcw = fxsave->cwd;
	fpu->fsw = fxsave->swd;
	fpu->ftwx = fxsave->twd;
	fpu->last_opcode = fxsave->fop;
	fpu->last_ip = fxsave->rip;
	fpu->last_dp = fxsave->rdp;
	memcpy(fpu->xmm, fxsave->xmm_space, sizeof(fpu->xmm));
	fpu->mxcsr = fxsave->mxcsr;
}

static void kvm_set_fpu(struct kvm_vcpu *vcpu, const struct kvm_fpu *fpu)
{
	struct fpstate *fpstate = vcpu->arch.guest_fpu.fpstate;
	struct fxregs_state *fxsave = &fpstate->regs.fxsave;

	memcpy(fxsave->st_space, fpu->fpr, sizeof(fpu->fpr));
	fxsave->cwd = fpu->fcw;
	fxsave->swd = fpu->fsw;
	fxsave->twd = fpu->ftwx;
	fxsave->fop = fpu->last_opcode;
	fxsave->rip = fpu->last_ip;
	fxsave->rdp = fpu->last_dp;
	memcpy(fxsave->xmm_space, fpu->xmm, sizeof(fpu->xmm));
	fxsave->mxcsr = fpu->mxcsr;
	/*
	 * XRSTOR loads a component only if its XSTATE_BV bit is set, and initializes it
	 * otherwise (SDM 13.8.1): mark x87 and SSE as present, or they would be lost.
	 */
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		fpstate->regs.xsave.header.xfeatures |= XFEATURE_MASK_FPSSE;
}

/*
 * KVM_INTERRUPT without an in-kernel interrupt controller: the vector waits until the
 * guest can take it (kvm_check_and_inject_events()).
 */
static int kvm_vcpu_ioctl_interrupt(struct kvm_vcpu *vcpu, struct kvm_interrupt __user *argp)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= KVM_NR_INTERRUPTS)
		return kvm_refuse(-EINVAL, "KVM_INTERRUPT: vector %u is not below %d", irq.irq,
				  KVM_NR_INTERRUPTS);
	vcpu->arch.interrupt.nr = irq.irq;
	vcpu->arch.interrupt.pending = true;
	return 0;
}

/**
 * kvm_vcpu_ioctl_x86_get_vcpu_events() - KVM_GET_VCPU_EVENTS
 * @vcpu: the vCPU, loaded
 * @events: filled in
 *
 * What the next entry delivers (an exception an exit handler raised, or an event an exit
 * interrupted, vmx_complete_interrupts()), the interrupt KVM_INTERRUPT queued, and the
 * STI/MOV SS shadow. Software interrupts and exceptions are left out, as KVM leaves them:
 * RIP is still on their instruction, which runs again. An exception is never pending
 * (unqueued) in minikvm; NMIs and SMM the guest has none. The flags are KVM's.
 */
static void kvm_vcpu_ioctl_x86_get_vcpu_events(struct kvm_vcpu *vcpu,
					       struct kvm_vcpu_events *events)
{
	u32 info = vmcs_read32(VM_ENTRY_INTR_INFO_FIELD);

	memset(events, 0, sizeof(*events));
	if (vcpu->arch.interrupt.pending) {
		events->interrupt.injected = 1;
		events->interrupt.nr = vcpu->arch.interrupt.nr;
	}
	if ((info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK)) ==
	    (INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION)) {
		events->exception.injected = 1;
		events->exception.nr = info & INTR_INFO_VECTOR_MASK;
		events->exception.has_error_code = !!(info & INTR_INFO_DELIVER_CODE_MASK);
		if (events->exception.has_error_code)
			events->exception.error_code = vmcs_read32(VM_ENTRY_EXCEPTION_ERROR_CODE);
	} else if ((info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK)) ==
		   (INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR)) {
		events->interrupt.injected = 1;
		events->interrupt.nr = info & INTR_INFO_VECTOR_MASK;
	}
	events->interrupt.shadow = vmx_get_interrupt_shadow(vcpu);
	events->nmi.masked = vmx_get_nmi_mask(vcpu);
	events->flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
			KVM_VCPUEVENT_VALID_SMM;
}

#define KVM_VCPUEVENT_VALID_FLAGS	(KVM_VCPUEVENT_VALID_NMI_PENDING |		\
					 KVM_VCPUEVENT_VALID_SIPI_VECTOR |		\
					 KVM_VCPUEVENT_VALID_SHADOW |			\
					 KVM_VCPUEVENT_VALID_SMM |			\
					 KVM_VCPUEVENT_VALID_PAYLOAD |			\
					 KVM_VCPUEVENT_VALID_TRIPLE_FAULT)

/*
 * Why KVM_SET_VCPU_EVENTS is refused, or NULL. KVM's own refusals (unknown flags, an
 * exception vector that is none, payloads and triple-fault events before their
 * capability is enabled) come first, then the state minikvm cannot hold: a guest NMI,
 * SMM, an injected software interrupt.
 */
static const char *kvm_invalid_vcpu_events(const struct kvm_vcpu_events *events)
{
	if (events->flags & ~KVM_VCPUEVENT_VALID_FLAGS)
		return "unknown flags";
	if (events->flags & (KVM_VCPUEVENT_VALID_PAYLOAD | KVM_VCPUEVENT_VALID_TRIPLE_FAULT))
		return "exception payloads or triple-fault events, not enabled";
	if (events->exception.injected &&
	    (events->exception.nr > 31 || events->exception.nr == NMI_VECTOR))
		return "exception vector is not an exception";
	if (events->nmi.injected || events->nmi.masked ||
	    ((events->flags & KVM_VCPUEVENT_VALID_NMI_PENDING) && events->nmi.pending))
		return "an NMI state, and minikvm has no guest NMIs";
	if ((events->flags & KVM_VCPUEVENT_VALID_SMM) && (events->smi.smm || events->smi.pending))
		return "SMM, which minikvm does not emulate";
	if (events->interrupt.injected && events->interrupt.soft)
		return "an injected software interrupt";
	return NULL;
}

/*
 * KVM_SET_VCPU_EVENTS: replaces what the next entry delivers and the queued interrupt, and
 * the shadow if its flag says so. An exception pending without a payload is ignored, as
 * KVM ignores it; the SIPI vector too, without a local APIC. Error codes lose bits 31:16,
 * which VM entry refuses (SDM 27.2.1.3), as in KVM.
 */
static int kvm_vcpu_ioctl_x86_set_vcpu_events(struct kvm_vcpu *vcpu,
					      const struct kvm_vcpu_events *events)
{
	const char *invalid = kvm_invalid_vcpu_events(events);

	if (invalid)
		return kvm_refuse(-EINVAL, "KVM_SET_VCPU_EVENTS: %s", invalid);
	vmx_cancel_injection(vcpu);
	if (events->exception.injected)
		vmx_inject_exception(vcpu, events->exception.nr,
				     events->exception.has_error_code &&
				     (kvm_read_cr0(vcpu) & X86_CR0_PE),
				     (u16)events->exception.error_code);
	vcpu->arch.interrupt.pending = events->interrupt.injected;
	vcpu->arch.interrupt.nr = events->interrupt.nr;
	if (events->flags & KVM_VCPUEVENT_VALID_SHADOW)
		vmx_set_interrupt_shadow(vcpu, events->interrupt.shadow);
	return 0;
}

long kvm_arch_vcpu_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	struct kvm_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp_state;
	struct kvm_sregs *sregs;
	struct kvm_regs regs;
	struct kvm_fpu *fpu;
	long r;

	switch (ioctl) {
	case KVM_GET_REGS:
		vcpu_load(vcpu);
		kvm_get_regs(vcpu, &regs);
		vcpu_put(vcpu);
		return copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
	case KVM_SET_REGS:
		if (copy_from_user(&regs, argp, sizeof(regs)))
			return -EFAULT;
		vcpu_load(vcpu);
		kvm_set_regs(vcpu, &regs);
		vcpu_put(vcpu);
		return 0;
	case KVM_GET_SREGS:
		sregs = kzalloc(sizeof(*sregs), GFP_KERNEL_ACCOUNT);
		if (!sregs)
			return -ENOMEM;
		vcpu_load(vcpu);
		kvm_get_sregs(vcpu, sregs);
		vcpu_put(vcpu);
		r = copy_to_user(argp, sregs, sizeof(*sregs)) ? -EFAULT : 0;
		kfree(sregs);
		return r;
	case KVM_SET_SREGS:
		sregs = memdup_user(argp, sizeof(*sregs));
		if (IS_ERR(sregs))
			return PTR_ERR(sregs);
		vcpu_load(vcpu);
		r = kvm_set_sregs(vcpu, sregs);
		vcpu_put(vcpu);
		kfree(sregs);
		return r;
	case KVM_GET_FPU:
		fpu = kzalloc(sizeof(*fpu), GFP_KERNEL_ACCOUNT);
		if (!fpu)
			return -ENOMEM;
		kvm_get_fpu(vcpu, fpu);
		r = copy_to_user(argp, fpu, sizeof(*fpu)) ? -EFAULT : 0;
		kfree(fpu);
		return r;
	case KVM_SET_FPU:
		fpu = memdup_user(argp, sizeof(*fpu));
		if (IS_ERR(fpu))
			return PTR_ERR(fpu);
		kvm_set_fpu(vcpu, fpu);
		kfree(fpu);
		return 0;
	case KVM_GET_MP_STATE:
		/* HLT exits to userspace: the vCPU is never halted in the kernel. */
		mp_state.mp_state = KVM_MP_STATE_RUNNABLE;
		return copy_to_user(argp, &mp_state, sizeof(mp_state)) ? -EFAULT : 0;
	case KVM_SET_MP_STATE:
		if (copy_from_user(&mp_state, argp, sizeof(mp_state)))
			return -EFAULT;
		/* Without an in-kernel local APIC, KVM has no other state either. */
		if (mp_state.mp_state != KVM_MP_STATE_RUNNABLE)
			return kvm_refuse(-EINVAL, "MP state %u: only RUNNABLE without a local APIC",
					  mp_state.mp_state);
		return 0;
	case KVM_GET_MSRS:
		return kvm_vcpu_ioctl_msr_io(vcpu, argp, false);
	case KVM_SET_MSRS:
		return kvm_vcpu_ioctl_msr_io(vcpu, argp, true);
	case KVM_INTERRUPT:
		return kvm_vcpu_ioctl_interrupt(vcpu, argp);
	case KVM_GET_VCPU_EVENTS:
		vcpu_load(vcpu);
		kvm_vcpu_ioctl_x86_get_vcpu_events(vcpu, &events);
		vcpu_put(vcpu);
		return copy_to_user(argp, &events, sizeof(events)) ? -EFAULT : 0;
	case KVM_SET_VCPU_EVENTS:
		if (copy_from_user(&events, argp, sizeof(events)))
			return -EFAULT;
		vcpu_load(vcpu);
		r = kvm_vcpu_ioctl_x86_set_vcpu_events(vcpu, &events);
		vcpu_put(vcpu);
		return r;
	case KVM_SET_CPUID2:
		return kvm_vcpu_ioctl_set_cpuid2(vcpu, argp);
	case KVM_GET_CPUID2:
		return kvm_vcpu_ioctl_get_cpuid2(vcpu, argp);
	default:
		return kvm_refuse(-EINVAL, "unknown vCPU ioctl 0x%x", ioctl);
	}
}

vm_fault_t kvm_arch_vcpu_fault(struct kvm_vcpu *vcpu, struct vm_fault *vmf)
{
	struct page *page;

	if (vmf->pgoff != KVM_PIO_PAGE_OFFSET)
		return VM_FAULT_SIGBUS;
	page = virt_to_page(vcpu->arch.pio_data);
	get_page(page);
	vmf->page = page;
	return 0;
}
