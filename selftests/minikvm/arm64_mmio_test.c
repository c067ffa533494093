// SPDX-License-Identifier: GPL-2.0-only
/*
 * arm64 guests' MMIO and memory, as userspace sees them through KVM_RUN: loads and stores
 * of every size with sign extension (decoded from the syndrome), the completion of a
 * pending load under immediate_exit, an ioeventfd hit, and memslots seen from the guest:
 * written, read-only (loads read it, stores exit, at the right address also when the
 * guest's own MMU translates it), deleted (unmapped from stage 2), and bounded by the VM's
 * IPA size. Each guest is real AArch64 code run at EL1 by minikvm, or by real KVM in the
 * reference host; both must agree, or the test says why not.
 */
#include <sys/eventfd.h>

#include "arm64_vm.h"

TEST_F(guest, mmio_every_size_with_sign_extension)
{
	static const struct {
		__u64 off;
		__u32 len;
		__u64 data;
	} stores[] = {
		{ 0x00, 1, 0xa1 },
		{ 0x08, 2, 0xb2b1 },
		{ 0x10, 4, 0xc4c3c2c1 },
		{ 0x18, 8, 0xd8d7d6d5d4d3d2d1ULL },
	}, loads[] = {
		{ 0x20, 1, 0x80 },
		{ 0x28, 2, 0x8001 },
		{ 0x30, 4, 0x80000002 },
		{ 0x38, 8, 0x8877665544332211ULL },
		{ 0x40, 1, 0xf0 },
		{ 0x48, 1, 0x81 },
	};
	/* What x5-x10 must hold: ldrsb x, ldrsh x, ldrsw x, ldr x, ldrb w, ldrsb w. */
	static const __u64 sign_extended[] = {
		0xffffffffffffff80ULL, 0xffffffffffff8001ULL, 0xffffffff80000002ULL,
		0x8877665544332211ULL, 0xf0, 0xffffff81,
	};
	/*
	 * What real KVM (6.1 and 6.12, measured in the reference hosts) puts there: its
	 * kvm_handle_mmio_return() sign-extends the data, then vcpu_data_host_to_guest()
	 * masks it back to the access size. minikvm follows the architecture instead.
	 */
	static const __u64 kvm_truncated[] = {
		0x80, 0x8001, 0x80000002, 0x8877665544332211ULL, 0xf0, 0x81,
	};
	const __u64 *expect = kvm_dev_is_minikvm() ? sign_extended : kvm_truncated;
	__u64 data;
	size_t i;

	GUEST_SETUP(PROG_MMIO, guest_mmio);
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(0), MMIO_GPA));
	/* Register bits beyond each store's size must not reach the bus. */
	for (i = 0; i < ARRAY_SIZE(stores); i++) {
		data = stores[i].data;
		if (stores[i].len < 8)
			data |= ~0ULL << 8 * stores[i].len;
		ASSERT_EQ(0, set_reg(&self->vm, REG_X(1 + i), data));
	}

	for (i = 0; i < ARRAY_SIZE(stores); i++) {
		ASSERT_EQ(0, run_to_mmio(&self->vm, stores[i].off, stores[i].len, 1))
			TH_LOG("store %zu: exit_reason %u addr 0x%llx len %u", i,
			       self->vm.run->exit_reason, self->vm.run->mmio.phys_addr,
			       self->vm.run->mmio.len);
		data = 0;
		memcpy(&data, self->vm.run->mmio.data, stores[i].len);
		EXPECT_EQ(stores[i].data, data);
	}
	for (i = 0; i < ARRAY_SIZE(loads); i++) {
		ASSERT_EQ(0, run_to_mmio(&self->vm, loads[i].off, loads[i].len, 0))
			TH_LOG("load %zu: exit_reason %u addr 0x%llx len %u", i,
			       self->vm.run->exit_reason, self->vm.run->mmio.phys_addr,
			       self->vm.run->mmio.len);
		memcpy(self->vm.run->mmio.data, &loads[i].data, loads[i].len);
	}
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	ASSERT_TRUE(is_system_off(&self->vm));
	for (i = 0; i < ARRAY_SIZE(sign_extended); i++) {
		EXPECT_EQ(expect[i], get_reg(&self->vm, REG_X(5 + i)))
			TH_LOG("load %zu, into x%zu", i, 5 + i);
	}
}

