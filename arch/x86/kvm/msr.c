// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest MSRs, as KVM's x86.c handles them: RDMSR and WRMSR exits, KVM_GET/SET_MSRS and
 * KVM_GET_MSR_INDEX_LIST. Every MSR not listed here is refused: #GP for the guest, the end
 * of the batch for KVM_GET/SET_MSRS.
 *
 * Most guest MSRs live in the VMCS, which switches them (SDM 25.4, 28.3). Those it does
 * not switch but a guest uses without an exit are swapped here, as KVM's "user-return"
 * MSRs are: SYSCALL's targets (a 64-bit guest's SYSCALL jumps to LSTAR) and TSC_AUX (read
 * by RDTSCP and RDPID). The guest's go in before an entry, the host's come back when the
 * vCPU leaves the CPU (vcpu_put(), on every return of an ioctl and on preemption): the
 * kernel itself never executes SYSCALL or RDTSCP, so only userspace, or another task, could
 * see the guest's. KVM restores them from a user-return notifier instead, which runs at
 * the same moment for the vCPU thread and spares a kernel thread that preempts it the
 * WRMSRs; minikvm keeps one mechanism for all of the guest's state it swaps.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm.h>
#include <linux/math64.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/page.h>
#include <asm/tsc.h>

#include <minikvm/kvm_host.h>

#include "vmx.h"

/* IA32_MISC_ENABLE as KVM gives it: no branch trace or PEBS store (SDM Table 2-2). */
#define MISC_ENABLE_DEFAULT	(MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)

/*
 * Guest-linear addresses are 48 bits wide: minikvm gives guests no 5-level paging
 * (vmx_regs.c), so bits 63:47 of a canonical one are equal (SDM 3.3.7.1).
 */
#define GUEST_VIRT_ADDR_BITS	48

static bool is_noncanonical_address(u64 la)
{
	return !__is_canonical_address(la, GUEST_VIRT_ADDR_BITS);
}

/*
 * Each byte of IA32_PAT is a memory type: 0, 1, 4, 5, 6 or 7; 2, 3 and 8 up are reserved
 * and WRMSR #GPs (SDM 13.12.2).
 */
#define PAT_VALID_TYPES		(BIT(0) | BIT(1) | BIT(4) | BIT(5) | BIT(6) | BIT(7))

static bool kvm_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 type = pat >> (i * 8);

		if (type >= 8 || !(BIT(type) & PAT_VALID_TYPES))
			return false;
	}
	return true;
}

/* IA32_FMASK and IA32_TSC_AUX: bits 63:32 are reserved (SDM Table 2-2). */
#define MSR_RSVD_HIGH_HALF	GENMASK_ULL(63, 32)

/* The MSRs swapped for the guest, by slot (enum vmx_uret_msr in kvm_arch.h). */
static const u32 vmx_uret_msr_index[NR_VMX_URET_MSRS] = {
	[VMX_URET_STAR]		= MSR_STAR,
	[VMX_URET_LSTAR]	= MSR_LSTAR,
	[VMX_URET_SYSCALL_MASK]	= MSR_SYSCALL_MASK,
	[VMX_URET_TSC_AUX]	= MSR_TSC_AUX,
};

/**
 * struct vmx_uret_msrs_cpu - a CPU's user-return MSRs
 * @host: the host's values, read when VMX is enabled on the CPU; the kernel sets them at
 *	boot and never changes them
 * @curr: what the CPU holds now
 */
struct vmx_uret_msrs_cpu {
	u64 host[NR_VMX_URET_MSRS];
	u64 curr[NR_VMX_URET_MSRS];
};

static DEFINE_PER_CPU(struct vmx_uret_msrs_cpu, vmx_uret_msrs_cpu);

/* TSC_AUX exists where RDTSCP or RDPID does (SDM Vol. 2, RDTSCP). */
static bool host_has_tsc_aux(void)
{
	return boot_cpu_has(X86_FEATURE_RDTSCP) || boot_cpu_has(X86_FEATURE_RDPID);
}

/* Called on each CPU as VMX is enabled there (vmx_hw.c), before any guest runs on it. */
void vmx_uret_msrs_cpu_online(void)
{
	struct vmx_uret_msrs_cpu *c = this_cpu_ptr(&vmx_uret_msrs_cpu);
	int i;

	for (i = 0; i < NR_VMX_URET_MSRS; i++) {
		if (i == VMX_URET_TSC_AUX && !host_has_tsc_aux())
			c->host[i] = 0;
		else
			rdmsrl(vmx_uret_msr_index[i], c->host[i]);
		c->curr[i] = c->host[i];
	}
}

