// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a guest must not reach of its host, and what it must get of its own instead: CR8
 * kept in the vCPU (the host's TPR untouched, its interrupts still coming), SYSCALL going
 * to the guest's LSTAR, the SYSCALL MSRs, TSC_AUX and the TSC through KVM_GET/SET_MSRS,
 * canonical bases and valid PAT types only, RDPMC's #GP without a PMU, WBINVD, INVD,
 * MONITOR and MWAIT kept from the CPU, CR4 bits only as the guest's CPUID offers them,
 * CPUID empty before KVM_SET_CPUID2, INS honouring the guest's page protections, an event
 * delivered through MMIO refused, guest-physical addresses past 48 bits refused, MXCSR
 * never taken from KVM_SET_FPU, the VMM's LDT and GS selector as they were after
 * KVM_RUN, and the L1TF flush counted. Run against minikvm and real KVM; both must agree.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <asm/ldt.h>

#include "x86_vm.h"

#define MSR_IA32_TSC		0x10
#define MSR_IA32_CR_PAT		0x277
#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_TSC_AUX		0xc0000103

#define EFER_SCE		(1ULL << 0)
#define CR4_SMEP		(1ULL << 20)
#define RFLAGS_IF		(1ULL << 9)
#define PF_VECTOR		14
#define CPUID_7_EBX_SMEP	(1u << 7)
#define CPUID_EXT_EDX_RDTSCP	(1u << 27)
/* An address with bit 47 set and 63:48 clear: not canonical. */
#define NONCANONICAL		0x0000800000000000ULL

/* One MSR through KVM_GET_MSRS or KVM_SET_MSRS: the ioctl's count, 0 or 1. */
static int msr_io(int vcpu, unsigned long ioctl_nr, uint32_t index, uint64_t *data)
{
	struct {
		struct kvm_msrs header;
		struct kvm_msr_entry entry;
	} msrs = { .header.nmsrs = 1, .entry = { .index = index, .data = *data } };
	int r = ioctl(vcpu, ioctl_nr, &msrs);

	*data = msrs.entry.data;
	return r;
}

static uint64_t get_msr(struct __test_metadata *_metadata, int vcpu, uint32_t index)
{
	uint64_t data = 0;

	EXPECT_EQ(1, msr_io(vcpu, KVM_GET_MSRS, index, &data)) TH_LOG("MSR 0x%x", index);
	return data;
}

static int set_msr(int vcpu, uint32_t index, uint64_t data)
{
	return msr_io(vcpu, KVM_SET_MSRS, index, &data);
}

/* A CPUID table of leaf 0 (max leaf 7), leaf 7's EBX and leaf 0x80000001's EDX. */
static void set_cpuid_features(struct __test_metadata *_metadata, int vcpu, uint32_t leaf7_ebx,
			       uint32_t ext_edx)
{
	struct {
		struct kvm_cpuid2 header;
		struct kvm_cpuid_entry2 entries[4];
	} cpuid = {
		.header.nent = 4,
		.entries = {
			{ .function = 0, .eax = 7 },
			{ .function = 7, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .ebx = leaf7_ebx },
			{ .function = 0x80000000, .eax = 0x80000001 },
			{ .function = 0x80000001, .edx = ext_edx },
		},
	};

	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_CPUID2, &cpuid));
}

/* Sets one general register of the vCPU. */
#define SET_REG(reg_, val_) do {					\
	struct kvm_regs r_;						\
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &r_));		\
	r_.reg_ = (val_);						\
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_REGS, &r_));		\
} while (0)

#define GUEST_HANDLER64		0xf000ULL

/*
 * For a long-mode guest (setup_long_mode()): a GDT with its flat 64-bit code (0x8) and data
 * (0x10) segments, and an IDT whose every exception gate goes to a stub that says its
 * vector on port 0x21 and halts.
 */
