/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What minikvm's x86 files share: the VMCS accessors and the steps of the run path, named
 * as KVM names them.
 *
 * References are to the Intel SDM, Vol. 3C, in the editions where chapter 23 is
 * "Introduction to Virtual Machine Extensions" and chapter 30 the "VMX Instruction
 * Reference"; later editions renumber these chapters, so each reference names its section.
 */
#ifndef __MINIKVM_X86_VMX_H
#define __MINIKVM_X86_VMX_H

#include <linux/kvm.h>
#include <linux/printk.h>
#include <linux/types.h>
#include <asm/asm.h>
#include <asm/debugreg.h>
#include <asm/msr-index.h>
#include <asm/vmx.h>

#include <minikvm/kvm_host.h>

/**
 * struct vmcs_config - what every CPU's VMX regions and VMCSs are made from (vmx_hw.c)
 * @revision_id: VMCS revision identifier, written at offset 0 of VMXON and VMCS regions
 * @size: bytes the CPU may use of such a region; at most a page, or minikvm refuses
 * @pin_based_exec_ctrl: pin-based VM-execution controls (SDM 25.6.1)
 * @cpu_based_exec_ctrl: primary processor-based controls (SDM 25.6.2)
 * @cpu_based_2nd_exec_ctrl: secondary processor-based controls
 * @vmexit_ctrl: VM-exit controls (SDM 25.7.1)
 * @vmentry_ctrl: VM-entry controls (SDM 25.8.1), IA-32e mode guest left clear
 * @ept_caps: IA32_VMX_EPT_VPID_CAP (SDM A.10)
 * @insouts_info: exits of INS and OUTS say their address size (IA32_VMX_BASIC[54])
 * @preemption_timer_value: VMX-preemption timer start value of one host tick, or 0
 * @cr0_fixed0: CR0 bits VMX operation requires set (SDM A.7)
 * @cr4_fixed0: likewise for CR4 (SDM A.8)
 * @cr4_fixed1: CR4 bits VMX operation allows set
 */
struct vmcs_config {
	u32 revision_id;
	u32 size;
	u32 pin_based_exec_ctrl;
	u32 cpu_based_exec_ctrl;
	u32 cpu_based_2nd_exec_ctrl;
	u32 vmexit_ctrl;
	u32 vmentry_ctrl;
	u64 ept_caps;
	bool insouts_info;
	u32 preemption_timer_value;
	u64 cr0_fixed0;
	u64 cr4_fixed0;
	u64 cr4_fixed1;
};

extern struct vmcs_config vmcs_config;

/*
 * DR6 and DR7 as a guest can write them (SDM 19.2.3, 19.2.4): B0-B3, BD, BS and BT of DR6,
 * the other bits fixed (RTM and bus-lock bits inactive, as for a guest without either);
 * in DR7, bit 10 is 1 and bits 12, 14 and 15 are 0. The high halves are reserved: a MOV
 * in 64-bit mode that sets them #GPs.
 */
#define DR6_ACTIVE_LOW		DR6_RESERVED
#define DR6_BD			BIT(13)
#define DR6_VOLATILE		(DR_TRAP_BITS | DR6_BD | DR_STEP | DR_SWITCH)
/* <asm/debugreg.h> names DR7's bit 10 itself from 6.12 on. */
#ifndef DR7_FIXED_1
#define DR7_FIXED_1		0x00000400
#endif
#define DR7_GD			BIT(13)
#define DR7_VOLATILE		(GENMASK(31, 16) | DR7_GD | BIT(11) | GENMASK(9, 0))

/* VMREAD and VMWRITE signal a bad field or no current VMCS by VMfail (SDM 30.2). */
void vmx_vmwrite_error(unsigned long field, unsigned long value);

/*
 * A VMX instruction faulted (#UD): this CPU left VMX operation under minikvm, which
 * happens when a reboot took VMX away from every CPU (kvm_reboot()) while a vCPU thread
 * was still running. Each VMX instruction's fault goes here through the exception table
 * instead of oopsing, as KVM's kvm_spurious_fault(); outside a reboot it is a bug, said
 * once.
 */
void kvm_spurious_fault(void);

static __always_inline unsigned long vmcs_readl(unsigned long field)
{
	unsigned long value;

	asm_goto_output("1: vmread %[field], %[value]\n\t"
			_ASM_EXTABLE(1b, %l[fault])
			: [value] "=rm" (value) : [field] "r" (field) : "cc" : fault);
	return value;
fault:
	kvm_spurious_fault();
	return 0;
}

static __always_inline u16 vmcs_read16(unsigned long field)
{
	return vmcs_readl(field);
}

static __always_inline u32 vmcs_read32(unsigned long field)
{
	return vmcs_readl(field);
}