/*
 * Whether the guest can use an MSR without an exit now, and so needs its own value in the
 * CPU: the SYSCALL MSRs once EFER.SCE is set (SYSCALL #UDs before, SDM Vol. 2, SYSCALL;
 * Intel CPUs have no SYSCALL outside 64-bit mode, and CSTAR is never used, as in KVM),
 * TSC_AUX once the guest's CPUID lets it run RDTSCP or RDPID (vmx_set_rdtscp()).
 */
static bool vmx_uret_msr_used(struct kvm_vcpu *vcpu, int slot)
{
	if (slot == VMX_URET_TSC_AUX)
		return vcpu->arch.rdtscp_enabled;
	return vmcs_read64(GUEST_IA32_EFER) & EFER_SCE;
}

/**
 * vmx_load_uret_msrs() - put the guest's user-return MSRs in this CPU
 * @vcpu: the vCPU, loaded, with preemption off
 *
 * Writes only what differs from what the CPU holds; called before the first entry after
 * the vCPU came to this CPU, and again when the guest or userspace changes one.
 */
void vmx_load_uret_msrs(struct kvm_vcpu *vcpu)
{
	struct vmx_uret_msrs_cpu *c = this_cpu_ptr(&vmx_uret_msrs_cpu);
	int i;

	for (i = 0; i < NR_VMX_URET_MSRS; i++) {
		u64 val = vcpu->arch.uret_msrs[i];

		if (!vmx_uret_msr_used(vcpu, i) || val == c->curr[i])
			continue;
		wrmsrl(vmx_uret_msr_index[i], val);
		c->curr[i] = val;
	}
}

/* The host's values back, with preemption off: the vCPU leaves this CPU. */
void vmx_put_uret_msrs(void)
{
	struct vmx_uret_msrs_cpu *c = this_cpu_ptr(&vmx_uret_msrs_cpu);
	int i;

	for (i = 0; i < NR_VMX_URET_MSRS; i++) {
		if (c->curr[i] == c->host[i])
			continue;
		wrmsrl(vmx_uret_msr_index[i], c->host[i]);
		c->curr[i] = c->host[i];
	}
}

/*
 * A user-return MSR, or what decides whether the guest uses one (EFER.SCE, its CPUID),
 * changed: if the guest's are in the CPU, the CPU gets the new state.
 */
void vmx_update_uret_msrs(struct kvm_vcpu *vcpu)
{
	preempt_disable();
	if (vcpu->arch.guest_state_loaded)
		vmx_load_uret_msrs(vcpu);
	preempt_enable();
}

static void vmx_set_uret_msr(struct kvm_vcpu *vcpu, int slot, u64 val)
{
	vcpu->arch.uret_msrs[slot] = val;
	vmx_update_uret_msrs(vcpu);
}

/* IA32_KERNEL_GS_BASE is in the MSR itself between the first entry and vcpu_put(). */
static u64 kvm_get_kernel_gs_base(struct kvm_vcpu *vcpu)
{
	u64 val;

	if (!vcpu->arch.guest_state_loaded)
		return vcpu->arch.msr_kernel_gs_base;
	rdmsrl(MSR_KERNEL_GS_BASE, val);
	return val;
}

static void kvm_set_kernel_gs_base(struct kvm_vcpu *vcpu, u64 val)
{
	preempt_disable();
	if (vcpu->arch.guest_state_loaded)
		wrmsrl(MSR_KERNEL_GS_BASE, val);
	else
		vcpu->arch.msr_kernel_gs_base = val;
	preempt_enable();
}

/*
 * The guest's TSC is the host's plus an offset (SDM 26.6.5 "Time-stamp counter offset"),
 * which its RDTSC, RDTSCP and RDMSR see alike.
 */
static void kvm_vcpu_write_tsc_offset(struct kvm_vcpu *vcpu, u64 offset)
{
	vcpu->arch.tsc_offset = offset;
	vmcs_write64(TSC_OFFSET, offset);
}

/*
 * Host TSC cycles in @ns nanoseconds, at the rate the kernel calibrated: a guest TSC runs at
 * the host's (no TSC scaling).
 */
static u64 nsec_to_tsc_cycles(u64 ns)
{
	return mul_u64_u32_div(ns, tsc_khz, NSEC_PER_MSEC);
}

/**
 * kvm_synchronize_tsc() - a TSC value set by userspace (KVM_SET_MSRS, and 0 at creation)
 * @vcpu: the vCPU, loaded
 * @data: the value
 *
 * As KVM's kvm_synchronize_tsc(): a VMM writes each vCPU's TSC one after the other, at
 * creation (0) or on restore (the value it saved), and means them to be one clock. A
 * value within a second of where the VM's last written one would be now, or 0, takes the
 * VM's current offset, so every vCPU of the VM reads the very same TSC; any other starts
 * a new offset. On a host whose TSC is unstable the elapsed time is added instead.
 */
