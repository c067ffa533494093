// SPDX-License-Identifier: GPL-2.0-only
/*
 * The little of x86 instruction emulation minikvm needs, where KVM has its full emulator
 * (emulate.c): the guest's page walk, to reach what a guest-linear address names; MMIO,
 * which is a MOV to or from an address no memslot holds; and INS/OUTS, one element per
 * exit, as KVM does.
 *
 * For MMIO the CPU already did the hard part: an EPT violation reports the guest-physical
 * address (SDM 28.2.1), so the decoder only needs the instruction's length, direction,
 * size and register or immediate. Anything else is refused with KVM_EXIT_INTERNAL_ERROR
 * and the instruction's bytes, never emulated wrong.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <asm/processor-flags.h>
#include <asm/vmx.h>

#include <minikvm/iodev.h>
#include <minikvm/kvm_host.h>
#include <minikvm/trace.h>

#include "vmx.h"

/* The longest x86 instruction (SDM 2.3.11). */
#define X86_MAX_INSN_LEN	15

/* Paging structure entries (SDM 5.3, 5.4, 5.5). */
#define PT_PRESENT		BIT_ULL(0)
#define PT_WRITABLE		BIT_ULL(1)
#define PT_USER			BIT_ULL(2)
#define PT_PAGE_SIZE		BIT_ULL(7)
#define PT64_NX			BIT_ULL(63)
#define PT64_PKEY_SHIFT		59
#define PT64_PKEY_MASK		GENMASK_ULL(62, 59)
#define PT64_ADDR_MASK		GENMASK_ULL(51, PAGE_SHIFT)
#define PT32_ADDR_MASK		GENMASK_ULL(31, PAGE_SHIFT)
/* A 4 MiB page of 32-bit paging: bits 31:22 of the address here, 39:32 (PSE-36) there. */
#define PT32_LARGE_ADDR_LOW	GENMASK_ULL(31, 22)
#define PT32_LARGE_ADDR_HIGH	GENMASK_ULL(20, 13)
#define PT32_LARGE_HIGH_SHIFT	(32 - 13)
#define PAE_PDPTE_SHIFT		30

/* PKRU: two bits per protection key, access disable and write disable (SDM 4.6.2). */
#define PKRU_AD(key)		BIT((key) * 2)
#define PKRU_WD(key)		BIT((key) * 2 + 1)

/*
 * The kind of access a walk is for, in the page-fault error code's bits (SDM 4.7): a
 * write, from CPL 3, an instruction fetch. The same bits, with P, RSVD and PK, make the
 * error code of the #PF it raises.
 */
#define PFERR_PRESENT		BIT(0)
#define PFERR_WRITE		BIT(1)
#define PFERR_USER		BIT(2)
#define PFERR_FETCH		BIT(4)
#define PFERR_PK		BIT(5)

/**
 * kvm_inject_page_fault() - raise the #PF the guest's CPU would have
 * @vcpu: the vCPU
 * @gva: the linear address, for CR2
 * @error_code: the error code (SDM 4.7)
 */
static void kvm_inject_page_fault(struct kvm_vcpu *vcpu, u64 gva, u32 error_code)
{
	vcpu->arch.cr2 = gva;
	vmx_inject_exception(vcpu, PF_VECTOR, true, error_code);
}

/*
 * Whether the rights a walk gathered allow the access (SDM 4.6): from CPL 3 the page must
 * be a user page, writable for a write; at CPL 0-2 a write needs a writable page only with
 * CR0.WP, SMEP forbids fetching from a user page and SMAP reading or writing one (with
 * RFLAGS.AC clear); an instruction fetch needs the page executable (no XD); and with
 * CR4.PKE a user page's protection key must allow a data access. Returns 0 or the
 * error-code bits that make it a fault.
 */