static void setup_long_mode_idt(struct __test_metadata *_metadata, FIXTURE_DATA(x86) * self)
{
	uint64_t *gdt = (uint64_t *)(self->vm.mem + GUEST_GDT);
	uint64_t *idt = (uint64_t *)(self->vm.mem + GUEST_IDT);
	struct kvm_sregs sregs;
	int vec;

	gdt[1] = 0x00209a0000000000ULL;		/* code: present, 64-bit */
	gdt[2] = 0x0000920000000000ULL;		/* data: present, writable */
	for (vec = 0; vec < 32; vec++) {
		uint64_t stub = GUEST_HANDLER64 + 8 * vec;
		/* MOV AL, vec; OUT 0x21, AL; HLT */
		const unsigned char code[] = { 0xb0, vec, 0xe6, 0x21, 0xf4 };

		memcpy(self->vm.mem + stub, code, sizeof(code));
		/* A present 64-bit interrupt gate (SDM 6.14.1) to 0x8:stub. */
		idt[2 * vec] = (stub & 0xffff) | 0x8ULL << 16 | 0x8e00ULL << 32 |
			       (stub & 0xffff0000) << 32;
		idt[2 * vec + 1] = stub >> 32;
	}
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	sregs.gdt.base = GUEST_GDT;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.idt.base = GUEST_IDT;
	sregs.idt.limit = 32 * 16 - 1;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
}

/*
 * MOV to and from CR8 stay in the vCPU: the guest reads back what it wrote, a lower
 * priority is reported to userspace (KVM_EXIT_SET_TPR, with run->cr8), run->cr8 set by
 * userspace is what the guest reads next, and a reserved bit #GPs.
 */
TEST_F(x86, cr8_kept_in_the_vcpu)
{
	struct kvm_sregs sregs;

	setup_long_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_cr8_64, guest_cr8_64_end);
	setup_long_mode_idt(_metadata, self);
	EXPECT_OUT(0x30, 4, 15);
	EXPECT_EQ(15ULL, self->vm.run->cr8);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_SET_TPR);
	EXPECT_EQ(3ULL, self->vm.run->cr8);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	EXPECT_EQ(3ULL, sregs.cr8);
	/* KVM takes run->cr8 back at each KVM_RUN without an in-kernel local APIC. */
	self->vm.run->cr8 = 9;
	EXPECT_OUT(0x31, 4, 9);
	EXPECT_OUT(0x21, 1, GP_VECTOR);
	EXPECT_EQ(9ULL, self->vm.run->cr8);
	/* And refuses a run->cr8 with reserved bits. */
	self->vm.run->cr8 = 16;
	EXPECT_EQ(-1, run_vcpu(self));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * A guest at the highest task priority that spins: if its CR8 were the host's TPR, this
 * CPU would take no timer interrupt, and neither the signal nor anything else would come.
 */
TEST_F(x86, cr8_leaves_host_interrupts_on)
{
	struct sigaction sa = { .sa_handler = record_signal };
	struct itimerval timer = { .it_value = { .tv_usec = 300000 } };
	struct timespec start, back;
	struct kvm_sregs sregs;

	setup_long_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_tpr_spin64, guest_tpr_spin64_end);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	clock_gettime(CLOCK_MONOTONIC, &start);
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &timer, NULL));
	EXPECT_EQ(-1, run_vcpu(self));
	EXPECT_EQ(EINTR, errno);
	clock_gettime(CLOCK_MONOTONIC, &back);
	signal(SIGALRM, SIG_DFL);
	ASSERT_EXIT(KVM_EXIT_INTR);
	EXPECT_GT(5, back.tv_sec - start.tv_sec);
	EXPECT_EQ(15ULL, self->vm.run->cr8);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	EXPECT_EQ(15ULL, sregs.cr8);
}

