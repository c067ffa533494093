/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel interfaces minikvm uses that changed between the kernels it builds for (Debian's
 * 6.1 and 6.12), each detected by what the headers define rather than by version number.
 */
#ifndef __MINIKVM_COMPAT_H
#define __MINIKVM_COMPAT_H

#include <linux/eventfd.h>
#include <linux/kvm.h>

/*
 * 6.11 renamed kvm_run's immediate_exit, for the kernel only, to immediate_exit__unsafe
 * (through HINT_UNSAFE_IN_KVM): it is userspace memory, to be read once per KVM_RUN.
 */
#ifdef HINT_UNSAFE_IN_KVM
#define kvm_run_immediate_exit(run)	READ_ONCE((run)->HINT_UNSAFE_IN_KVM(immediate_exit))
#else
#define kvm_run_immediate_exit(run)	READ_ONCE((run)->immediate_exit)
#endif

/*
 * 6.8 dropped eventfd_signal()'s count, always 1 in practice. Kbuild defines
 * MINIKVM_EVENTFD_SIGNAL_ONE when the headers have the one-argument form.
 */
#ifdef MINIKVM_EVENTFD_SIGNAL_ONE
#define kvm_eventfd_signal(ctx)		eventfd_signal(ctx)
#else
#define kvm_eventfd_signal(ctx)		eventfd_signal(ctx, 1)
#endif

#endif /* __MINIKVM_COMPAT_H */