static u32 kvm_check_page_rights(struct kvm_vcpu *vcpu, u32 access, bool user, bool writable,
				 bool nx, unsigned int pkey)
{
	unsigned long cr4 = kvm_read_cr4(vcpu);
	bool supervisor = !(access & PFERR_USER);

	if (!supervisor && !user)
		return PFERR_PRESENT;
	if ((access & PFERR_WRITE) && !writable &&
	    (!supervisor || (kvm_read_cr0(vcpu) & X86_CR0_WP)))
		return PFERR_PRESENT;
	if ((access & PFERR_FETCH) && nx)
		return PFERR_PRESENT;
	if (supervisor && user && (access & PFERR_FETCH) && (cr4 & X86_CR4_SMEP))
		return PFERR_PRESENT;
	if (supervisor && user && !(access & PFERR_FETCH) && (cr4 & X86_CR4_SMAP) &&
	    !(vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_AC))
		return PFERR_PRESENT;
	if (user && !(access & PFERR_FETCH) && (cr4 & X86_CR4_PKE) &&
	    ((vcpu->arch.pkru & PKRU_AD(pkey)) ||
	     ((access & PFERR_WRITE) && (vcpu->arch.pkru & PKRU_WD(pkey)) &&
	      (!supervisor || (kvm_read_cr0(vcpu) & X86_CR0_WP)))))
		return PFERR_PRESENT | PFERR_PK;
	return 0;
}

/**
 * kvm_gva_to_gpa() - walk the guest's page tables as its CPU would for an access
 * @vcpu: the vCPU, loaded
 * @gva: a guest-linear address
 * @access: PFERR_WRITE, PFERR_USER, PFERR_FETCH: what the access is
 * @gpa: where to put the guest-physical address
 * @error_code: where to put the #PF error code when the access faults
 *
 * 32-bit, PAE and 4-level paging (SDM chapter 4), with the rights of every level: the
 * emulator must not let a guest's user mode write through INS where its own CPU would
 * not (kvm_check_page_rights()). Accessed and dirty bits are left to the guest's CPU,
 * which sets them on its next access: setting them here would race with the guest's
 * other vCPUs, which KVM avoids with a cmpxchg on the guest's memory.
 *
 * Return: 0, or -EFAULT for a #PF (@error_code set), as for an entry not present or not
 * in guest memory, or rights that do not allow the access.
 */
static int kvm_gva_to_gpa(struct kvm_vcpu *vcpu, u64 gva, u32 access, gpa_t *gpa,
			  u32 *error_code)
{
	u64 efer = vmcs_read64(GUEST_IA32_EFER);
	unsigned long cr4 = kvm_read_cr4(vcpu);
	bool user = true, writable = true, nx = false;
	int levels, bits, esize, level;
	u64 table, pte, addr_mask;
	u32 fault;

	*error_code = access;
	if (!(kvm_read_cr0(vcpu) & X86_CR0_PG)) {
		*gpa = gva;
		return 0;
	}
	if (efer & EFER_LMA) {
		levels = 4;
		bits = 9;
		esize = 8;
		addr_mask = PT64_ADDR_MASK;
		table = vmcs_readl(GUEST_CR3) & addr_mask;
	} else if (cr4 & X86_CR4_PAE) {
		/* The PDPTEs are the ones the CPU loaded (SDM 4.4.1), kept in the VMCS. */
		pte = vmcs_read64(GUEST_PDPTR0 + 2 * ((gva >> PAE_PDPTE_SHIFT) & 3));
		if (!(pte & PT_PRESENT))
			return -EFAULT;
		levels = 2;
		bits = 9;
		esize = 8;
		addr_mask = PT64_ADDR_MASK;
		table = pte & addr_mask;
	} else {
		levels = 2;
		bits = 10;
		esize = 4;
		addr_mask = PT32_ADDR_MASK;
		table = vmcs_readl(GUEST_CR3) & addr_mask;
	}

	for (level = levels; level >= 1; level--) {
		int shift = PAGE_SHIFT + bits * (level - 1);
		u64 idx = (gva >> shift) & (BIT(bits) - 1);
		bool large;

		pte = 0;
		if (kvm_read_guest(vcpu->kvm, table + idx * esize, &pte, esize) ||
		    !(pte & PT_PRESENT))
			return -EFAULT;
		user &= !!(pte & PT_USER);
		writable &= !!(pte & PT_WRITABLE);
		/* XD exists with EFER.NXE, in PAE and 4-level entries (SDM 4.4.2, 4.5.4). */
		nx |= esize == 8 && (efer & EFER_NX) && (pte & PT64_NX);
		large = level > 1 && (pte & PT_PAGE_SIZE) && (esize == 8 || (cr4 & X86_CR4_PSE));
		if (large) {
			table = esize == 8 ? pte & addr_mask & ~(BIT_ULL(shift) - 1) :
				(pte & PT32_LARGE_ADDR_LOW) |
				((pte & PT32_LARGE_ADDR_HIGH) << PT32_LARGE_HIGH_SHIFT);
			*gpa = table | (gva & (BIT_ULL(shift) - 1));
			break;
		}
		table = pte & addr_mask;
		*gpa = table | (gva & ~PAGE_MASK);
	}
	fault = kvm_check_page_rights(vcpu, access, user, writable, nx,
				      esize == 8 ? (pte & PT64_PKEY_MASK) >> PT64_PKEY_SHIFT : 0);
	if (fault) {
		*error_code |= fault;
		return -EFAULT;
	}
	return 0;
}

