# SPDX-License-Identifier: GPL-2.0-only
# The guest set-up library (kvm_util.h), for the Makefiles of tools/ and selftests/minikvm/
# to include: built with their CC (native or cross) into $(OUTPUT)/libkvm/, for the arch
# that CC builds for. Gives LIBKVM_OBJS to link, and LIBKVM_DIR to add to the include path.

LIBKVM_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
ifneq ($(findstring x86_64,$(shell $(CC) -dumpmachine)),)
LIBKVM_ARCH := x86
else
LIBKVM_ARCH := arm64
endif
LIBKVM_OBJS := $(addprefix $(OUTPUT)/libkvm/,kvm_util.o $(LIBKVM_ARCH)_setup.o)

$(OUTPUT)/libkvm/%.o: $(LIBKVM_DIR)/%.c $(wildcard $(LIBKVM_DIR)/*.h)
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -c -o $@ $<