/* SYSCALL lands at the guest's own LSTAR, with its STAR and FMASK; userspace reads them. */
TEST_F(x86, syscall_goes_to_the_guest_lstar)
{
	uint64_t code = GUEST_CODE64;

	setup_long_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_syscall64, guest_syscall64_end);
	/* RCX: the instruction after SYSCALL; R11: RFLAGS with IF; then IF masked. */
	EXPECT_OUT(0x30, 4, code + (guest_syscall64_ret - guest_syscall64));
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_IO);
	EXPECT_EQ(0x31, self->vm.run->io.port);
	EXPECT_TRUE(!!(pio_value(self->vm.run) & RFLAGS_IF));
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_IO);
	EXPECT_EQ(0x32, self->vm.run->io.port);
	EXPECT_FALSE(!!(pio_value(self->vm.run) & RFLAGS_IF));
	EXPECT_EQ(code + (guest_syscall64_handler - guest_syscall64),
		  get_msr(_metadata, self->vm.vcpu, MSR_LSTAR));
	EXPECT_EQ(0x0010000800000000ULL, get_msr(_metadata, self->vm.vcpu, MSR_STAR));
	EXPECT_EQ(0x200ULL, get_msr(_metadata, self->vm.vcpu, MSR_SYSCALL_MASK));
	EXPECT_TRUE(!!(get_msr(_metadata, self->vm.vcpu, MSR_EFER) & EFER_SCE));
}

/* KVM_SET_MSRS and KVM_GET_MSRS of the SYSCALL MSRs; non-canonical addresses refused. */
TEST_F(x86, syscall_msrs_through_ioctls)
{
	const struct {
		uint32_t index;
		uint64_t value;
	} msrs[] = {
		{ MSR_STAR, 0x0023001000000000ULL },
		{ MSR_LSTAR, 0xffffffff81000000ULL },
		{ MSR_CSTAR, 0x00007fffffff0000ULL },
		{ MSR_SYSCALL_MASK, 0x47700 },
	};
	const uint32_t bases[] = { MSR_LSTAR, MSR_CSTAR, MSR_FS_BASE, MSR_GS_BASE,
				   MSR_KERNEL_GS_BASE };
	struct kvm_msr_list *list = calloc(1, sizeof(*list) + 512 * sizeof(__u32));
	unsigned int i, j, found = 0;

	ASSERT_NE(NULL, list);
	list->nmsrs = 512;
	ASSERT_EQ(0, ioctl(self->vm.kvm, KVM_GET_MSR_INDEX_LIST, list));
	for (i = 0; i < ARRAY_SIZE(msrs); i++) {
		for (j = 0; j < list->nmsrs; j++)
			found += list->indices[j] == msrs[i].index;
		EXPECT_EQ(1, set_msr(self->vm.vcpu, msrs[i].index, msrs[i].value));
		EXPECT_EQ(msrs[i].value, get_msr(_metadata, self->vm.vcpu, msrs[i].index));
	}
	EXPECT_EQ(ARRAY_SIZE(msrs), found);
	free(list);
	/* A batch stops at a non-canonical base, which is not taken. */
	for (i = 0; i < ARRAY_SIZE(bases); i++) {
		EXPECT_EQ(0, set_msr(self->vm.vcpu, bases[i], NONCANONICAL))
			TH_LOG("MSR 0x%x", bases[i]);
		EXPECT_NE(NONCANONICAL, get_msr(_metadata, self->vm.vcpu, bases[i]));
	}
}

/* The guest's WRMSR of a non-canonical KERNEL_GS_BASE #GPs; it never reaches the CPU. */
TEST_F(x86, noncanonical_kernel_gs_base_from_guest_gps)
{
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_wrmsr16, guest_wrmsr16_end);
	set_real_mode_fault_vector(self->vm.mem, GP_VECTOR);
	SET_REG(rcx, MSR_KERNEL_GS_BASE);
	SET_REG(rdx, NONCANONICAL >> 32);
	EXPECT_OUT(0x21, 1, GP_VECTOR);
	EXPECT_EQ(0ULL, get_msr(_metadata, self->vm.vcpu, MSR_KERNEL_GS_BASE));
}