/* The access bits of a data access of the guest at its current privilege level. */
static u32 kvm_data_access(struct kvm_vcpu *vcpu, bool write)
{
	return (write ? PFERR_WRITE : 0) | (vmx_get_cpl(vcpu) == 3 ? PFERR_USER : 0);
}

/* The guest's execution mode, as the decoder needs it. */
static bool is_cs_32bit(struct kvm_vcpu *vcpu)
{
	return (kvm_read_cr0(vcpu) & X86_CR0_PE) &&
	       (vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_DB_MASK);
}

/*
 * Copies what can be read of the instruction at CS:RIP, with the rights of an instruction
 * fetch at the guest's privilege level; returns the bytes read. The guest's CPU fetched
 * them to exit, so a page that cannot be fetched from now was changed by another vCPU
 * meanwhile: the bytes before it are all there is to decode.
 */
static int kvm_fetch_insn(struct kvm_vcpu *vcpu, u8 *insn)
{
	u32 access = PFERR_FETCH | kvm_data_access(vcpu, false);
	u64 linear = kvm_rip_read(vcpu);
	int n = 0;

	if (!is_64bit_mode(vcpu))
		linear = (u32)(linear + vmcs_readl(GUEST_CS_BASE));
	while (n < X86_MAX_INSN_LEN) {
		int chunk = min_t(int, X86_MAX_INSN_LEN - n,
				  PAGE_SIZE - ((linear + n) & ~PAGE_MASK));
		u32 error_code;
		gpa_t gpa;

		if (kvm_gva_to_gpa(vcpu, linear + n, access, &gpa, &error_code) ||
		    kvm_read_guest(vcpu->kvm, gpa, insn + n, chunk))
			break;
		n += chunk;
	}
	return n;
}

/* Prefixes and opcodes (SDM Vol. 2, 2.1.1 and Appendix A). */
#define PFX_OPSIZE		0x66
#define PFX_ADDRSIZE		0x67
#define REX_W			BIT(3)
#define REX_R			BIT(2)
#define OP_MOV_RM8_R8		0x88
#define OP_MOV_RM_R		0x89
#define OP_MOV_R8_RM8		0x8a
#define OP_MOV_R_RM		0x8b
#define OP_MOV_AL_MOFFS		0xa0
#define OP_MOV_AX_MOFFS		0xa1
#define OP_MOV_MOFFS_AL		0xa2
#define OP_MOV_MOFFS_AX		0xa3
#define OP_MOV_RM8_IMM8		0xc6
#define OP_MOV_RM_IMM		0xc7
#define OP_TWO_BYTE		0x0f
#define OP2_MOVZX_8		0xb6
#define OP2_MOVZX_16		0xb7
#define OP2_MOVSX_8		0xbe
#define OP2_MOVSX_16		0xbf
#define MODRM_MOD(m)		((m) >> 6)
#define MODRM_REG(m)		(((m) >> 3) & 7)
#define MODRM_RM(m)		((m) & 7)
#define MODRM_MOD_REG		3
#define MODRM_RM_SIB		4
#define MODRM_RM_DISP16		6	/* mod 0, 16-bit addressing */
#define MODRM_RM_DISP32		5	/* mod 0, 32/64-bit addressing */
#define SIB_BASE_NONE		5
/* Byte registers 4-7 without REX are AH, CH, DH, BH: bits 15:8 of registers 0-3. */
#define HIGH_BYTE_REGS		4

