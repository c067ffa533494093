/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The x86 part of minikvm's VM and vCPU objects, embedded in struct kvm and struct
 * kvm_vcpu (include/minikvm/kvm_host.h).
 */
#ifndef __MINIKVM_X86_KVM_ARCH_H
#define __MINIKVM_X86_KVM_ARCH_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock_types.h>
#include <linux/types.h>
#include <asm/fpu/types.h>
#include <asm/kvm_vcpu_regs.h>
#include <asm/vmx.h>

#define KVM_MAX_VCPUS		16
#define KVM_MAX_VCPU_IDS	KVM_MAX_VCPUS

/* The vCPU mmap: struct kvm_run, then the PIO data page at KVM_PIO_PAGE_OFFSET. */
#define KVM_VCPU_MMAP_PAGES	2

/* Room in the VM-entry and VM-exit MSR-load lists: perf's MSRs (vmenter.c), as KVM's. */
#define NR_AUTOLOAD_MSRS	8

/* Basic VM-exit reasons (SDM Appendix C) counted one by one in the vCPU stats: 0-75. */
#define KVM_NR_EXIT_REASONS	76

/* The guest's general-purpose registers, numbered as the instruction encoding does. */
enum kvm_reg {
	VCPU_REGS_RAX = __VCPU_REGS_RAX,
	VCPU_REGS_RCX = __VCPU_REGS_RCX,
	VCPU_REGS_RDX = __VCPU_REGS_RDX,
	VCPU_REGS_RBX = __VCPU_REGS_RBX,
	VCPU_REGS_RSP = __VCPU_REGS_RSP,
	VCPU_REGS_RBP = __VCPU_REGS_RBP,
	VCPU_REGS_RSI = __VCPU_REGS_RSI,
	VCPU_REGS_RDI = __VCPU_REGS_RDI,
	VCPU_REGS_R8 = __VCPU_REGS_R8,
	VCPU_REGS_R9 = __VCPU_REGS_R9,
	VCPU_REGS_R10 = __VCPU_REGS_R10,
	VCPU_REGS_R11 = __VCPU_REGS_R11,
	VCPU_REGS_R12 = __VCPU_REGS_R12,
	VCPU_REGS_R13 = __VCPU_REGS_R13,
	VCPU_REGS_R14 = __VCPU_REGS_R14,
	VCPU_REGS_R15 = __VCPU_REGS_R15,
	NR_VCPU_REGS
};

/* Segment registers, in KVM's order. */
enum kvm_reg_seg {
	VCPU_SREG_ES,
	VCPU_SREG_CS,
	VCPU_SREG_SS,
	VCPU_SREG_DS,
	VCPU_SREG_FS,
	VCPU_SREG_GS,
	VCPU_SREG_TR,
	VCPU_SREG_LDTR,
};

/**
 * struct kvm_vcpu_arch_stat - the x86 vCPU's own counters, in its binary stats after the
 *	core's (virt/kvm/stats.c), under KVM's names
 * @l1d_flush: L1D flushes before an entry (l1d_flush.c)
 */
struct kvm_vcpu_arch_stat {
	u64 l1d_flush;
};

#define KVM_VCPU_ARCH_STATS		VCPU_ARCH_STAT(l1d_flush, CUMULATIVE)

struct kvm_cpuid_entry2;
struct kvm_vcpu;

/**
 * struct mmio_insn - what the decoder found out of an MMIO instruction (emulate.c)
 * @len: its length
 * @size: bytes of memory it accesses
 * @op_bytes: the operand size, which MOVZX and MOVSX load the register with
 * @write: it stores to memory
 * @extend: MOVZX or MOVSX: the load fills @op_bytes of the register
 * @sign_extend: MOVSX
 * @reg: register operand, or -1 when the source is @imm
 * @high_byte: the register is AH, CH, DH or BH
 * @imm: the immediate of MOV to memory from an immediate
 */
struct mmio_insn {
	int len;
	int size;
	int op_bytes;
	bool write;
	bool extend;
	bool sign_extend;
	int reg;
	bool high_byte;
	u64 imm;
};