TEST_F(guest, immediate_exit_completes_a_pending_load)
{
	__u64 data = 0x7f, pc;

	GUEST_SETUP(PROG_MMIO, guest_mmio);
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(0), MMIO_GPA));
	self->vm.run->immediate_exit = 1;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_EQ(EINTR, errno);
	self->vm.run->immediate_exit = 0;
	/* Four stores, then the first load. */
	for (int i = 0; i < 5; i++)
		ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	ASSERT_EQ((__u32)KVM_EXIT_MMIO, self->vm.run->exit_reason);
	ASSERT_EQ(0, self->vm.run->mmio.is_write);
	pc = get_reg(&self->vm, REG_PC);
	memcpy(self->vm.run->mmio.data, &data, 1);
	self->vm.run->immediate_exit = 1;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ((__u32)KVM_EXIT_MMIO, self->vm.run->exit_reason);
	EXPECT_EQ(0x7fULL, get_reg(&self->vm, REG_X(5)));
	EXPECT_EQ(pc + 4, get_reg(&self->vm, REG_PC));
}

TEST_F(guest, guest_writes_reach_memslot_and_ioeventfd)
{
	struct kvm_ioeventfd ioeventfd = { .addr = MMIO_GPA + 0x100, .len = 4 };
	__u64 count = 0;
	int efd;

	GUEST_SETUP(PROG_STORE, guest_store);
	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ioeventfd.fd = efd;
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_IOEVENTFD, &ioeventfd))
		TH_LOG("KVM_IOEVENTFD: %s", strerror(errno));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(1), 0x1122334455667788ULL));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(2), RAM_GPA + DATA_OFFSET));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(3), 42));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(4), MMIO_GPA + 0x100));
	/* The MMIO store goes to the eventfd: the next exit is the SYSTEM_OFF. */
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_TRUE(is_system_off(&self->vm)) TH_LOG("exit_reason %u",
						     self->vm.run->exit_reason);
	EXPECT_EQ(0x1122334455667788ULL, *(__u64 *)((char *)self->vm.mem + DATA_OFFSET));
	EXPECT_EQ(8, read(efd, &count, sizeof(count)));
	EXPECT_EQ(1ULL, count);
	close(efd);
}

/* A read-only slot above the RAM: loads read it, stores are MMIO exits, as on KVM. */
#define ROM_GPA		(RAM_GPA + RAM_SIZE)
#define ROM_SIZE	0x1000UL

TEST_F(guest, readonly_slot_reads_and_traps_writes)
{
	struct kvm_userspace_memory_region region = {
		.slot = 1,
		.flags = KVM_MEM_READONLY,
		.guest_phys_addr = ROM_GPA,
		.memory_size = ROM_SIZE,
	};
	__u64 data = 0;
	void *rom;

	GUEST_SETUP(PROG_LOAD_STORE, guest_load_store);
	rom = mmap(NULL, ROM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rom);
	*(__u64 *)rom = 0x0badc0dedeadbeefULL;
	region.userspace_addr = (unsigned long)rom;
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_SET_USER_MEMORY_REGION, &region));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(1), 0x1234));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(2), ROM_GPA));

	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	ASSERT_EQ((__u32)KVM_EXIT_MMIO, self->vm.run->exit_reason);
	EXPECT_EQ(ROM_GPA, self->vm.run->mmio.phys_addr);
	EXPECT_EQ(1, self->vm.run->mmio.is_write);
	EXPECT_EQ(8U, self->vm.run->mmio.len);
	memcpy(&data, self->vm.run->mmio.data, sizeof(data));
	EXPECT_EQ(0x1234ULL, data);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_TRUE(is_system_off(&self->vm));
	EXPECT_EQ(0x0badc0dedeadbeefULL, get_reg(&self->vm, REG_X(5)));
	EXPECT_EQ(0x0badc0dedeadbeefULL, *(__u64 *)rom);
	munmap(rom, ROM_SIZE);
}

/*
 * The guest's own stage 1 for guest_mmu_ro (Arm ARM D5.2, D5.3): 4 KiB granule, 39-bit
 * virtual addresses, so the walk starts at level 1, whose descriptors map 1 GiB blocks.
 * VA 0-1 GiB is Device memory (the MMIO), 1-2 GiB Normal memory at the same IPAs (the
 * RAM, code included), and 2-3 GiB Normal memory at IPA 3 GiB, a read-only slot: there
 * a virtual address and its IPA differ, as they do for a real guest OS.
 */