static bool is_segment_prefix(u8 b)
{
	return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65;
}

/* Skips a ModRM memory operand: its SIB and displacement (SDM 2.1.5). */
static int skip_modrm(const u8 *insn, int i, int n, int addr_bytes, u8 modrm)
{
	int mod = MODRM_MOD(modrm), rm = MODRM_RM(modrm);

	if (mod == MODRM_MOD_REG)
		return -EINVAL;	/* a register operand: this is no memory access */
	if (addr_bytes == 2) {
		if (mod == 1)
			i += 1;
		else if (mod == 2 || rm == MODRM_RM_DISP16)
			i += 2;
		return i;
	}
	if (rm == MODRM_RM_SIB) {
		if (i >= n)
			return -EINVAL;
		if (mod == 0 && (insn[i] & 7) == SIB_BASE_NONE)
			i += 4;
		i++;
	}
	if (mod == 1)
		i += 1;
	else if (mod == 2 || (mod == 0 && rm == MODRM_RM_DISP32))
		i += 4;
	return i;
}

/* Decodes the MOV forms of MMIO; returns 0 or -EINVAL for anything else. */
static int decode_mmio_insn(struct kvm_vcpu *vcpu, const u8 *insn, int n, struct mmio_insn *op)
{
	bool mode64 = is_64bit_mode(vcpu), opsize = false, addrsize = false;
	int i = 0, addr_bytes, imm_bytes = 0;
	u8 rex = 0, opcode, modrm = 0;
	bool has_modrm = true;

	while (i < n && (insn[i] == PFX_OPSIZE || insn[i] == PFX_ADDRSIZE ||
			 is_segment_prefix(insn[i]))) {
		opsize |= insn[i] == PFX_OPSIZE;
		addrsize |= insn[i] == PFX_ADDRSIZE;
		i++;
	}
	if (mode64 && i < n && (insn[i] & 0xf0) == 0x40)
		rex = insn[i++];
	if (i >= n)
		return -EINVAL;
	opcode = insn[i++];

	if (mode64) {
		op->op_bytes = rex & REX_W ? 8 : opsize ? 2 : 4;
		addr_bytes = addrsize ? 4 : 8;
	} else {
		bool d = is_cs_32bit(vcpu);

		op->op_bytes = d ^ opsize ? 4 : 2;
		addr_bytes = d ^ addrsize ? 4 : 2;
	}
	op->extend = false;
	op->sign_extend = false;
	op->reg = -1;
	switch (opcode) {
	case OP_MOV_RM8_R8:
	case OP_MOV_R8_RM8:
		op->size = 1;
		op->write = opcode == OP_MOV_RM8_R8;
		break;
	case OP_MOV_RM_R:
	case OP_MOV_R_RM:
		op->size = op->op_bytes;
		op->write = opcode == OP_MOV_RM_R;
		break;
	case OP_MOV_RM8_IMM8:
		op->size = 1;
		op->write = true;
		imm_bytes = 1;
		break;
	case OP_MOV_RM_IMM:
		op->size = op->op_bytes;
		op->write = true;
		imm_bytes = op->op_bytes == 2 ? 2 : 4;
		break;
	case OP_MOV_AL_MOFFS:
	case OP_MOV_AX_MOFFS:
	case OP_MOV_MOFFS_AL:
	case OP_MOV_MOFFS_AX:
		op->size = opcode & 1 ? op->op_bytes : 1;
		op->write = opcode >= OP_MOV_MOFFS_AL;
		op->reg = VCPU_REGS_RAX;
		has_modrm = false;
		i += addr_bytes;
		break;
	case OP_TWO_BYTE:
		if (i >= n)
			return -EINVAL;
		switch (insn[i++]) {
		case OP2_MOVZX_8:
			op->size = 1;
			break;
		case OP2_MOVZX_16:
			op->size = 2;
			break;
		case OP2_MOVSX_8:
			op->size = 1;
			op->sign_extend = true;
			break;
		case OP2_MOVSX_16:
			op->size = 2;
			op->sign_extend = true;
			break;
		default:
			return -EINVAL;
		}
		op->write = false;
		op->extend = true;
		break;
	default:
		return -EINVAL;
	}
	if (has_modrm) {
		if (i >= n)
			return -EINVAL;
		modrm = insn[i++];
		if (imm_bytes && MODRM_REG(modrm))
			return -EINVAL;	/* C6/C7 with reg != 0 is not MOV */
		i = skip_modrm(insn, i, n, addr_bytes, modrm);
		if (i < 0)
			return -EINVAL;
		if (!imm_bytes)
			op->reg = MODRM_REG(modrm) | (rex & REX_R ? 8 : 0);
	}
	/* Loads into a byte register, and stores from one, name AH-BH without REX. */
	op->high_byte = false;
	if (op->reg >= HIGH_BYTE_REGS && op->reg < 8 && !rex &&
	    (op->size == 1 && (opcode == OP_MOV_RM8_R8 || opcode == OP_MOV_R8_RM8))) {
		op->reg -= HIGH_BYTE_REGS;
		op->high_byte = true;
	}
	if (imm_bytes) {
		if (i + imm_bytes > n)
			return -EINVAL;
		op->imm = 0;
		memcpy(&op->imm, insn + i, imm_bytes);
		/* imm32 is sign-extended to a 64-bit operand (SDM Vol. 2, MOV). */
		if (imm_bytes == 4)
			op->imm = (s64)(s32)op->imm;
		i += imm_bytes;
	}
	if (i > n)
		return -EINVAL;
	op->len = i;
	return 0;
}

