// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 MMIO: a guest load or store outside its memslots, decoded from the
 * data abort's syndrome (Arm ARM DDI 0487F.c, D13.2.37 "ISS encoding for an exception
 * from a Data Abort": ISV, SAS, SSE, SRT, SF, WNR), offered to the in-kernel io bus and
 * otherwise handed to userspace as KVM_EXIT_MMIO, completed by the next KVM_RUN.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/kvm.h>
#include <linux/string.h>
#include <asm/esr.h>

#include <minikvm/iodev.h>
#include <minikvm/kvm_host.h>
#include <minikvm/trace.h>

#include "arm.h"

/* Writes a completed load into its register as the instruction would have. */
static void kvm_mmio_complete_read(struct kvm_vcpu *vcpu, gpa_t addr, u64 data)
{
	struct kvm_vcpu_arch *arch = &vcpu->arch;
	unsigned int bits = arch->mmio_len * BITS_PER_BYTE;

	if (arch->mmio_sign_extend && bits < 64)
		data = sign_extend64(data, bits - 1);
	/* A load to a W register zeroes the upper half of its X register. */
	if (!arch->mmio_sf)
		data = lower_32_bits(data);
	trace_kvm_mmio(vcpu->vcpu_id, false, addr, arch->mmio_len, data);
	vcpu_set_reg(vcpu, arch->mmio_rt, data);
}

/**
 * kvm_handle_mmio_return() - finish the access of the last KVM_EXIT_MMIO
 * @vcpu: the vCPU, before it enters the guest again
 *
 * A load takes the data userspace left in run->mmio.data; either way the PC moves past
 * the instruction, as KVM does it here rather than at the exit.
 */
void kvm_handle_mmio_return(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	u64 data = 0;

	if (!vcpu->arch.mmio_needed)
		return;
	vcpu->arch.mmio_needed = false;
	if (!vcpu->arch.mmio_is_write) {
		memcpy(&data, run->mmio.data, vcpu->arch.mmio_len);
		kvm_mmio_complete_read(vcpu, run->mmio.phys_addr, data);
	}
	kvm_incr_pc(vcpu);
}

/**
 * io_mem_abort() - a data abort at an IPA no memslot serves
 * @vcpu: the vCPU
 * @fault_ipa: the faulting guest physical address
 *
 * Returns 1 when the io bus handled it (re-enter), 0 with KVM_EXIT_MMIO for userspace, or
 * -EFAULT when the syndrome does not describe the access (ISV clear: a load/store pair,
 * writeback, or similar, which KVM cannot emulate either without
 * KVM_CAP_ARM_NISV_TO_USER; KVM says ENOSYS, which is not a syscall's error to give).
 */
int io_mem_abort(struct kvm_vcpu *vcpu, gpa_t fault_ipa)
{
	struct kvm_vcpu_arch *arch = &vcpu->arch;
	u64 esr = arch->hyp.esr_el2;
	u64 data = 0;

	if (!(esr & ESR_ELx_ISV)) {
		pr_warn_ratelimited("guest MMIO at 0x%llx that the syndrome does not describe (ESR_EL2 0x%llx)\n",
				    fault_ipa, esr);
		return -EFAULT;
	}
	arch->mmio_is_write = esr & ESR_ELx_WNR;
	arch->mmio_len = 1 << ((esr & ESR_ELx_SAS) >> ESR_ELx_SAS_SHIFT);
	arch->mmio_rt = (esr & ESR_ELx_SRT_MASK) >> ESR_ELx_SRT_SHIFT;
	arch->mmio_sign_extend = esr & ESR_ELx_SSE;
	arch->mmio_sf = esr & ESR_ELx_SF;

	if (arch->mmio_is_write) {
		data = vcpu_get_reg(vcpu, arch->mmio_rt);
		if (arch->mmio_len < sizeof(data))
			data &= BIT_ULL(arch->mmio_len * BITS_PER_BYTE) - 1;
		trace_kvm_mmio(vcpu->vcpu_id, true, fault_ipa, arch->mmio_len, data);
		if (!kvm_io_bus_write(vcpu, KVM_MMIO_BUS, fault_ipa, arch->mmio_len, &data)) {
			kvm_incr_pc(vcpu);
			return 1;
		}
	} else if (!kvm_io_bus_read(vcpu, KVM_MMIO_BUS, fault_ipa, arch->mmio_len, &data)) {
		kvm_mmio_complete_read(vcpu, fault_ipa, data);
		kvm_incr_pc(vcpu);
		return 1;
	}

	kvm_prepare_mmio_exit(vcpu, fault_ipa, arch->mmio_len, arch->mmio_is_write, &data);
	arch->mmio_needed = true;
	return 0;
}
