/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the minikvm selftests. The same binaries run against /dev/minikvm and,
 * in the reference hosts, against real KVM's /dev/kvm: MINIKVM_DEV names the device.
 */
#ifndef MINIKVM_UTIL_H
#define MINIKVM_UTIL_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MINIKVM_DEFAULT_DEV	"/dev/minikvm"

static inline const char *kvm_dev_path(void)
{
	const char *path = getenv("MINIKVM_DEV");

	return path && *path ? path : MINIKVM_DEFAULT_DEV;
}

/* True when the suite runs against minikvm, false against real KVM. */
static inline bool kvm_dev_is_minikvm(void)
{
	return strstr(kvm_dev_path(), "minikvm") != NULL;
}

static inline int open_kvm_dev(void)
{
	return open(kvm_dev_path(), O_RDWR | O_CLOEXEC);
}

#endif /* MINIKVM_UTIL_H */
