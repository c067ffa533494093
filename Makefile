# SPDX-License-Identifier: GPL-2.0-only
# Builds minikvm.ko against KDIR (default: the running kernel's headers). Cross-build with
#   make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- KDIR=...
# `make run` and `make check` are the README's two commands: they fetch Debian kernels,
# boot emulated test hosts and run the module there. `make bench` compares exit costs with
# real KVM's (scripts/bench).

KDIR ?= /lib/modules/$(shell uname -r)/build

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

run:
	scripts/demo

check:
	scripts/test-all

bench:
	scripts/bench

.PHONY: all modules clean run check bench