static void kvm_synchronize_tsc(struct kvm_vcpu *vcpu, u64 data)
{
	struct kvm_arch *ka = &vcpu->kvm->arch;
	u64 offset, ns, elapsed, expected, hz = (u64)tsc_khz * 1000;
	bool synchronizing = false;
	unsigned long flags;

	raw_spin_lock_irqsave(&ka->tsc_write_lock, flags);
	offset = data - rdtsc();
	ns = ktime_get_boottime_ns();
	elapsed = ns - ka->last_tsc_nsec;
	if (ka->tsc_written) {
		expected = ka->last_tsc_write + nsec_to_tsc_cycles(elapsed);
		synchronizing = !data || (data < expected + hz && data + hz > expected);
	}
	if (synchronizing) {
		if (!check_tsc_unstable())
			offset = ka->cur_tsc_offset;
		else
			offset = data + nsec_to_tsc_cycles(elapsed) - rdtsc();
	} else {
		ka->cur_tsc_offset = offset;
	}
	ka->tsc_written = true;
	ka->last_tsc_nsec = ns;
	ka->last_tsc_write = data;
	kvm_vcpu_write_tsc_offset(vcpu, offset);
	raw_spin_unlock_irqrestore(&ka->tsc_write_lock, flags);
}

/* A new vCPU's TSC starts at 0, in step with its VM's others (KVM's postcreate). */
void kvm_vcpu_reset_tsc(struct kvm_vcpu *vcpu)
{
	kvm_synchronize_tsc(vcpu, 0);
}

/*
 * EFER bits a guest may set: those minikvm virtualizes (EFER_VALID_BITS), and of them LME
 * and LMA only if its CPUID offers long mode, NX only if it offers NX, as KVM's
 * __kvm_valid_efer(). SCE needs no CPUID bit, as in KVM.
 */
bool kvm_valid_efer(struct kvm_vcpu *vcpu, u64 efer)
{
	if (efer & ~EFER_VALID_BITS)
		return false;
	if ((efer & (EFER_LME | EFER_LMA)) && !guest_cpuid_has(vcpu, X86_FEATURE_LM))
		return false;
	if ((efer & EFER_NX) && !guest_cpuid_has(vcpu, X86_FEATURE_NX))
		return false;
	return true;
}

/*
 * The MSRs KVM_GET_MSRS and KVM_SET_MSRS handle, for KVM_GET_MSR_INDEX_LIST: what a VMM
 * saves and restores. EFER is not listed, as in KVM: it travels in struct kvm_sregs.
 * TSC_AUX comes last: it is listed only where the host has it (kvm_msrs_to_save()).
 */
static const u32 msrs_to_save[] = {
	MSR_IA32_CR_PAT, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
	MSR_IA32_SYSENTER_EIP, MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_IA32_TSC,
	MSR_IA32_APICBASE, MSR_IA32_MISC_ENABLE, MSR_STAR, MSR_LSTAR, MSR_CSTAR,
	MSR_SYSCALL_MASK, MSR_TSC_AUX,
};

static u32 kvm_msrs_to_save(void)
{
	return ARRAY_SIZE(msrs_to_save) - !host_has_tsc_aux();
}

/* KVM_GET_MSR_INDEX_LIST: nmsrs set in any case, -E2BIG if the list does not fit. */
int kvm_dev_ioctl_get_msr_index_list(struct kvm_msr_list __user *argp)
{
	u32 room, n = kvm_msrs_to_save();

	if (get_user(room, &argp->nmsrs) || put_user(n, &argp->nmsrs))
		return -EFAULT;
	if (room < n)
		return kvm_refuse(-E2BIG, "KVM_GET_MSR_INDEX_LIST: room for %u MSRs, %u needed",
				  room, n);
	return copy_to_user(argp->indices, msrs_to_save, n * sizeof(u32)) ? -EFAULT : 0;
}

/*
 * TSC_AUX is there for RDTSCP and RDPID: a guest whose CPUID has neither cannot reach it
 * (userspace can, to save and restore it), as in KVM.
 */
static bool kvm_tsc_aux_allowed(struct kvm_vcpu *vcpu, bool host_initiated)
{
	if (!host_has_tsc_aux())
		return false;
	return host_initiated || guest_cpuid_has(vcpu, X86_FEATURE_RDTSCP) ||
	       guest_cpuid_has(vcpu, X86_FEATURE_RDPID);
}

