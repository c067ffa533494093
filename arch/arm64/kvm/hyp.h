/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What minikvm's arm64 C code and its EL2 code (hyp/hyp-entry.S) must agree on.
 */
#ifndef __MINIKVM_ARM64_HYP_H
#define __MINIKVM_ARM64_HYP_H

/*
 * Hyp call numbers (x0 of "hvc #0"). The Linux hyp stub owns the numbers below
 * HVC_STUB_HCALL_NR and answers any other with HVC_STUB_ERR; ours live far above ("MK").
 */
#define MINIKVM_HC_BASE		0x4d4b0000
#define MINIKVM_HC_CURRENT_EL	(MINIKVM_HC_BASE + 0)
#define MINIKVM_HC_NR		1
/* A number nobody implements: what EL2 answers to it tells who is there. */
#define MINIKVM_HC_PROBE	(MINIKVM_HC_BASE + 0xffff)

/* Offset of the "synchronous exception from a lower EL, AArch64" vector (ARM ARM D1.10.2). */
#define VECTOR_LOWER_A64_SYNC	0x400

#ifndef __ASSEMBLY__
/* The EL2 code, copied to a page of its own: see hyp/hyp-entry.S. */
extern char __minikvm_hyp_start[], __minikvm_hyp_end[];
extern char __minikvm_hyp_vectors[], __minikvm_hyp_install[];
#endif

#endif /* __MINIKVM_ARM64_HYP_H */
