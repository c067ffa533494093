// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest state a vCPU's VMCS holds for userspace (KVM_GET/SET_SREGS, guest.c) and for
 * the exit handlers: segment registers, descriptor tables, CR0, CR4 and EFER, with the
 * transitions into and out of IA-32e mode that a MOV to CR0 makes. In KVM these are in
 * vmx/vmx.c; here vmx.c keeps the VMCS's life and the entry into the guest. Every function
 * runs with the vCPU's VMCS loaded.
 */

#include <asm/vmx.h>

#include <minikvm/kvm_host.h>

#include "vmx.h"

/* Access rights of segments (SDM 25.4.1, Table 25-2): <asm/vmx.h> names all but AVL. */
#define VMX_AR_AVL_MASK		BIT(12)

static const struct kvm_vmx_segment_field {
	unsigned int selector;
	unsigned int base;
	unsigned int limit;
	unsigned int ar_bytes;
} kvm_vmx_segment_fields[] = {
#define VMX_SEGMENT_FIELD(seg)						\
	[VCPU_SREG_##seg] = {						\
		.selector = GUEST_##seg##_SELECTOR,			\
		.base = GUEST_##seg##_BASE,				\
		.limit = GUEST_##seg##_LIMIT,				\
		.ar_bytes = GUEST_##seg##_AR_BYTES,			\
	}
	VMX_SEGMENT_FIELD(ES),
	VMX_SEGMENT_FIELD(CS),
	VMX_SEGMENT_FIELD(SS),
	VMX_SEGMENT_FIELD(DS),
	VMX_SEGMENT_FIELD(FS),
	VMX_SEGMENT_FIELD(GS),
	VMX_SEGMENT_FIELD(TR),
	VMX_SEGMENT_FIELD(LDTR),
#undef VMX_SEGMENT_FIELD
};

static u32 vmx_segment_access_rights(const struct kvm_segment *var)
{
	/* Userspace leaves "present" clear in null segments: they are unusable to VMX. */
	if (var->unusable || !var->present)
		return VMX_AR_UNUSABLE_MASK;
	return (var->type & VMX_AR_TYPE_MASK) | (var->s ? VMX_AR_S_MASK : 0) |
	       ((var->dpl & 3) << VMX_AR_DPL_SHIFT) | VMX_AR_P_MASK |
	       (var->avl ? VMX_AR_AVL_MASK : 0) | (var->l ? VMX_AR_L_MASK : 0) |
	       (var->db ? VMX_AR_DB_MASK : 0) | (var->g ? VMX_AR_G_MASK : 0);
}

void vmx_get_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg)
{
	const struct kvm_vmx_segment_field *sf = &kvm_vmx_segment_fields[seg];
	u32 ar = vmcs_read32(sf->ar_bytes);

	var->base = vmcs_readl(sf->base);
	var->limit = vmcs_read32(sf->limit);
	var->selector = vmcs_read16(sf->selector);
	var->unusable = !!(ar & VMX_AR_UNUSABLE_MASK);
	var->type = ar & VMX_AR_TYPE_MASK;
	var->s = !!(ar & VMX_AR_S_MASK);
	var->dpl = (ar >> VMX_AR_DPL_SHIFT) & 3;
	var->present = !var->unusable;
	var->avl = !!(ar & VMX_AR_AVL_MASK);
	var->l = !!(ar & VMX_AR_L_MASK);
	var->db = !!(ar & VMX_AR_DB_MASK);
	var->g = !!(ar & VMX_AR_G_MASK);
	var->padding = 0;
}

void vmx_set_segment(struct kvm_vcpu *vcpu, const struct kvm_segment *var, int seg)
{
	const struct kvm_vmx_segment_field *sf = &kvm_vmx_segment_fields[seg];
	u32 ar = vmx_segment_access_rights(var);

	/*
	 * VM entry requires the accessed bit in usable code and data segments (SDM 27.3.1.2);
	 * a real CPU sets it when it loads one, so set it as that load would have.
	 */
	if (seg != VCPU_SREG_LDTR && seg != VCPU_SREG_TR && !(ar & VMX_AR_UNUSABLE_MASK))
		ar |= VMX_AR_TYPE_ACCESSES_MASK;
	vmcs_write16(sf->selector, var->selector);
	vmcs_writel(sf->base, var->base);
	vmcs_write32(sf->limit, var->limit);
	vmcs_write32(sf->ar_bytes, ar);
}

void vmx_get_dtable(struct kvm_vcpu *vcpu, struct kvm_dtable *dt, bool idt)
{
	dt->base = vmcs_readl(idt ? GUEST_IDTR_BASE : GUEST_GDTR_BASE);
	dt->limit = vmcs_read32(idt ? GUEST_IDTR_LIMIT : GUEST_GDTR_LIMIT);
	memset(dt->padding, 0, sizeof(dt->padding));
}

void vmx_set_dtable(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt, bool idt)
{
	vmcs_writel(idt ? GUEST_IDTR_BASE : GUEST_GDTR_BASE, dt->base);
	vmcs_write32(idt ? GUEST_IDTR_LIMIT : GUEST_GDTR_LIMIT, dt->limit);
}

/* The privilege level: SS.DPL (SDM 5.5; VM entry makes it equal to CS.DPL). */
int vmx_get_cpl(struct kvm_vcpu *vcpu)
{
	return VMX_AR_DPL(vmcs_read32(GUEST_SS_AR_BYTES));
}

/* The guest's view of CR0 and CR4: its own bits from the VMCS, the host's from the shadow. */
unsigned long kvm_read_cr0(struct kvm_vcpu *vcpu)
{
	return (vmcs_readl(GUEST_CR0) & ~CR0_HOST_OWNED_BITS) |
	       (vmcs_readl(CR0_READ_SHADOW) & CR0_HOST_OWNED_BITS);
}