/* PAT types 2, 3 and 8 up are reserved: refused from the ioctl, #GP from the guest. */
TEST_F(x86, reserved_pat_types_refused)
{
	const uint64_t reset = 0x0007040600070406ULL;
	const uint64_t reserved[] = { 2, 3, 8, 0xff };
	unsigned int i;

	EXPECT_EQ(reset, get_msr(_metadata, self->vm.vcpu, MSR_IA32_CR_PAT));
	for (i = 0; i < ARRAY_SIZE(reserved); i++) {
		EXPECT_EQ(0, set_msr(self->vm.vcpu, MSR_IA32_CR_PAT, reset | reserved[i] << 56))
			TH_LOG("type 0x%llx", (unsigned long long)reserved[i]);
	}
	EXPECT_EQ(reset, get_msr(_metadata, self->vm.vcpu, MSR_IA32_CR_PAT));
	EXPECT_EQ(1, set_msr(self->vm.vcpu, MSR_IA32_CR_PAT, 0x0606060606060606ULL));
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_wrmsr16, guest_wrmsr16_end);
	set_real_mode_fault_vector(self->vm.mem, GP_VECTOR);
	SET_REG(rcx, MSR_IA32_CR_PAT);
	SET_REG(rax, 0x06060608);
	SET_REG(rdx, 0x06060606);
	EXPECT_OUT(0x21, 1, GP_VECTOR);
	EXPECT_EQ(0x0606060606060606ULL, get_msr(_metadata, self->vm.vcpu, MSR_IA32_CR_PAT));
}

/*
 * A TSC written by userspace is what the guest's RDTSC and KVM_GET_MSRS count on from; a
 * new vCPU's starts near 0, in step with its VM's others (KVM's TSC synchronization).
 */
TEST_F(x86, tsc_write_offsets_the_guest_clock)
{
	const uint64_t base = 1ULL << 40;
	uint64_t tsc0, tsc1, guest;
	int vcpu1;

	tsc0 = get_msr(_metadata, self->vm.vcpu, MSR_IA32_TSC);
	EXPECT_GT(__builtin_ia32_rdtsc() / 2, tsc0) TH_LOG("a new vCPU's TSC is 0x%llx",
						       (unsigned long long)tsc0);
	usleep(100000);
	vcpu1 = ioctl(self->vm.vm, KVM_CREATE_VCPU, 1);
	ASSERT_LE(0, vcpu1);
	tsc0 = get_msr(_metadata, self->vm.vcpu, MSR_IA32_TSC);
	tsc1 = get_msr(_metadata, vcpu1, MSR_IA32_TSC);
	EXPECT_LE(tsc0, tsc1) TH_LOG("vCPU 1 created 100 ms later is behind vCPU 0");
	close(vcpu1);

	EXPECT_EQ(1, set_msr(self->vm.vcpu, MSR_IA32_TSC, base));
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_tsc16, guest_tsc16_end);
	set_real_mode_fault_vector(self->vm.mem, UD_VECTOR);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_IO);
	guest = pio_value(self->vm.run);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_IO);
	guest |= pio_value(self->vm.run) << 32;
	EXPECT_LE(base, guest);
	EXPECT_GT(base + (1ULL << 38), guest);
	EXPECT_LE(guest, get_msr(_metadata, self->vm.vcpu, MSR_IA32_TSC));
	/* No RDTSCP in the vCPU's (empty) CPUID: #UD. */
	EXPECT_OUT(0x21, 1, UD_VECTOR);
}

/* With RDTSCP in its CPUID, the guest reads the TSC_AUX userspace set. */
TEST_F(x86, rdtscp_reads_the_guest_tsc_aux)
{
	struct kvm_cpuid2 *supported = calloc(1, sizeof(*supported) + 256 * sizeof(supported->entries[0]));
	bool rdtscp = false;
	unsigned int i;

	ASSERT_NE(NULL, supported);
	supported->nent = 256;
	ASSERT_EQ(0, ioctl(self->vm.kvm, KVM_GET_SUPPORTED_CPUID, supported));
	for (i = 0; i < supported->nent; i++)
		if (supported->entries[i].function == 0x80000001)
			rdtscp = supported->entries[i].edx & CPUID_EXT_EDX_RDTSCP;
	free(supported);
	if (!rdtscp)
		SKIP(return, "this host offers guests no RDTSCP");
	set_cpuid_features(_metadata, self->vm.vcpu, 0, CPUID_EXT_EDX_RDTSCP);
	/* Bits 63:32 are dropped for a guest that is not Intel's, as KVM does. */
	EXPECT_EQ(1, set_msr(self->vm.vcpu, MSR_TSC_AUX, 1ULL << 32 | 0x1234));
	EXPECT_EQ(0x1234ULL, get_msr(_metadata, self->vm.vcpu, MSR_TSC_AUX));
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_tsc16, guest_tsc16_end);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EQ(0, run_vcpu(self));
	EXPECT_OUT(0x32, 4, 0x1234);
}