#define RO_SLOT_GPA		0xc0000000UL
#define RO_SLOT_PAGES		4
#define RO_SLOT_VA		0x80000000UL
/* Where in each page the guest stores, so that the page offset is checked too. */
#define RO_STORE_OFFSET		0x18UL
#define PGTABLE_OFFSET		0x90000UL
#define BLOCK_SHIFT_L1		30
/* A level-1 block: valid (0b01), AttrIndx (MAIR index), inner shareable, Access flag. */
#define PTE_BLOCK		1ULL
#define PTE_ATTRINDX(n)		((__u64)(n) << 2)
#define PTE_SH_INNER		(3ULL << 8)
#define PTE_AF			(1ULL << 10)
/* Never executable, at EL1 or EL0. */
#define PTE_PXN_UXN		(3ULL << 53)
/* MAIR_EL1: attribute 0 Normal Write-Back, attribute 1 Device-nGnRnE. */
#define MAIR_NORMAL_DEVICE	0xffULL
#define MAIR_IDX_NORMAL		0
#define MAIR_IDX_DEVICE		1
/* TCR_EL1: T0SZ 25 (39 bits), walks Write-Back inner shareable, TTBR1 walks off, 4 GiB IPA. */
#define TCR_T0SZ_39		25ULL
#define TCR_WALK_WB_INNER	((1ULL << 8) | (1ULL << 10) | (3ULL << 12))
#define TCR_EPD1		(1ULL << 23)
/* SCTLR_EL1: KVM's reset value, with the MMU (M), data (C) and instruction caches (I) on. */
#define SCTLR_RESET		0x00c50078ULL
#define SCTLR_M_C_I		((1ULL << 0) | (1ULL << 2) | (1ULL << 12))
#define REG_SCTLR_EL1		ARM64_SYS_REG(3, 0, 1, 0, 0)
#define REG_TTBR0_EL1		ARM64_SYS_REG(3, 0, 2, 0, 0)
#define REG_TCR_EL1		ARM64_SYS_REG(3, 0, 2, 0, 2)
#define REG_MAIR_EL1		ARM64_SYS_REG(3, 0, 10, 2, 0)

/*
 * A store to a page of a read-only slot that a load mapped already is a stage-2
 * permission fault, for which HPFAR_EL2 (the IPA) is UNKNOWN: the hypervisor must find
 * the IPA from the virtual address (KVM translates it with AT S1E1R). Each store, on each
 * page, must exit to userspace with its own IPA, not its virtual address.
 */
TEST_F(guest, readonly_slot_write_reports_its_ipa_under_the_guests_mmu)
{
	struct kvm_userspace_memory_region region = {
		.slot = 1,
		.flags = KVM_MEM_READONLY,
		.guest_phys_addr = RO_SLOT_GPA,
		.memory_size = RO_SLOT_PAGES * 0x1000UL,
	};
	__u64 *l1, data;
	void *rom;
	int i;

	GUEST_SETUP(PROG_MMU_RO, guest_mmu_ro);
	l1 = (__u64 *)((char *)self->vm.mem + PGTABLE_OFFSET);
	l1[0] = PTE_BLOCK | PTE_ATTRINDX(MAIR_IDX_DEVICE) | PTE_AF | PTE_PXN_UXN;
	l1[1] = RAM_GPA | PTE_BLOCK | PTE_ATTRINDX(MAIR_IDX_NORMAL) | PTE_SH_INNER | PTE_AF;
	l1[RO_SLOT_VA >> BLOCK_SHIFT_L1] = RO_SLOT_GPA | PTE_BLOCK |
					    PTE_ATTRINDX(MAIR_IDX_NORMAL) | PTE_SH_INNER |
					    PTE_AF | PTE_PXN_UXN;
	rom = mmap(NULL, region.memory_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rom);
	region.userspace_addr = (unsigned long)rom;
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_SET_USER_MEMORY_REGION, &region));
	ASSERT_EQ(0, set_reg(&self->vm, REG_MAIR_EL1, MAIR_NORMAL_DEVICE));
	ASSERT_EQ(0, set_reg(&self->vm, REG_TCR_EL1, TCR_T0SZ_39 | TCR_WALK_WB_INNER |
						      TCR_EPD1));
	ASSERT_EQ(0, set_reg(&self->vm, REG_TTBR0_EL1, RAM_GPA + PGTABLE_OFFSET));
	ASSERT_EQ(0, set_reg(&self->vm, REG_SCTLR_EL1, SCTLR_RESET | SCTLR_M_C_I));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(1), 0xfeed));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(2), RO_SLOT_VA + RO_STORE_OFFSET));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(3), RO_SLOT_PAGES));

	for (i = 0; i < RO_SLOT_PAGES; i++) {
		ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0)) TH_LOG("page %d", i);
		ASSERT_EQ((__u32)KVM_EXIT_MMIO, self->vm.run->exit_reason) TH_LOG("page %d", i);
		EXPECT_EQ(RO_SLOT_GPA + i * 0x1000UL + RO_STORE_OFFSET,
			  self->vm.run->mmio.phys_addr) TH_LOG("page %d", i);
		EXPECT_EQ(1, self->vm.run->mmio.is_write);
		EXPECT_EQ(4U, self->vm.run->mmio.len);
		data = 0;
		memcpy(&data, self->vm.run->mmio.data, self->vm.run->mmio.len);
		EXPECT_EQ(0xfeedULL, data);
	}
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	EXPECT_TRUE(is_system_off(&self->vm));
	munmap(rom, region.memory_size);
}