/**
 * struct kvm_arch - x86 VM state
 * @mmu_lock: serializes changes to the EPT tables (faults of every vCPU, slot flushes)
 * @ept_root: the PML4 of the VM's EPT tables (SDM 29.3.2 "EPT translation mechanism")
 * @eptp: the EPT pointer every vCPU of the VM runs with
 * @tsc_write_lock: serializes userspace's TSC writes (msr.c, kvm_synchronize_tsc())
 * @tsc_written: a TSC was written since the VM was created
 * @last_tsc_nsec: when the last one was, in boot-time nanoseconds
 * @last_tsc_write: the value it wrote
 * @cur_tsc_offset: the TSC offset the VM's vCPUs share
 */
struct kvm_arch {
	struct mutex mmu_lock;
	u64 *ept_root;
	u64 eptp;
	raw_spinlock_t tsc_write_lock;
	bool tsc_written;
	u64 last_tsc_nsec;
	u64 last_tsc_write;
	u64 cur_tsc_offset;
};

/* The host MSRs a guest's own replace while it runs (msr.c), by slot. */
enum vmx_uret_msr {
	VMX_URET_STAR,
	VMX_URET_LSTAR,
	VMX_URET_SYSCALL_MASK,
	VMX_URET_TSC_AUX,
	NR_VMX_URET_MSRS
};

/**
 * struct loaded_vmcs - a VMCS and where it is current, as KVM tracks it
 * @vmcs: the VMCS region, a page
 * @cpu: the CPU whose VMCS cache may hold it (loaded or not yet VMCLEARed), or -1
 * @launched: VMLAUNCH succeeded since the last VMCLEAR: the next entry is a VMRESUME
 * @host_cr3: HOST_CR3 as last written, to write it only when the host's changes
 * @host_cr4: likewise for HOST_CR4
 * @host_fs_sel: the host FS selector last saved (HOST_FS_SELECTOR has it, or 0 if unfit)
 * @host_gs_sel: likewise for GS
 * @host_fs_base: HOST_FS_BASE as last written
 * @loaded_vmcss_on_cpu_link: on @cpu's list, for VMCLEAR before that CPU leaves VMX
 */
struct loaded_vmcs {
	void *vmcs;
	int cpu;
	bool launched;
	unsigned long host_cr3;
	unsigned long host_cr4;
	u16 host_fs_sel;
	u16 host_gs_sel;
	u64 host_fs_base;
	struct list_head loaded_vmcss_on_cpu_link;
};

