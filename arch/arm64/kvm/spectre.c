// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm's arm64 speculation hardening, after the host kernel's own: what each guest exit
 * must do on a CPU so that a guest cannot steer the host's indirect branches (Spectre-v2,
 * Spectre-BHB), and what SMCCC_ARCH_FEATURES tells the guest of SMCCC_ARCH_WORKAROUND_1, _2
 * and _3, as KVM answers from the kernel's state (hypercalls.c, kvm_hvc_call_handler()).
 *
 * The kernel decides, at boot and per CPU, whether and how it mitigates each issue
 * (arch/arm64/kernel/proton-pack.c), and gives modules two views of it: its CPU
 * capabilities (ARM64_SPECTRE_V2, _BHB, _V4: the system is affected), and the state it
 * publishes in /sys/devices/system/cpu/vulnerabilities/, which says whether it mitigates.
 * arm64_get_spectre_v2_state() and its kin, which KVM reads, are not exported.
 *
 * At each exit, a CPU the kernel protects gets, before the host's first indirect branch
 * (hyp/switch.S, __bp_harden_exit): for Spectre-BHB, the CLRBHB instruction where the CPU has
 * it (FEAT_CLRBHB), else the firmware's SMCCC_ARCH_WORKAROUND_3, else the loop that
 * overwrites the branch history, run for the largest count the kernel knows (its per-CPU
 * count is not exported); for Spectre-v2, the firmware's SMCCC_ARCH_WORKAROUND_1. This is
 * KVM's __bp_harden_hyp_vecs, in the exit path instead of the vectors, since ours reach
 * it with direct branches only.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/arm-smccc.h>
#include <linux/fs.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/spectre.h>

#include <minikvm/kvm_host.h>

#include "arm.h"

#define VULNERABILITIES_DIR	"/sys/devices/system/cpu/vulnerabilities/"
/* Longer than any line these files hold. */
#define VULNERABILITY_LINE_MAX	128

/* The system-wide states KVM would answer from. */
static enum mitigation_state spectre_v2_state __ro_after_init;
static enum mitigation_state spectre_bhb_state __ro_after_init;
static enum mitigation_state spectre_v4_state __ro_after_init;

/*
 * What to take the kernel as saying when its line cannot be read (no sysfs where the module
 * is loaded): that it mitigates each issue the CPUs have, so that each exit does the work,
 * and the guest is told so, truly.
 */
#define VULNERABILITY_ASSUMED	"Mitigation: unknown, BHB"

/* The kernel's line for one issue, in @buf; VULNERABILITY_ASSUMED if it cannot be read. */
static void read_vulnerability(const char *name, char *buf, size_t size)
{
	char path[sizeof(VULNERABILITIES_DIR) + 32];
	struct file *f;
	loff_t pos = 0;
	ssize_t n = -EIO;

	snprintf(path, sizeof(path), VULNERABILITIES_DIR "%s", name);
	f = filp_open(path, O_RDONLY, 0);
	if (!IS_ERR(f)) {
		n = kernel_read(f, buf, size - 1, &pos);
		filp_close(f, NULL);
	}
	if (n > 0) {
		buf[n] = '\0';
		return;
	}
	pr_warn("cannot read %s: Spectre mitigations taken as on\n", path);
	strscpy(buf, VULNERABILITY_ASSUMED, size);
}

/**
 * kvm_spectre_init() - learn the kernel's Spectre states, at module load
 *
 * An issue the capability says the system is not affected by is UNAFFECTED. Otherwise the
 * sysfs line decides (Documentation/ABI/testing/sysfs-devices-system-cpu: "Not affected",
 * "Vulnerable", "Mitigation: ..."). Spectre-BHB has no file of its own: the kernel appends
 * ", BHB" to spectre_v2's line when it mitigates it, ", but not BHB" when it does not, and
 * says "Vulnerable: Unprivileged eBPF enabled" when it mitigates it (and Spectre-v2) but
 * unprivileged eBPF could undo that.
 */