/* A vCPU without KVM_SET_CPUID2 has an empty table: every leaf reads 0, as on KVM. */
TEST_F(x86, cpuid_without_a_table_reads_zero)
{
	uint32_t *out = (uint32_t *)(self->vm.mem + GUEST_DATA);
	int i;

	memset(out, 0xff, 3 * 16);
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_cpuid_zero16,
			guest_cpuid_zero16_end);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	for (i = 0; i < 12; i++)
		EXPECT_EQ(0u, out[i]) TH_LOG("leaf number %d of 0, 1, 7; register %d", i / 4, i % 4);
}

/*
 * CR4.SMEP is reserved unless the guest's CPUID offers SMEP: #GP, and EINVAL from SREGS.
 * (With no table set at all, KVM 6.1 reserves nothing yet; minikvm reserves every such
 * bit, as for a table without features.)
 */
TEST_F(x86, cr4_bits_follow_the_guest_cpuid)
{
	struct kvm_sregs sregs;

	set_cpuid_features(_metadata, self->vm.vcpu, 0, 0);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	sregs.cr4 |= CR4_SMEP;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
	EXPECT_EQ(EINVAL, errno);
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_cr4_or16, guest_cr4_or16_end);
	set_real_mode_fault_vector(self->vm.mem, GP_VECTOR);
	SET_REG(rbx, CR4_SMEP);
	EXPECT_OUT(0x21, 1, GP_VECTOR);
}

TEST_F(x86, cr4_bit_offered_by_cpuid_is_taken)
{
	struct kvm_sregs sregs;

	set_cpuid_features(_metadata, self->vm.vcpu, CPUID_7_EBX_SMEP, 0);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	sregs.cr4 |= CR4_SMEP;
	if (ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs))
		SKIP(return, "this host's CPU has no SMEP");
	sregs.cr4 &= ~CR4_SMEP;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_cr4_or16, guest_cr4_or16_end);
	SET_REG(rbx, CR4_SMEP);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_IO);
	EXPECT_EQ(0x2a, self->vm.run->io.port);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	EXPECT_TRUE(!!(sregs.cr4 & CR4_SMEP));
}

/*
 * RDPMC #GPs: the guest has no PMU, and the host's counters are not its to read. On
 * minikvm, the instruction must also have exited (the CPU of the lab may have no counters
 * and #GP by itself).
 */
TEST_F(x86, rdpmc_without_pmu_gps)
{
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_rdpmc16, guest_rdpmc16_end);
	set_real_mode_fault_vector(self->vm.mem, GP_VECTOR);
	EXPECT_OUT(0x21, 1, GP_VECTOR);
	if (kvm_dev_is_minikvm())
		EXPECT_EQ(1, read_vcpu_stat(self->vm.vcpu, "exit_reasons", 15));
}

/*
 * WBINVD, INVD, MONITOR and MWAIT run as NOPs, never on the host's CPU: on minikvm each
 * exited (basic exit reasons 54, 13, 39, 36).
 */
TEST_F(x86, cache_and_power_instructions_are_nops)
{
	const int reasons[] = { 54, 13, 39, 36 };
	unsigned int i;

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_nops16, guest_nops16_end);
	EXPECT_OUT(0x2b, 1, 0);
	if (!kvm_dev_is_minikvm())
		return;
	for (i = 0; i < ARRAY_SIZE(reasons); i++) {
		int reason = reasons[i];

		EXPECT_EQ(1, read_vcpu_stat(self->vm.vcpu, "exit_reasons", reason))
			TH_LOG("exit reason %d", reason);
	}
}

#define GUEST_PT_DIR		0xa000ULL
#define GUEST_PT		0xb000ULL
#define GUEST_RO_PAGE		0x6000ULL