static __always_inline u64 vmcs_read64(unsigned long field)
{
	return vmcs_readl(field);
}

static __always_inline void vmcs_writel(unsigned long field, unsigned long value)
{
	asm goto("1: vmwrite %[value], %[field]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [field] "r" (field), [value] "rm" (value) : "cc" : fail, fault);
	return;
fail:
	vmx_vmwrite_error(field, value);
	return;
fault:
	kvm_spurious_fault();
}

#define vmcs_write16	vmcs_writel
#define vmcs_write32	vmcs_writel
#define vmcs_write64	vmcs_writel

/* The guest's registers. RSP, RIP and RFLAGS live in the VMCS. */
static inline unsigned long kvm_register_read(struct kvm_vcpu *vcpu, int reg)
{
	return reg == VCPU_REGS_RSP ? vmcs_readl(GUEST_RSP) : vcpu->arch.regs[reg];
}

static inline void kvm_register_write(struct kvm_vcpu *vcpu, int reg, unsigned long val)
{
	if (reg == VCPU_REGS_RSP)
		vmcs_writel(GUEST_RSP, val);
	else
		vcpu->arch.regs[reg] = val;
}

static inline unsigned long kvm_rip_read(struct kvm_vcpu *vcpu)
{
	return vmcs_readl(GUEST_RIP);
}

static inline void kvm_rip_write(struct kvm_vcpu *vcpu, unsigned long rip)
{
	vmcs_writel(GUEST_RIP, rip);
}

/* 64-bit mode: IA-32e mode with a 64-bit code segment (SDM 3.4.5). */
static inline bool is_64bit_mode(struct kvm_vcpu *vcpu)
{
	return (vmcs_read64(GUEST_IA32_EFER) & EFER_LMA) &&
	       (vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK);
}

/* vmx.c: the VMCS and entering the guest. */
int vmx_vmcs_setup(void);
void vmx_vmcs_unsetup(void);
void vmclear_local_loaded_vmcss(void);
int vmx_vcpu_create(struct kvm_vcpu *vcpu);
void vmx_vcpu_free(struct kvm_vcpu *vcpu);
void vmx_vcpu_reset(struct kvm_vcpu *vcpu);
void vmx_vcpu_load(struct kvm_vcpu *vcpu, int cpu);
void vmx_vcpu_put(struct kvm_vcpu *vcpu);
void vmx_vcpu_run(struct kvm_vcpu *vcpu);
void vmx_set_rdtscp(struct kvm_vcpu *vcpu, bool enable);
void vmx_prepare_switch_to_guest(struct kvm_vcpu *vcpu);
void vmx_setup_perf_guest_msrs(void);

/* l1d_flush.c: the L1TF mitigation of the world switch. */
int vmx_setup_l1d_flush(void);
void vmx_cleanup_l1d_flush(void);
void vmx_l1d_flush_vm_check(void);
void vmx_l1d_flush(struct kvm_vcpu *vcpu);
DECLARE_STATIC_KEY_FALSE(vmx_l1d_should_flush);

/*
 * The bits of CR0 the host owns (SDM 25.6.6 "Guest/host masks and read shadows for CR0
 * and CR4"): the guest reads them from the read shadow and exits when it tries to change
 * them. CR0.NE must be 1 in VMX non-root operation (SDM A.7), whatever the guest believes;
 * CR0.CD and NW stay 0 under the guest so that its memory is cached as the host maps it, as
 * in KVM. PE and PG may be 0 with unrestricted guest. CR4's mask depends on the guest's
 * CPUID: vmx_set_cr4_guest_host_mask().
 */
#define CR0_HOST_OWNED_BITS	(X86_CR0_NE | X86_CR0_CD | X86_CR0_NW)

/* vmx_regs.c: the guest state in the VMCS that userspace reads and writes. */
void vmx_get_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg);
void vmx_set_segment(struct kvm_vcpu *vcpu, const struct kvm_segment *var, int seg);
void vmx_get_dtable(struct kvm_vcpu *vcpu, struct kvm_dtable *dt, bool idt);
void vmx_set_dtable(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt, bool idt);
void vmx_set_cr0(struct kvm_vcpu *vcpu, unsigned long cr0);
void vmx_set_cr4(struct kvm_vcpu *vcpu, unsigned long cr4);
void vmx_set_efer(struct kvm_vcpu *vcpu, u64 efer);
int vmx_get_cpl(struct kvm_vcpu *vcpu);
unsigned long kvm_read_cr0(struct kvm_vcpu *vcpu);
unsigned long kvm_read_cr4(struct kvm_vcpu *vcpu);
u64 vmx_cr4_valid_bits(void);
void vmx_set_cr4_guest_host_mask(struct kvm_vcpu *vcpu);