/**
 * kvm_register_load() - write a loaded value into a register, as MOV and IN do
 * @vcpu: the vCPU
 * @reg: the register (VCPU_REGS_*)
 * @high_byte: the byte register is AH, CH, DH or BH: bits 15:8 of @reg
 * @bytes: the operand size
 * @val: the value
 *
 * 8 and 16-bit loads leave the rest of the register alone, 32-bit ones zero its upper
 * half (SDM 3.4.1.1).
 */
void kvm_register_load(struct kvm_vcpu *vcpu, int reg, bool high_byte, int bytes, u64 val)
{
	u64 old = kvm_register_read(vcpu, reg);

	switch (bytes) {
	case 1:
		if (high_byte)
			val = (old & ~0xff00ULL) | ((val & 0xff) << 8);
		else
			val = (old & ~0xffULL) | (val & 0xff);
		break;
	case 2:
		val = (old & ~0xffffULL) | (val & 0xffff);
		break;
	case 4:
		val = (u32)val;
		break;
	}
	kvm_register_write(vcpu, reg, val);
}

static void complete_mmio_load(struct kvm_vcpu *vcpu, u64 val)
{
	struct mmio_insn *op = &vcpu->arch.mmio;
	int bits = op->size * 8;

	val &= GENMASK_ULL(bits - 1, 0);
	if (op->sign_extend)
		val = sign_extend64(val, bits - 1);
	kvm_register_load(vcpu, op->reg, op->high_byte, op->extend ? op->op_bytes : op->size,
			  val);
	trace_kvm_mmio(vcpu->vcpu_id, false, vcpu->run->mmio.phys_addr, op->size, val);
	kvm_rip_advance(vcpu, op->len);
}

/* The next KVM_RUN after a KVM_EXIT_MMIO load: the data userspace left in kvm_run. */
static int complete_emulated_mmio(struct kvm_vcpu *vcpu)
{
	u64 val = 0;

	memcpy(&val, vcpu->run->mmio.data, vcpu->arch.mmio.size);
	complete_mmio_load(vcpu, val);
	return 1;
}

/* A store already happened as far as the guest is concerned (its RIP moved on). */
static int complete_emulated_mmio_store(struct kvm_vcpu *vcpu)
{
	return 1;
}

/*
 * KVM's report of an exit in the middle of delivering an event, which minikvm cannot
 * complete: the vectoring information, the exit reason and qualification, the
 * guest-physical address, the CPU.
 */