/*
 * At CPL 3 with IOPL 3, 32-bit paging mapping the first 4 MiB to themselves as user pages,
 * GUEST_RO_PAGE read-only; the #PF gate (DPL 3, no stack switch) at guest_ins32_handler.
 * REP INSB into that page: the data comes from userspace first, as on KVM, then the store
 * raises the #PF a CPU would: present, write, user (error code 7), CR2 the page.
 */
TEST_F(x86, ins_honours_guest_page_protection)
{
	uint32_t *pd = (uint32_t *)(self->vm.mem + GUEST_PT_DIR);
	uint32_t *pt = (uint32_t *)(self->vm.mem + GUEST_PT);
	struct kvm_sregs sregs;
	int i;

	memcpy(self->vm.mem + GUEST_CODE, guest_ins32, guest_ins32_end - guest_ins32);
	memset(self->vm.mem + GUEST_RO_PAGE, 0x55, 8);
	pd[0] = GUEST_PT | 0x7;				/* present, writable, user */
	for (i = 0; i < 1024; i++)
		pt[i] = (i << 12) | (i << 12 == GUEST_RO_PAGE ? 0x5 : 0x7);
	/* Not GUEST_STACK: the stack grows down into the read-only page. */
	setup_cpl3_protected_mode(_metadata, self->vm.vcpu, self->vm.mem, CR0_PG, GUEST_PT_DIR,
				  PF_VECTOR, GUEST_CODE + (guest_ins32_handler - guest_ins32),
				  RFLAGS_IOPL3, GUEST_STACK + 0x1000);

	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_IO);
	EXPECT_EQ((__u8)KVM_EXIT_IO_IN, self->vm.run->io.direction);
	EXPECT_EQ(0x70, self->vm.run->io.port);
	memset((char *)self->vm.run + self->vm.run->io.data_offset, 0xaa, self->vm.run->io.count);
	EXPECT_OUT(0x2f, 4, 7);
	/* Nothing was stored, nothing counted off. */
	EXPECT_OUT(0x2d, 4, 4);
	EXPECT_EQ(0x55, self->vm.mem[GUEST_RO_PAGE]);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	EXPECT_EQ(GUEST_RO_PAGE, sregs.cr2);
}

/*
 * The #GP of a real-mode load past DS's limit, delivered through an IVT in MMIO: the CPU
 * exits while delivering it, and the instruction at RIP, which is not what accessed
 * MMIO, must not be emulated (KVM_INTERNAL_ERROR_DELIVERY_EV, as upstream KVM).
 */
TEST_F(x86, event_delivery_through_mmio_is_refused)
{
	struct kvm_sregs sregs;

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_limit16, guest_limit16_end);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	sregs.idt.base = GUEST_MMIO_GPA;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_INTERNAL_ERROR);
	EXPECT_EQ((__u32)KVM_INTERNAL_ERROR_DELIVERY_EV, self->vm.run->internal.suberror);
	ASSERT_LE(4u, self->vm.run->internal.ndata);
	/* Delivering a hardware exception (type 3), #GP; no error code in real mode. */
	EXPECT_EQ(0x8000030dULL, self->vm.run->internal.data[0] & 0x800007ffULL);
	EXPECT_EQ(GUEST_MMIO_GPA + GP_VECTOR * 4, self->vm.run->internal.data[3]);
}

/* 4-level EPT reaches 48 bits of guest-physical address: a slot beyond is EINVAL. */
TEST_F(x86, slot_beyond_48_bits_refused)
{
	struct kvm_userspace_memory_region region = {
		.slot = 1,
		.guest_phys_addr = 1ULL << 48,
		.memory_size = 0x1000,
		.userspace_addr = (unsigned long)self->vm.mem,
	};

	EXPECT_EQ(-1, ioctl(self->vm.vm, KVM_SET_USER_MEMORY_REGION, &region));
	EXPECT_EQ(EINVAL, errno);
	region.guest_phys_addr = (1ULL << 48) - 0x1000;
	region.memory_size = 0x2000;
	EXPECT_EQ(-1, ioctl(self->vm.vm, KVM_SET_USER_MEMORY_REGION, &region));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * KVM_SET_FPU's MXCSR is not taken, as KVM does not take it: one with reserved bits would
 * make the kernel's XRSTOR fault (and WARN) at the next KVM_RUN.
 */
TEST_F(x86, set_fpu_leaves_mxcsr)
{
	struct kvm_fpu fpu;
	uint32_t mxcsr;

	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_FPU, &fpu));
	mxcsr = fpu.mxcsr;
	fpu.mxcsr = 0xffffffff;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_FPU, &fpu));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_FPU, &fpu));
	/* 0x1f80 on minikvm (SDM 10.1.1), 0 on KVM 6.1 (measured), unchanged on both. */
	EXPECT_EQ(mxcsr, fpu.mxcsr);
	/* The test host fails the run if the kernel WARNs ("Bad FPU state"). */
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_nops16, guest_nops16_end);
	EXPECT_OUT(0x2b, 1, 0);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_FPU, &fpu));
	/* KVM 6.1 reads 0 here, minikvm 0x1f80: either way not the refused value. */
	EXPECT_NE(0xffffffffu, fpu.mxcsr);
}