/*
 * A page the guest wrote is mapped in stage 2; deleting its slot must unmap it (and
 * flush the TLBs), so that the same store then finds no memory: an MMIO exit.
 */
#define DATA_SLOT_GPA	(ROM_GPA + ROM_SIZE)

TEST_F(guest, deleted_slot_is_unmapped)
{
	struct kvm_userspace_memory_region region = {
		.slot = 2,
		.guest_phys_addr = DATA_SLOT_GPA,
		.memory_size = ROM_SIZE,
	};
	void *data;

	GUEST_SETUP(PROG_STORE, guest_store);
	data = mmap(NULL, ROM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, data);
	region.userspace_addr = (unsigned long)data;
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_SET_USER_MEMORY_REGION, &region));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(1), 0x600d));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(2), DATA_SLOT_GPA));
	ASSERT_EQ(0, set_reg(&self->vm, REG_X(4), MMIO_GPA));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	ASSERT_EQ((__u32)KVM_EXIT_MMIO, self->vm.run->exit_reason);
	EXPECT_EQ(MMIO_GPA, self->vm.run->mmio.phys_addr);
	EXPECT_EQ(0x600dULL, *(__u64 *)data);
	/* Complete the store without running on: the next PC set must stay as set. */
	self->vm.run->immediate_exit = 1;
	ASSERT_EQ(-1, ioctl(self->vm.vcpu, KVM_RUN, 0));
	self->vm.run->immediate_exit = 0;

	region.memory_size = 0;
	ASSERT_EQ(0, ioctl(self->vm.vm, KVM_SET_USER_MEMORY_REGION, &region));
	ASSERT_EQ(0, set_reg(&self->vm, REG_PC, guest_code_gpa(PROG_STORE)));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_RUN, 0));
	ASSERT_EQ((__u32)KVM_EXIT_MMIO, self->vm.run->exit_reason);
	EXPECT_EQ(DATA_SLOT_GPA, self->vm.run->mmio.phys_addr);
	EXPECT_EQ(1, self->vm.run->mmio.is_write);
	munmap(data, ROM_SIZE);
}

/* The IPA size: KVM's default of 40 bits, and a 32-bit VM whose slots end at 4 GiB. */
TEST(ipa_size_bounds_memslots)
{
	struct kvm_userspace_memory_region region = {
		.guest_phys_addr = 1ULL << 32,
		.memory_size = RAM_SIZE,
	};
	int kvm = open_kvm_dev(), vm;
	void *mem;

	ASSERT_LE(0, kvm);
	EXPECT_LE(40, ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE));
	EXPECT_EQ(1, ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PSCI_0_2));
	vm = ioctl(kvm, KVM_CREATE_VM, KVM_VM_TYPE_ARM_IPA_SIZE(32));
	ASSERT_LE(0, vm);
	mem = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	region.userspace_addr = (unsigned long)mem;
	EXPECT_EQ(-1, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region));
	EXPECT_EQ(EFAULT, errno);
	region.guest_phys_addr -= RAM_SIZE;
	EXPECT_EQ(0, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region));
	munmap(mem, RAM_SIZE);
	close(vm);
	close(kvm);
}

TEST_HARNESS_MAIN