static int kvm_prepare_event_vectoring_exit(struct kvm_vcpu *vcpu, gpa_t gpa)
{
	u64 data[] = {
		vcpu->arch.idt_vectoring_info, vcpu->arch.exit_reason,
		vcpu->arch.exit_qualification, gpa, raw_smp_processor_id(),
	};

	pr_info_ratelimited("vcpu %u: event 0x%x delivered through MMIO at 0x%llx\n",
			    vcpu->vcpu_id, vcpu->arch.idt_vectoring_info, gpa);
	kvm_prepare_internal_error_exit(vcpu, KVM_INTERNAL_ERROR_DELIVERY_EV, data,
					ARRAY_SIZE(data));
	return 0;
}

/* The two values of KVM's emulation failure report that hold the instruction's bytes. */
#define EMULATION_FAILURE_INSN_WORDS	2

/* KVM's report of an instruction it cannot emulate: flags, length, the bytes. */
static int kvm_prepare_emulation_failure_exit(struct kvm_vcpu *vcpu, const u8 *insn, int n)
{
	u64 data[2 + EMULATION_FAILURE_INSN_WORDS] = {
		KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES, n,
	};

	BUILD_BUG_ON(sizeof(u64) * EMULATION_FAILURE_INSN_WORDS < X86_MAX_INSN_LEN);
	pr_info_ratelimited("vcpu %u: cannot emulate instruction %*ph at 0x%lx\n",
			    vcpu->vcpu_id, n, insn, kvm_rip_read(vcpu));
	memcpy(&data[2], insn, n);
	kvm_prepare_internal_error_exit(vcpu, KVM_INTERNAL_ERROR_EMULATION, data,
					ARRAY_SIZE(data));
	return 0;
}

/**
 * kvm_emulate_mmio() - the guest accessed @gpa, which is MMIO
 * @vcpu: the vCPU, loaded
 * @gpa: the guest-physical address the CPU reported
 *
 * Decodes the instruction at RIP; offers the access to the MMIO bus, else to userspace as
 * KVM_EXIT_MMIO. As KVM: a store moves RIP on before the exit, a load when the next
 * KVM_RUN brings its data.
 *
 * Return: 1 to re-enter, 0 for userspace.
 */
int kvm_emulate_mmio(struct kvm_vcpu *vcpu, gpa_t gpa)
{
	struct mmio_insn *op = &vcpu->arch.mmio;
	u8 insn[X86_MAX_INSN_LEN];
	u64 val = 0;
	int n;

	/*
	 * The CPU was delivering an event (its IDT, GDT or stack in MMIO, SDM 28.2.4), not
	 * running the instruction at RIP: emulating that one would be wrong. Userspace hears
	 * of it, as from KVM (6.1 reports it at the second such access, through its cached
	 * MMIO entries; minikvm caches none).
	 */
	if (vcpu->arch.idt_vectoring_info & VECTORING_INFO_VALID_MASK)
		return kvm_prepare_event_vectoring_exit(vcpu, gpa);
	/* Emulation reads guest memory through the host's mappings (l1d_flush.c). */
	vcpu->arch.l1tf_flush_l1d = true;
	n = kvm_fetch_insn(vcpu, insn);
	if (decode_mmio_insn(vcpu, insn, n, op))
		return kvm_prepare_emulation_failure_exit(vcpu, insn, n);
	/* An access that crosses out of the page could touch RAM too: not MMIO alone. */
	if ((gpa & ~PAGE_MASK) + op->size > PAGE_SIZE)
		return kvm_prepare_emulation_failure_exit(vcpu, insn, op->len);

	if (op->write) {
		if (op->reg < 0)
			val = op->imm;
		else
			val = kvm_register_read(vcpu, op->reg) >> (op->high_byte ? 8 : 0);
		val &= GENMASK_ULL(op->size * 8 - 1, 0);
		trace_kvm_mmio(vcpu->vcpu_id, true, gpa, op->size, val);
		kvm_rip_advance(vcpu, op->len);
		if (!kvm_io_bus_write(vcpu, KVM_MMIO_BUS, gpa, op->size, &val))
			return 1;
		vcpu->arch.complete_userspace_io = complete_emulated_mmio_store;
	} else {
		if (!kvm_io_bus_read(vcpu, KVM_MMIO_BUS, gpa, op->size, &val)) {
			complete_mmio_load(vcpu, val);
			return 1;
		}
		vcpu->arch.complete_userspace_io = complete_emulated_mmio;
	}
	kvm_prepare_mmio_exit(vcpu, gpa, op->size, op->write, &val);
	return 0;
}