/**
 * kvm_get_msr() - read a guest MSR
 * @vcpu: the vCPU, loaded
 * @index: the MSR
 * @data: where its value goes
 * @host_initiated: for KVM_GET_MSRS rather than the guest's RDMSR
 *
 * Return: 0, or 1 for an MSR the reader cannot read: #GP for the guest, as KVM's default.
 */
static int kvm_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host_initiated)
{
	switch (index) {
	case MSR_EFER:
		*data = vmcs_read64(GUEST_IA32_EFER);
		break;
	case MSR_IA32_CR_PAT:
		*data = vmcs_read64(GUEST_IA32_PAT);
		break;
	case MSR_IA32_SYSENTER_CS:
		*data = vmcs_read32(GUEST_SYSENTER_CS);
		break;
	case MSR_IA32_SYSENTER_ESP:
		*data = vmcs_readl(GUEST_SYSENTER_ESP);
		break;
	case MSR_IA32_SYSENTER_EIP:
		*data = vmcs_readl(GUEST_SYSENTER_EIP);
		break;
	case MSR_FS_BASE:
		*data = vmcs_readl(GUEST_FS_BASE);
		break;
	case MSR_GS_BASE:
		*data = vmcs_readl(GUEST_GS_BASE);
		break;
	case MSR_KERNEL_GS_BASE:
		*data = kvm_get_kernel_gs_base(vcpu);
		break;
	case MSR_STAR:
		*data = vcpu->arch.uret_msrs[VMX_URET_STAR];
		break;
	case MSR_LSTAR:
		*data = vcpu->arch.uret_msrs[VMX_URET_LSTAR];
		break;
	case MSR_CSTAR:
		*data = vcpu->arch.msr_cstar;
		break;
	case MSR_SYSCALL_MASK:
		*data = vcpu->arch.uret_msrs[VMX_URET_SYSCALL_MASK];
		break;
	case MSR_TSC_AUX:
		if (!kvm_tsc_aux_allowed(vcpu, host_initiated))
			return 1;
		*data = vcpu->arch.uret_msrs[VMX_URET_TSC_AUX];
		break;
	case MSR_IA32_TSC:
		*data = rdtsc() + vcpu->arch.tsc_offset;
		break;
	case MSR_IA32_APICBASE:
		*data = vcpu->arch.apic_base;
		break;
	case MSR_IA32_MISC_ENABLE:
		*data = MISC_ENABLE_DEFAULT;
		break;
	default:
		return 1;
	}
	return 0;
}

/**
 * kvm_set_msr() - write a guest MSR
 * @vcpu: the vCPU, loaded
 * @index: the MSR
 * @data: the value
 * @host_initiated: for KVM_SET_MSRS rather than the guest's WRMSR
 *
 * Checks @data as the CPU's WRMSR would, for both: a base address or SYSCALL target that
 * is not canonical, a reserved PAT type or a reserved high half is refused, never handed to
 * the CPU, where a WRMSR of the host would fault on it or the next VM entry fail (SDM
 * 27.3.1). SYSENTER_ESP and SYSENTER_EIP are made canonical instead, as KVM does.
 *
 * Return: 0, or 1 to refuse: #GP for the guest, the end of a KVM_SET_MSRS batch.
 */