void kvm_spectre_init(void)
{
	char v2[VULNERABILITY_LINE_MAX], v4[VULNERABILITY_LINE_MAX];
	bool ebpf;

	read_vulnerability("spectre_v2", v2, sizeof(v2));
	read_vulnerability("spec_store_bypass", v4, sizeof(v4));
	ebpf = str_has_prefix(v2, "Vulnerable: Unprivileged eBPF");

	spectre_v2_state = SPECTRE_UNAFFECTED;
	if (cpus_have_final_cap(ARM64_SPECTRE_V2))
		spectre_v2_state = str_has_prefix(v2, "Mitigation") || ebpf ?
				   SPECTRE_MITIGATED : SPECTRE_VULNERABLE;
	spectre_bhb_state = SPECTRE_UNAFFECTED;
	if (cpus_have_final_cap(ARM64_SPECTRE_BHB))
		spectre_bhb_state = strstr(v2, ", BHB") || ebpf ?
				    SPECTRE_MITIGATED : SPECTRE_VULNERABLE;
	spectre_v4_state = SPECTRE_UNAFFECTED;
	if (cpus_have_final_cap(ARM64_SPECTRE_V4))
		spectre_v4_state = str_has_prefix(v4, "Mitigation") ?
				   SPECTRE_MITIGATED : SPECTRE_VULNERABLE;
}

/* Whether the firmware, reached by SMC as the exit path calls it, implements @wa here. */
static bool firmware_has_workaround(u32 wa)
{
	struct arm_smccc_res res;

	if (arm_smccc_1_1_get_conduit() != SMCCC_CONDUIT_SMC)
		return false;
	arm_smccc_1_1_invoke(ARM_SMCCC_ARCH_FEATURES_FUNC_ID, wa, &res);
	return (int)res.a0 == SMCCC_RET_SUCCESS;
}

/**
 * kvm_spectre_hyp_flags() - the HYP_FLAG_* of the Spectre work each exit does on this CPU
 *
 * Only where the kernel mitigates the issue, and this CPU is affected. Preemption off.
 */
u64 kvm_spectre_hyp_flags(void)
{
	u64 isar2 = read_sysreg_s(SYS_ID_AA64ISAR2_EL1);
	u64 mmfr1 = read_sysreg_s(SYS_ID_AA64MMFR1_EL1);
	u64 flags = 0;

	if (spectre_v2_state == SPECTRE_MITIGATED && this_cpu_has_cap(ARM64_SPECTRE_V2) &&
	    firmware_has_workaround(ARM_SMCCC_ARCH_WORKAROUND_1))
		flags |= BIT(HYP_FLAG_WA1);
	/* FEAT_ECBHB: taking an exception already isolates the branch history. */
	if (spectre_bhb_state != SPECTRE_MITIGATED || !this_cpu_has_cap(ARM64_SPECTRE_BHB) ||
	    cpuid_feature_extract_unsigned_field(mmfr1, ID_AA64MMFR1_EL1_ECBHB_SHIFT))
		return flags;
	if (cpuid_feature_extract_unsigned_field(isar2, ID_AA64ISAR2_EL1_CLRBHB_SHIFT))
		flags |= BIT(HYP_FLAG_CLRBHB);
	else if (firmware_has_workaround(ARM_SMCCC_ARCH_WORKAROUND_3))
		flags |= BIT(HYP_FLAG_WA3);
	else
		flags |= BIT(HYP_FLAG_BHB_LOOP);
	return flags;
}

/*
 * The SMCCC_ARCH_FEATURES answer for a workaround whose issue is in @state: KVM's values,
 * SMCCC_RET_NOT_SUPPORTED for VULNERABLE.
 */
static long smccc_workaround_answer(enum mitigation_state state)
{
	switch (state) {
	case SPECTRE_MITIGATED:
		return SMCCC_RET_SUCCESS;
	case SPECTRE_UNAFFECTED:
		return SMCCC_ARCH_WORKAROUND_RET_UNAFFECTED;
	default:
		return SMCCC_RET_NOT_SUPPORTED;
	}
}

/**
 * kvm_smccc_arch_features() - SMCCC_ARCH_FEATURES of @feature, as KVM answers it
 * @feature: the function id asked about
 *
 * Spectre-v4 (SSB) is special, as in KVM: mitigated by the firmware, the mitigation is on
 * whenever a guest runs, so the guest need not ask for it (NOT_REQUIRED); mitigated by
 * SSBS, the guest sees SSBS and sets it itself (NOT_SUPPORTED, the default for anything
 * else too).
 */
long kvm_smccc_arch_features(u32 feature)
{
	switch (feature) {
	case ARM_SMCCC_ARCH_WORKAROUND_1:
		return smccc_workaround_answer(spectre_v2_state);
	case ARM_SMCCC_ARCH_WORKAROUND_3:
		return smccc_workaround_answer(spectre_bhb_state);
	case ARM_SMCCC_ARCH_WORKAROUND_2:
		if (spectre_v4_state == SPECTRE_UNAFFECTED ||
		    (spectre_v4_state == SPECTRE_MITIGATED && !cpus_have_final_cap(ARM64_SSBS)))
			return SMCCC_RET_NOT_REQUIRED;
		break;
	}
	return SMCCC_RET_NOT_SUPPORTED;
}