/* Exit instruction information of INS/OUTS (SDM Table 28-8): the address size. */
#define INSOUTS_INFO_ADDR_SIZE(info)	(((info) >> 7) & 7)

/* RSI, RDI or RCX moved on as a string instruction of @addr_bytes does (SDM 7.3.9). */
static void kvm_string_reg_add(struct kvm_vcpu *vcpu, int reg, int addr_bytes, long delta)
{
	u64 val = kvm_register_read(vcpu, reg);
	u64 next = val + delta;

	switch (addr_bytes) {
	case 2:
		next = (val & ~0xffffULL) | (next & 0xffff);
		break;
	case 4:
		next = (u32)next;
		break;
	}
	kvm_register_write(vcpu, reg, next);
}

/*
 * @count elements of INS or OUTS done: the index register steps by their size (down if
 * RFLAGS.DF), a REP counts them off RCX and runs the instruction again until RCX is 0,
 * as the CPU does between iterations (SDM Vol. 2, REP).
 */
static void complete_string_elements(struct kvm_vcpu *vcpu, int count)
{
	int addr_bytes = vcpu->arch.pio.addr_bytes;
	long step = (vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_DF ? -1L : 1L) *
		    vcpu->arch.pio.size * count;
	u64 count_mask = addr_bytes == 8 ? ~0ULL : GENMASK_ULL(addr_bytes * 8 - 1, 0);

	kvm_string_reg_add(vcpu, vcpu->arch.pio.in ? VCPU_REGS_RDI : VCPU_REGS_RSI,
			   addr_bytes, step);
	if (vcpu->arch.pio.rep) {
		kvm_string_reg_add(vcpu, VCPU_REGS_RCX, addr_bytes, -count);
		if (kvm_register_read(vcpu, VCPU_REGS_RCX) & count_mask)
			return;
	}
	kvm_skip_emulated_instruction(vcpu);
}

/*
 * Stores @count elements read by INS, each where the guest's paging puts it and only if it
 * lets the guest write there: a page it may not write raises the #PF its CPU would, after
 * the elements before it, as KVM's emulator does. A store to an address outside guest RAM
 * is not emulated (MMIO is no target for INS here).
 */
static int complete_string_in_data(struct kvm_vcpu *vcpu, const u8 *data, int count)
{
	int size = vcpu->arch.pio.size;
	long step = vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_DF ? -size : size;
	u32 access = kvm_data_access(vcpu, true), error_code;
	gpa_t gpa;
	int i;

	for (i = 0; i < count; i++) {
		u64 gla = vcpu->arch.pio.gla + i * step;

		if (kvm_gva_to_gpa(vcpu, gla, access, &gpa, &error_code)) {
			complete_string_elements(vcpu, i);
			kvm_inject_page_fault(vcpu, gla, error_code);
			return 1;
		}
		if (kvm_write_guest(vcpu->kvm, gpa, data + i * size, size)) {
			pr_info_ratelimited("vcpu %u: INS to 0x%llx, which is no guest RAM\n",
					    vcpu->vcpu_id, gla);
			return kvm_prepare_emulation_failure_exit(vcpu, NULL, 0);
		}
	}
	complete_string_elements(vcpu, count);
	return 1;
}

/* The next KVM_RUN after an INS's KVM_EXIT_IO: store what userspace read. */
static int complete_string_in(struct kvm_vcpu *vcpu)
{
	return complete_string_in_data(vcpu, vcpu->arch.pio_data, vcpu->arch.pio.count);
}

static int complete_string_out(struct kvm_vcpu *vcpu)
{
	return 1;
}

/* KVM reads ahead at most this many bytes for one REP INS exit (its read cache). */
#define PIO_READ_AHEAD_BYTES	1024