static int kvm_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host_initiated)
{
	u64 efer;

	switch (index) {
	case MSR_EFER:
		efer = vmcs_read64(GUEST_IA32_EFER);
		if (!kvm_valid_efer(vcpu, data))
			return 1;
		/* LME cannot change while paging is on (SDM 10.8.5). */
		if ((kvm_read_cr0(vcpu) & X86_CR0_PG) && ((data ^ efer) & EFER_LME))
			return 1;
		vmx_set_efer(vcpu, (data & ~EFER_LMA) | (efer & EFER_LMA));
		break;
	case MSR_IA32_CR_PAT:
		if (!kvm_pat_valid(data))
			return 1;
		vmcs_write64(GUEST_IA32_PAT, data);
		break;
	case MSR_IA32_SYSENTER_CS:
		vmcs_write32(GUEST_SYSENTER_CS, data);
		break;
	case MSR_IA32_SYSENTER_ESP:
		vmcs_writel(GUEST_SYSENTER_ESP, __canonical_address(data, GUEST_VIRT_ADDR_BITS));
		break;
	case MSR_IA32_SYSENTER_EIP:
		vmcs_writel(GUEST_SYSENTER_EIP, __canonical_address(data, GUEST_VIRT_ADDR_BITS));
		break;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR:
	case MSR_CSTAR:
		if (is_noncanonical_address(data))
			return 1;
		if (index == MSR_FS_BASE)
			vmcs_writel(GUEST_FS_BASE, data);
		else if (index == MSR_GS_BASE)
			vmcs_writel(GUEST_GS_BASE, data);
		else if (index == MSR_KERNEL_GS_BASE)
			kvm_set_kernel_gs_base(vcpu, data);
		else if (index == MSR_LSTAR)
			vmx_set_uret_msr(vcpu, VMX_URET_LSTAR, data);
		else
			vcpu->arch.msr_cstar = data;
		break;
	case MSR_STAR:
		vmx_set_uret_msr(vcpu, VMX_URET_STAR, data);
		break;
	case MSR_SYSCALL_MASK:
		if (data & MSR_RSVD_HIGH_HALF)
			return 1;
		vmx_set_uret_msr(vcpu, VMX_URET_SYSCALL_MASK, data);
		break;
	case MSR_TSC_AUX:
		if (!kvm_tsc_aux_allowed(vcpu, host_initiated))
			return 1;
		/*
		 * Reserved on Intel CPUs, ignored by AMD's: as KVM, refused for a guest that
		 * is told it runs on Intel, dropped for any other, so that it migrates alike.
		 */
		if ((data & MSR_RSVD_HIGH_HALF) && guest_cpuid_is_intel(vcpu))
			return 1;
		vmx_set_uret_msr(vcpu, VMX_URET_TSC_AUX, (u32)data);
		break;
	case MSR_IA32_TSC:
		/* The guest moves its own clock; userspace sets the VM's (KVM's rules). */
		if (host_initiated)
			kvm_synchronize_tsc(vcpu, data);
		else
			kvm_vcpu_write_tsc_offset(vcpu, data - rdtsc());
		break;
	case MSR_IA32_APICBASE:
		vcpu->arch.apic_base = data;
		break;
	case MSR_IA32_MISC_ENABLE:
		break;
	default:
		return 1;
	}
	return 0;
}

int kvm_emulate_rdmsr(struct kvm_vcpu *vcpu)
{
	u32 index = kvm_register_read(vcpu, VCPU_REGS_RCX);
	u64 data;

	if (kvm_get_msr(vcpu, index, &data, false))
		return kvm_inject_gp(vcpu);
	kvm_register_write(vcpu, VCPU_REGS_RAX, (u32)data);
	kvm_register_write(vcpu, VCPU_REGS_RDX, data >> 32);
	return kvm_skip_emulated_instruction(vcpu);
}

int kvm_emulate_wrmsr(struct kvm_vcpu *vcpu)
{
	u32 index = kvm_register_read(vcpu, VCPU_REGS_RCX);
	u64 data = (u32)kvm_register_read(vcpu, VCPU_REGS_RAX) |
		   ((u64)(u32)kvm_register_read(vcpu, VCPU_REGS_RDX) << 32);

	if (kvm_set_msr(vcpu, index, data, false))
		return kvm_inject_gp(vcpu);
	return kvm_skip_emulated_instruction(vcpu);
}

/* KVM's limit on the MSRs of one KVM_GET_MSRS or KVM_SET_MSRS. */
#define MAX_IO_MSRS	256

/*
 * KVM_GET_MSRS and KVM_SET_MSRS: the MSRs in order, up to the first one minikvm does not
 * know or refuses. Returns how many were done, as KVM.
 */
int kvm_vcpu_ioctl_msr_io(struct kvm_vcpu *vcpu, struct kvm_msrs __user *argp, bool set)
{
	struct kvm_msr_entry *entries;
	struct kvm_msrs msrs;
	size_t size;
	int i, r;

	if (copy_from_user(&msrs, argp, sizeof(msrs)))
		return -EFAULT;
	if (msrs.nmsrs >= MAX_IO_MSRS)
		return kvm_refuse(-E2BIG, "%u MSRs at once: fewer than %d", msrs.nmsrs, MAX_IO_MSRS);
	size = sizeof(*entries) * msrs.nmsrs;
	entries = memdup_user(argp->entries, size);
	if (IS_ERR(entries))
		return PTR_ERR(entries);
	vcpu_load(vcpu);
	for (i = 0; i < msrs.nmsrs; i++) {
		if (set ? kvm_set_msr(vcpu, entries[i].index, entries[i].data, true) :
			  kvm_get_msr(vcpu, entries[i].index, &entries[i].data, true))
			break;
	}
	vcpu_put(vcpu);
	r = i;
	if (!set && copy_to_user(argp->entries, entries, size))
		r = -EFAULT;
	kfree(entries);
	return r;
}