static uint32_t ldt_target = 0x600dcafe;

static uint16_t read_gs(void)
{
	uint16_t sel;

	asm volatile("mov %%gs, %0" : "=r" (sel));
	return sel;
}

static uint32_t read_gs_word(void)
{
	uint32_t val;

	asm volatile("movl %%gs:0, %0" : "=r" (val));
	return val;
}

/*
 * A VMM whose thread has an LDT and a GS selector in it (glibc leaves GS to the program):
 * after KVM_RUN, GS still holds its selector and the LDT is still loaded, so the selector
 * loads again. VM exit leaves both null; the hypervisor puts them back.
 */
TEST_F(x86, vmm_ldt_and_gs_survive_kvm_run)
{
	struct user_desc desc = {
		.entry_number = 0,
		.base_addr = (unsigned long)&ldt_target,
		.limit = 0xfffff,
		.seg_32bit = 1,
		.limit_in_pages = 1,
		.useable = 1,
	};
	const uint16_t sel = 0x7;	/* LDT entry 0, RPL 3 */

	ASSERT_GT(1UL << 32, (unsigned long)&ldt_target);
	ASSERT_EQ(0, syscall(SYS_modify_ldt, 1, &desc, sizeof(desc)));
	asm volatile("mov %0, %%gs" : : "r" (sel));
	ASSERT_EQ(ldt_target, read_gs_word());
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_nops16, guest_nops16_end);
	EXPECT_OUT(0x2b, 1, 0);
	EXPECT_EQ(sel, read_gs());
	EXPECT_EQ(ldt_target, read_gs_word());
	/* The LDT is there: loading the selector again does not fault. */
	asm volatile("mov %0, %%gs" : : "r" (sel));
	EXPECT_EQ(ldt_target, read_gs_word());
	asm volatile("mov %0, %%gs" : : "r" ((uint16_t)0));
}

/* The l1tf line of the host's vulnerabilities says whether VM entries flush the L1D. */
static bool host_flushes_l1d(void)
{
	char line[256] = "";
	FILE *f = fopen("/sys/devices/system/cpu/vulnerabilities/l1tf", "r");

	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	return strstr(line, "cache flushes") != NULL;
}

/*
 * Where the host's L1TF mitigation asks for flushes ("VMX: conditional cache flushes"),
 * each return from userspace to the guest flushes the L1D: the l1d_flush stat, KVM's,
 * counts at least one per KVM_RUN.
 */
TEST_F(x86, l1d_flushed_after_userspace)
{
	const int loops = 20;
	int64_t before, after;
	int i;

	before = read_vcpu_stat(self->vm.vcpu, "l1d_flush", 0);
	ASSERT_LE(0, before) TH_LOG("no l1d_flush stat");
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_loop16, guest_loop16_end);
	SET_REG(rcx, loops);
	for (i = 0; i < loops; i++)
		EXPECT_OUT(0x50, 1, 0);
	after = read_vcpu_stat(self->vm.vcpu, "l1d_flush", 0);
	if (!host_flushes_l1d()) {
		EXPECT_EQ(before, after);
		return;
	}
	EXPECT_LE(before + loops, after);
}

TEST_HARNESS_MAIN