unsigned long kvm_read_cr4(struct kvm_vcpu *vcpu)
{
	unsigned long owned = vcpu->arch.cr4_guest_owned_bits;

	return (vmcs_readl(GUEST_CR4) & owned) | (vmcs_readl(CR4_READ_SHADOW) & ~owned);
}

/*
 * EFER.LMA and the "IA-32e mode guest" entry control must agree (SDM 27.3.1.1); the CPU
 * updates both itself when the guest turns paging on or off without an exit.
 */
void vmx_set_efer(struct kvm_vcpu *vcpu, u64 efer)
{
	u32 entry = vmcs_read32(VM_ENTRY_CONTROLS);
	u64 old = vmcs_read64(GUEST_IA32_EFER);

	vmcs_write64(GUEST_IA32_EFER, efer);
	vmcs_write32(VM_ENTRY_CONTROLS, efer & EFER_LMA ? entry | VM_ENTRY_IA32E_MODE :
			    entry & ~VM_ENTRY_IA32E_MODE);
	/* With SCE the guest's SYSCALL uses its own STAR, LSTAR and FMASK (msr.c). */
	if ((old ^ efer) & EFER_SCE)
		vmx_update_uret_msrs(vcpu);
}

/*
 * Entering IA-32e mode needs TR to be a busy 64-bit TSS (SDM 27.3.1.2); a guest that
 * switched with a 32-bit one in TR gets the type a real CPU would not have checked yet.
 */
static void enter_lmode(struct kvm_vcpu *vcpu, u64 efer)
{
	u32 ar = vmcs_read32(GUEST_TR_AR_BYTES);

	if ((ar & VMX_AR_TYPE_MASK) != VMX_AR_TYPE_BUSY_64_TSS)
		vmcs_write32(GUEST_TR_AR_BYTES, (ar & ~VMX_AR_TYPE_MASK) | VMX_AR_TYPE_BUSY_64_TSS);
	vmx_set_efer(vcpu, efer | EFER_LMA);
}

/*
 * Sets the guest's CR0 as a MOV to CR0 would: the shadow holds the guest's value, the
 * VMCS the value the CPU runs with. Turning paging on or off with EFER.LME set is the
 * switch into or out of IA-32e mode (SDM 10.8.5), which the CPU did not see here.
 */
void vmx_set_cr0(struct kvm_vcpu *vcpu, unsigned long cr0)
{
	unsigned long old = kvm_read_cr0(vcpu);
	u64 efer = vmcs_read64(GUEST_IA32_EFER);
	unsigned long hw_cr0;

	if (efer & EFER_LME) {
		if (!(old & X86_CR0_PG) && (cr0 & X86_CR0_PG))
			enter_lmode(vcpu, efer);
		else if ((old & X86_CR0_PG) && !(cr0 & X86_CR0_PG))
			vmx_set_efer(vcpu, efer & ~EFER_LMA);
	}
	hw_cr0 = (cr0 & ~CR0_HOST_OWNED_BITS) |
		 (vmcs_config.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG));
	vmcs_writel(CR0_READ_SHADOW, cr0);
	vmcs_writel(GUEST_CR0, hw_cr0);
}

void vmx_set_cr4(struct kvm_vcpu *vcpu, unsigned long cr4)
{
	vcpu->arch.cr4_pke = cr4 & X86_CR4_PKE;
	vmcs_writel(CR4_READ_SHADOW, cr4);
	vmcs_writel(GUEST_CR4, cr4 | vmcs_config.cr4_fixed0);
}

/*
 * The CR4 bits minikvm lets a guest set at all (SDM 2.5 "Control registers"), an allow-list so
 * that a bit a newer CPU defines is reserved to guests until minikvm handles it. Left out:
 * VMXE (no nested VMX), SMXE, OSXSAVE (XCR0 is not switched: cpuid.c hides XSAVE), LA57
 * (the emulator walks 4-level guest page tables only), and KL, CET, PKS, LAM and FRED,
 * whose state (MSRs, XSAVE components) minikvm does not switch.
 */
#define CR4_VIRTUALIZED_BITS	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |	\
				 X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |	\
				 X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |	\
				 X86_CR4_UMIP | X86_CR4_FSGSBASE | X86_CR4_PCIDE |	\
				 X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE)

/* The CR4 bits a guest may set on this CPU, whatever its CPUID says (kvm_is_valid_cr4()). */
u64 vmx_cr4_valid_bits(void)
{
	return vmcs_config.cr4_fixed1 & CR4_VIRTUALIZED_BITS;
}

/**
 * vmx_set_cr4_guest_host_mask() - which CR4 bits the guest changes without an exit
 * @vcpu: the vCPU, loaded
 *
 * Every bit the guest may set is its own (SDM 25.6.6): with EPT the CPU does all a MOV to
 * CR4 implies (PDPTE loads, TLB invalidations) itself, and the emulator reads the live
 * value. The others are the host's, read from the shadow, where they stay 0: a MOV that
 * sets one exits and #GPs (handle_cr()). KVM owns more of them (PAE, PSE, SMEP...) because
 * its MMU depends on them; minikvm's EPT does not. PKE is the host's too, as in KVM, so
 * that vmx_vcpu_run() knows without a VMREAD whether PKRU is the guest's to switch.
 */
void vmx_set_cr4_guest_host_mask(struct kvm_vcpu *vcpu)
{
	vcpu->arch.cr4_guest_owned_bits = vmx_cr4_valid_bits() & ~vcpu->arch.cr4_guest_rsvd_bits &
					  ~X86_CR4_PKE;
	vmcs_writel(CR4_GUEST_HOST_MASK, ~vcpu->arch.cr4_guest_owned_bits);
}