/**
 * struct kvm_vcpu_arch - x86 vCPU state
 * @regs: guest GPRs but RSP, which the VMCS holds with RIP and RFLAGS
 * @cr2: guest CR2, which VMX does not switch
 * @msr_kernel_gs_base: guest IA32_KERNEL_GS_BASE, which SWAPGS exchanges and VMX does not
 * @host_kernel_gs_base: the host's, saved while the guest's is in the MSR
 * @host_ds_sel: host DS, restored with the above when the vCPU leaves the CPU
 * @host_es_sel: host ES, likewise
 * @host_fs_sel: host FS, likewise if VM exit could not load it
 * @host_gs_sel: host GS, likewise
 * @host_ldt_sel: host LDTR, likewise
 * @guest_state_loaded: the guest's KERNEL_GS_BASE and user-return MSRs are in the CPU
 *	(since the first entry after vcpu load)
 * @uret_msrs: the guest's STAR, LSTAR, FMASK and TSC_AUX (msr.c)
 * @msr_cstar: the guest's CSTAR, which Intel CPUs never use: kept, never loaded
 * @rdtscp_enabled: the guest runs RDTSCP and RDPID (its CPUID offers one of them)
 * @tsc_offset: what the guest's TSC adds to the host's (VMCS TSC offset)
 * @cr4_guest_rsvd_bits: CR4 bits reserved to the guest by its CPUID
 * @cr4_guest_owned_bits: CR4 bits the guest changes without an exit
 * @has_run: the vCPU entered the guest once: its CPUID is fixed from then on
 * @cr4_pke: the guest's CR4.PKE: its PKRU is switched at each entry (vmenter.c)
 * @pkru: the guest's PKRU
 * @l1tf_flush_l1d: the host may have brought secrets into the L1D since the last entry:
 *	flush it before the next (l1d_flush.c, "cond" mode)
 * @msr_autoload_guest: the VM-entry MSR-load list (SDM 26.4), 16-byte aligned
 * @msr_autoload_host: the VM-exit MSR-load list (SDM 27.6), the same MSRs
 * @msr_autoload_nr: entries in use in both
 * @apic_base: KVM_SET_SREGS's apic_base, given back by KVM_GET_SREGS
 * @cr8: the guest's CR8 (TPR), bits 3:0; MOV to and from CR8 exit (handle_cr()), and
 *	userspace reads and writes it in kvm_run and struct kvm_sregs
 * @db: the guest's DR0-DR3, which never reach the hardware (handle_exit.c, handle_dr())
 * @dr6: the guest's DR6, likewise
 * @dr7: the guest's DR7; the VMCS's GUEST_DR7 enables no breakpoint
 * @vmcs: this vCPU's VMCS
 * @vpid: the vCPU's VPID tag for linear/combined TLB entries, 0 without VPID
 * @vmfail: the last VMLAUNCH/VMRESUME failed (VMfail) instead of entering
 * @exit_reason: the last VM exit's reason (SDM 25.9.1)
 * @exit_qualification: the last VM exit's qualification
 * @idt_vectoring_info: the last VM exit's IDT-vectoring information (SDM 28.2.4)
 * @guest_fpu: the guest's FPU/XSAVE state, switched with fpu_swap_kvm_fpstate()
 * @complete_userspace_io: what the next KVM_RUN does with the data userspace gave back
 * @pio: the port access in flight to userspace (size, port, direction; for INS/OUTS the
 *	REP prefix, address size, element count and the linear address of the first)
 * @mmio: the MMIO instruction in flight to userspace
 * @pio_data: the page KVM_EXIT_IO's data_offset points into
 * @interrupt: the external interrupt KVM_INTERRUPT queued, until the guest can take it
 * @cpuid_entries: the CPUID table of KVM_SET_CPUID2, or NULL before one is set
 * @cpuid_nent: its entries
 */
struct kvm_vcpu_arch {
	unsigned long regs[NR_VCPU_REGS];
	unsigned long cr2;
	u64 msr_kernel_gs_base;
	u64 host_kernel_gs_base;
	u16 host_ds_sel;
	u16 host_es_sel;
	u16 host_fs_sel;
	u16 host_gs_sel;
	u16 host_ldt_sel;
	bool guest_state_loaded;
	u64 uret_msrs[NR_VMX_URET_MSRS];
	u64 msr_cstar;
	bool rdtscp_enabled;
	u64 tsc_offset;
	unsigned long cr4_guest_rsvd_bits;
	unsigned long cr4_guest_owned_bits;
	bool has_run;
	bool cr4_pke;
	u32 pkru;
	bool l1tf_flush_l1d;
	struct vmx_msr_entry msr_autoload_guest[NR_AUTOLOAD_MSRS];
	struct vmx_msr_entry msr_autoload_host[NR_AUTOLOAD_MSRS];
	int msr_autoload_nr;
	u64 apic_base;
	u64 cr8;
	unsigned long db[4];
	unsigned long dr6;
	unsigned long dr7;
	struct loaded_vmcs vmcs;
	u16 vpid;
	bool vmfail;
	u32 exit_reason;
	unsigned long exit_qualification;
	u32 idt_vectoring_info;
	struct fpu_guest guest_fpu;
	int (*complete_userspace_io)(struct kvm_vcpu *vcpu);
	struct {
		u16 port;
		u8 size;
		bool in;
		bool rep;
		u8 addr_bytes;
		u32 count;
		u64 gla;
	} pio;
	struct mmio_insn mmio;
	void *pio_data;
	struct {
		bool pending;
		u8 nr;
	} interrupt;
	struct kvm_cpuid_entry2 *cpuid_entries;
	int cpuid_nent;
};

#endif /* __MINIKVM_X86_KVM_ARCH_H */