/* vmx_hw.c: what the CPU offers. */
bool vmx_has_vpid(void);
bool vmx_has_insouts_info(void);
bool vmx_has_rdtscp(void);
u64 vmx_ept_caps(void);

/* handle_exit.c: the exit handlers and the events the next entry delivers. */
int vmx_handle_exit(struct kvm_vcpu *vcpu);
void kvm_rip_advance(struct kvm_vcpu *vcpu, int len);
int kvm_skip_emulated_instruction(struct kvm_vcpu *vcpu);
int kvm_inject_gp(struct kvm_vcpu *vcpu);
int kvm_set_cr8(struct kvm_vcpu *vcpu, unsigned long cr8);
void vmx_inject_exception(struct kvm_vcpu *vcpu, unsigned int nr, bool has_error_code,
			  u32 error_code);
void vmx_cancel_injection(struct kvm_vcpu *vcpu);
int vmx_get_interrupt_shadow(struct kvm_vcpu *vcpu);
void vmx_set_interrupt_shadow(struct kvm_vcpu *vcpu, int mask);
bool vmx_get_nmi_mask(struct kvm_vcpu *vcpu);
bool vmx_interrupt_allowed(struct kvm_vcpu *vcpu);
void vmx_inject_irq(struct kvm_vcpu *vcpu, u8 nr);
void vmx_set_irq_window(struct kvm_vcpu *vcpu, bool enable);

/* x86.c: what the exit handlers hand on. */
int kvm_fast_pio(struct kvm_vcpu *vcpu, int size, unsigned short port, bool in);
void kvm_pio_exit(struct kvm_vcpu *vcpu, int size, unsigned short port, bool in);
int kvm_emulate_halt(struct kvm_vcpu *vcpu);
int kvm_emulate_cpuid(struct kvm_vcpu *vcpu);
int kvm_dev_ioctl_get_supported_cpuid(struct kvm_cpuid2 __user *argp);
/* EFER bits a guest may set (SDM 2.2.1); LMA is the CPU's, read-only to WRMSR. */
#define EFER_VALID_BITS		(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)
int kvm_emulate_rdmsr(struct kvm_vcpu *vcpu);
bool kvm_valid_efer(struct kvm_vcpu *vcpu, u64 efer);
void vmx_uret_msrs_cpu_online(void);
void vmx_load_uret_msrs(struct kvm_vcpu *vcpu);
void vmx_update_uret_msrs(struct kvm_vcpu *vcpu);
void vmx_put_uret_msrs(void);
void kvm_vcpu_reset_tsc(struct kvm_vcpu *vcpu);
int kvm_emulate_wrmsr(struct kvm_vcpu *vcpu);
int kvm_dev_ioctl_get_msr_index_list(struct kvm_msr_list __user *argp);
int kvm_vcpu_ioctl_msr_io(struct kvm_vcpu *vcpu, struct kvm_msrs __user *argp, bool set);
int kvm_load_pdptrs(struct kvm_vcpu *vcpu, unsigned long cr3);
bool kvm_is_valid_cr0(struct kvm_vcpu *vcpu, unsigned long cr0);
bool kvm_cr4_reserved(struct kvm_vcpu *vcpu, unsigned long cr4);
bool kvm_is_valid_cr4(struct kvm_vcpu *vcpu, unsigned long cr4);
bool is_pae_paging(struct kvm_vcpu *vcpu);

/* emulate.c: the instructions the exits leave to software. */
int kvm_emulate_mmio(struct kvm_vcpu *vcpu, gpa_t gpa);
void kvm_register_load(struct kvm_vcpu *vcpu, int reg, bool high_byte, int bytes, u64 val);
int kvm_emulate_string_pio(struct kvm_vcpu *vcpu, int size, unsigned short port, bool in,
			   bool rep);

/* cpuid.c: the guest's CPUID. */
int kvm_vcpu_ioctl_set_cpuid2(struct kvm_vcpu *vcpu, struct kvm_cpuid2 __user *argp);
int kvm_vcpu_ioctl_get_cpuid2(struct kvm_vcpu *vcpu, struct kvm_cpuid2 __user *argp);
void kvm_vcpu_free_cpuid(struct kvm_vcpu *vcpu);
bool guest_cpuid_has(struct kvm_vcpu *vcpu, unsigned int x86_feature);
bool guest_cpuid_is_intel(struct kvm_vcpu *vcpu);
void kvm_vcpu_after_set_cpuid(struct kvm_vcpu *vcpu);

/* ept.c: guest memory through EPT. */
int kvm_mmu_init_vm(struct kvm *kvm);
void kvm_mmu_destroy_vm(struct kvm *kvm);
int kvm_mmu_page_fault(struct kvm_vcpu *vcpu, gpa_t gpa, unsigned long qualification);
void ept_sync_context(u64 eptp);

#endif /* __MINIKVM_X86_VMX_H */