/*
 * How many elements one exit of REP INS asks for, as KVM's emulator: what RCX counts,
 * what its read-ahead buffer holds, and no more than the bytes left in RDI's page.
 */
static int string_in_count(struct kvm_vcpu *vcpu, int size, u64 count)
{
	u64 rdi = kvm_register_read(vcpu, VCPU_REGS_RDI);
	u64 in_page = vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_DF ? offset_in_page(rdi) :
		      PAGE_SIZE - offset_in_page(rdi);

	return max_t(u64, 1, min3(in_page, (u64)PIO_READ_AHEAD_BYTES / size, count));
}

/**
 * kvm_emulate_string_pio() - INS or OUTS, with or without REP
 * @vcpu: the vCPU, loaded
 * @size: element size
 * @port: the port
 * @in: INS rather than OUTS
 * @rep: with a REP prefix
 *
 * The memory operand's linear address is in the VMCS (SDM 28.2.1); guest-physical ones
 * come from the guest's page tables. As KVM: OUTS is one KVM_EXIT_IO of count 1 per
 * element, with the registers moved on before the exit; REP INS asks userspace for as
 * many elements as KVM's read-ahead would (count > 1), stored when the data comes back.
 *
 * Return: 1 to re-enter, 0 for userspace.
 */
int kvm_emulate_string_pio(struct kvm_vcpu *vcpu, int size, unsigned short port, bool in,
			   bool rep)
{
	u32 info = vmcs_read32(VMX_INSTRUCTION_INFO);
	int addr_bytes = 2 << INSOUTS_INFO_ADDR_SIZE(info);
	u64 count_mask = addr_bytes == 8 ? ~0ULL : GENMASK_ULL(addr_bytes * 8 - 1, 0);
	u64 rcx = kvm_register_read(vcpu, VCPU_REGS_RCX) & count_mask;
	u32 error_code;
	u64 val = 0;
	gpa_t gpa;
	int count;

	vcpu->arch.l1tf_flush_l1d = true;
	if (!vmx_has_insouts_info() || addr_bytes > 8) {
		pr_info_ratelimited("vcpu %u: no exit information for INS/OUTS\n", vcpu->vcpu_id);
		return kvm_prepare_emulation_failure_exit(vcpu, NULL, 0);
	}
	if (rep && !rcx)
		return kvm_skip_emulated_instruction(vcpu);
	vcpu->arch.pio.port = port;
	vcpu->arch.pio.size = size;
	vcpu->arch.pio.in = in;
	vcpu->arch.pio.rep = rep;
	vcpu->arch.pio.addr_bytes = addr_bytes;
	vcpu->arch.pio.gla = vmcs_readl(GUEST_LINEAR_ADDRESS);

	if (in) {
		if (!kvm_io_bus_read(vcpu, KVM_PIO_BUS, port, size, &val)) {
			trace_kvm_pio(vcpu->vcpu_id, false, port, size, 1, val);
			return complete_string_in_data(vcpu, (u8 *)&val, 1);
		}
		count = rep ? string_in_count(vcpu, size, rcx) : 1;
		vcpu->arch.pio.count = count;
		vcpu->arch.complete_userspace_io = complete_string_in;
	} else {
		if (kvm_gva_to_gpa(vcpu, vcpu->arch.pio.gla, kvm_data_access(vcpu, false), &gpa,
				   &error_code)) {
			kvm_inject_page_fault(vcpu, vcpu->arch.pio.gla, error_code);
			return 1;
		}
		if (kvm_read_guest(vcpu->kvm, gpa, &val, size))
			return kvm_prepare_emulation_failure_exit(vcpu, NULL, 0);
		trace_kvm_pio(vcpu->vcpu_id, true, port, size, 1, val);
		complete_string_elements(vcpu, 1);
		if (!kvm_io_bus_write(vcpu, KVM_PIO_BUS, port, size, &val))
			return 1;
		memcpy(vcpu->arch.pio_data, &val, size);
		count = 1;
		vcpu->arch.complete_userspace_io = complete_string_out;
	}
	kvm_pio_exit(vcpu, size, port, in);
	vcpu->run->io.count = count;
	return 0;
}
