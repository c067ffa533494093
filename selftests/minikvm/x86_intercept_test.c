// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86 instructions and exceptions the hypervisor intercepts: CPUID from
 * KVM_SET_CPUID2, MSRs with a #GP for an unknown one, VMCALL's answers in each mode and
 * at CPL 3, the debug registers (DR4 as DR6, DR7.GD, single step, a round trip through
 * MOV DR with the host's own watchpoint still firing, KVM_GET/SET_DEBUGREGS), CR4.OSXSAVE
 * and XSETBV without XSAVE, and #AC, which reaches the guest and cannot storm the host
 * (CVE-2015-5307). Run against minikvm and real KVM; both must agree.
 */
#include <sys/syscall.h>
#include <linux/hw_breakpoint.h>
#include <linux/kvm_para.h>
#include <linux/perf_event.h>

#include "x86_vm.h"

TEST_F(x86, cpuid_from_set_cpuid2)
{
	/* Leaf 0: max leaf 1, vendor "MiniKVM_test"; leaf 1 with the APIC bit KVM keeps. */
	const struct kvm_cpuid_entry2 leaves[] = {
		{ .function = 0, .eax = 1, .ebx = 0x696e694d, .edx = 0x5f4d564b,
		  .ecx = 0x74736574 },
		{ .function = 1, .eax = 0x000806ec, .ebx = 0x00010800, .ecx = 0x80000000,
		  .edx = 0x00000201 },
	};
	struct {
		struct kvm_cpuid2 header;
		struct kvm_cpuid_entry2 entries[2];
	} cpuid = { .header.nent = 2 };
	uint32_t *out = (uint32_t *)(self->vm.mem + GUEST_DATA);
	int i;

	memcpy(cpuid.entries, leaves, sizeof(leaves));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_CPUID2, &cpuid));
	/* Read back; too small an array is E2BIG, and nent is left alone. */
	memset(cpuid.entries, 0, sizeof(cpuid.entries));
	cpuid.header.nent = 1;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_GET_CPUID2, &cpuid));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(1u, cpuid.header.nent);
	cpuid.header.nent = 2;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_CPUID2, &cpuid));
	EXPECT_EQ(2u, cpuid.header.nent);
	EXPECT_EQ(leaves[1].eax, cpuid.entries[1].eax);

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_cpuid16, guest_cpuid16_end);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	for (i = 0; i < 3; i++) {
		/* Leaf 5 is beyond the last basic leaf: the CPU answers with leaf 1's. */
		const struct kvm_cpuid_entry2 *e = &leaves[i ? 1 : 0];

		EXPECT_EQ(e->eax, out[4 * i]) TH_LOG("leaf %d eax", i);
		EXPECT_EQ(e->ebx, out[4 * i + 1]) TH_LOG("leaf %d ebx", i);
		EXPECT_EQ(e->ecx, out[4 * i + 2]) TH_LOG("leaf %d ecx", i);
		EXPECT_EQ(e->edx, out[4 * i + 3]) TH_LOG("leaf %d edx", i);
	}
}

TEST_F(x86, msrs_and_gp_for_unknown_msr)
{
	struct {
		struct kvm_msrs header;
		struct kvm_msr_entry entries[2];
	} msrs = { .header.nmsrs = 2 };

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_msr16, guest_msr16_end);
	set_real_mode_vector(self->vm.mem, 13);
	msrs.entries[0].index = 0x174;		/* IA32_SYSENTER_CS */
	msrs.entries[0].data = 0x10;
	msrs.entries[1].index = 0x175;		/* IA32_SYSENTER_ESP */
	msrs.entries[1].data = 0x1000;
	ASSERT_EQ(2, ioctl(self->vm.vcpu, KVM_SET_MSRS, &msrs));
	/* #GP (vector 13) comes from the RDMSR of an unknown MSR. */
	EXPECT_OUT(0x21, 1, 0x44);
	EXPECT_EQ(0x10u, *(uint32_t *)(self->vm.mem + GUEST_DATA));
	memset(msrs.entries, 0, sizeof(msrs.entries));
	msrs.entries[0].index = 0x175;
	msrs.entries[1].index = 0x12345678;
	/* KVM_GET_MSRS stops at the first MSR it does not know. */
	ASSERT_EQ(1, ioctl(self->vm.vcpu, KVM_GET_MSRS, &msrs));
	EXPECT_EQ(0x11223344ULL, msrs.entries[0].data);
}

/* VMCALL's result and the RIP after it: the OUT right behind the 3-byte VMCALL. */
static void expect_vmcall_result(struct __test_metadata *_metadata, FIXTURE_DATA(x86) * self,
				 uint64_t code, uint64_t rax)
{
	struct kvm_regs regs;

	EXPECT_OUT(0x26, 1, rax & 0xff);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(rax, regs.rax);
	EXPECT_EQ(code + 3, regs.rip);
}

TEST_F(x86, vmcall_unknown_hypercall_real_mode)
{
	struct kvm_regs regs;

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_vmcall, guest_vmcall_end);
	/* Outside 64-bit mode the number and the result are 32-bit: RAX's high half goes. */
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	regs.rax = 0xabcd000000001234ULL;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_REGS, &regs));
	expect_vmcall_result(_metadata, self, GUEST_CODE, (uint32_t)-KVM_ENOSYS);
	/* CPL 0: the debug register read that follows works. */
	EXPECT_OUT(0x27, 1, 0);
}

TEST_F(x86, vmcall_unknown_hypercall_long_mode)
{
	struct kvm_regs regs;

	setup_long_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_vmcall, guest_vmcall_end);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	regs.rax = 0x1234;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_REGS, &regs));
	expect_vmcall_result(_metadata, self, GUEST_CODE64, (uint64_t)-KVM_ENOSYS);
}

/*
 * 32-bit protected mode at CPL 3 with IOPL 3 (so that OUT needs no TSS bitmap), no IDT:
 * VMCALL gets -KVM_EPERM; MOV from DR0 #GPs, which with no IDT ends in a triple fault.
 */
TEST_F(x86, vmcall_and_mov_dr_at_cpl3)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	memcpy(self->vm.mem + GUEST_CODE, guest_vmcall, guest_vmcall_end - guest_vmcall);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	sregs.cr0 = CR0_PE | CR0_ET | CR0_NE;
	x86_flat_segments(&sregs, false, 3);
	sregs.idt.limit = 0;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_CODE;
	regs.rflags = 0x3002;
	regs.rsp = GUEST_STACK;
	regs.rax = 0xffffffff00000001ULL;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_REGS, &regs));
	expect_vmcall_result(_metadata, self, GUEST_CODE, (uint32_t)-KVM_EPERM);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_SHUTDOWN);
}

#define DR6_INIT		0xffff0ff0u	/* DR6 after reset, and with no condition */
#define DR6_BS			0x4000u		/* single step */
#define CR4_OSXSAVE		(1ULL << 18)

TEST_F(x86, dr4_is_dr6_then_ud_with_cr4_de)
{
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_dr16, guest_dr16_end);
	set_real_mode_fault_vector(self->vm.mem, UD_VECTOR);
	EXPECT_OUT(0x28, 4, DR6_INIT);
	EXPECT_OUT(0x21, 1, UD_VECTOR);
}

/* With DR7.GD (general detect) set, the next MOV DR is a #DB (SDM 19.2.4). */
TEST_F(x86, dr7_gd_makes_mov_dr_a_db)
{
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_gd16, guest_gd16_end);
	set_real_mode_fault_vector(self->vm.mem, DB_VECTOR);
	EXPECT_OUT(0x21, 1, DB_VECTOR);
}

/* A guest's single step: its #DB handler reads DR6 with BS (SDM 19.2.3) set. */
TEST_F(x86, single_step_shows_in_dr6)
{
	uint16_t *ivt = (uint16_t *)self->vm.mem;

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_step16, guest_step16_end);
	memcpy(self->vm.mem + GUEST_HANDLER, guest_db_handler16,
	       guest_db_handler16_end - guest_db_handler16);
	ivt[DB_VECTOR * 2] = GUEST_HANDLER;
	ivt[DB_VECTOR * 2 + 1] = 0;
	EXPECT_OUT(0x21, 4, DR6_INIT | DR6_BS);
}

/* A breakpoint on this variable, the host's own: it must still fire after the guest ran. */
static uint32_t watched;

static int open_watchpoint(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(attr),
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = (unsigned long)&watched,
		.bp_len = HW_BREAKPOINT_LEN_4,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};

	return syscall(__NR_perf_event_open, &attr, 0, -1, -1, 0);
}

static uint64_t watch_count(int fd)
{
	uint64_t count = 0;

	if (read(fd, &count, sizeof(count)) != sizeof(count))
		return -1;
	return count;
}

/*
 * The guest's debug registers round-trip through MOV DR in long mode, its DR7 enabling
 * four execute breakpoints at addresses it never runs; DR0 is a host kernel address. The
 * host's own watchpoint, set before, still fires after.
 */
TEST_F(x86, debug_registers_round_trip)
{
	const uint64_t dr[4] = { 0xffffffff81000000ULL, 0x1000000, 0x2000000, 0x3000000 };
	struct kvm_regs regs;
	int fd = open_watchpoint();
	uint64_t fired = 0;

	setup_long_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_dr64, guest_dr64_end);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	regs.rax = dr[0];
	regs.rbx = dr[1];
	regs.rcx = dr[2];
	regs.rdx = dr[3];
	regs.rsi = 0xff;		/* L0-L3 and G0-G3, execute breakpoints */
	regs.rdi = 0x4001;		/* BS and B0 */
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_REGS, &regs));
	if (fd >= 0) {
		watched = 1;
		fired = watch_count(fd);
	}
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(dr[0], regs.r8);
	EXPECT_EQ(dr[1], regs.r9);
	EXPECT_EQ(dr[2], regs.r10);
	EXPECT_EQ(dr[3], regs.r11);
	EXPECT_EQ(0x4ffULL, regs.r12);		/* bit 10 reads as 1 */
	EXPECT_EQ(DR6_INIT, regs.r13);
	EXPECT_EQ(DR6_INIT | 0x4001ULL, regs.r14);
	if (fd < 0)
		SKIP(return, "no hardware breakpoint for the host (perf_event_open: %s)",
		     strerror(errno));
	watched = 2;
	if (!fired) {
		close(fd);
		SKIP(return, "this CPU (emulator) does not fire data breakpoints");
	}
	EXPECT_EQ(2ULL, watch_count(fd));
	close(fd);
}

/*
 * KVM_GET/SET_DEBUGREGS: the reset values; a round trip; flags and the high halves of DR6
 * and DR7 refused with nothing changed; the guest reads the DR6 they set, and they read
 * what the guest wrote.
 */
TEST_F(x86, debugregs_ioctls)
{
	struct kvm_debugregs set = {
		.db = { 0x1000, 0x2000, 0x3000, 0x4000 },
		.dr6 = DR6_INIT | 0x2,		/* B1 */
		.dr7 = 0x401,			/* L0 */
	}, bad, get;
	struct kvm_regs regs;
	int i;

	ASSERT_LT(0, ioctl(self->vm.vm, KVM_CHECK_EXTENSION, KVM_CAP_DEBUGREGS));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_DEBUGREGS, &get));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0ULL, get.db[i]);
	EXPECT_EQ(DR6_INIT, get.dr6);
	EXPECT_EQ(0x400ULL, get.dr7);
	EXPECT_EQ(0ULL, get.flags);

	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_DEBUGREGS, &set));
	bad = set;
	bad.flags = 1;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_SET_DEBUGREGS, &bad));
	EXPECT_EQ(EINVAL, errno);
	bad = set;
	bad.dr6 |= 1ULL << 32;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_SET_DEBUGREGS, &bad));
	EXPECT_EQ(EINVAL, errno);
	bad = set;
	bad.dr7 |= 1ULL << 32;
	bad.db[0] = 0x5000;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_SET_DEBUGREGS, &bad));
	EXPECT_EQ(EINVAL, errno);
	memset(&get, 0xa5, sizeof(get));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_DEBUGREGS, &get));
	EXPECT_EQ(0, memcmp(set.db, get.db, sizeof(set.db)));
	EXPECT_EQ(set.dr6, get.dr6);
	EXPECT_EQ(set.dr7, get.dr7);
	EXPECT_EQ(0ULL, get.flags);
	for (i = 0; i < 9; i++)
		EXPECT_EQ(0ULL, get.reserved[i]);

	/* guest_dr64 reads DR6 (into R13) before it writes the registers. */
	setup_long_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_dr64, guest_dr64_end);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	regs.rax = 0x10000;
	regs.rbx = 0x20000;
	regs.rcx = 0x30000;
	regs.rdx = 0x40000;
	regs.rsi = 0x403;		/* L0 and G0 */
	regs.rdi = 0x4000;		/* BS */
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_REGS, &regs));
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(set.dr6, regs.r13);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_DEBUGREGS, &get));
	EXPECT_EQ(0x10000ULL, get.db[0]);
	EXPECT_EQ(0x40000ULL, get.db[3]);
	EXPECT_EQ(DR6_INIT | 0x4000ULL, get.dr6);
	EXPECT_EQ(0x403ULL, get.dr7);
}

/*
 * A vCPU whose CPUID has no XSAVE: CR4.OSXSAVE is reserved to it. (Real KVM 6.1 without
 * any KVM_SET_CPUID2, measured: OSXSAVE accepted, XSETBV of XCR0 = x87 done; minikvm
 * reserves OSXSAVE whatever the table.)
 */
TEST_F(x86, osxsave_is_reserved_and_xsetbv_is_ud)
{
	struct {
		struct kvm_cpuid2 header;
		struct kvm_cpuid_entry2 entries[2];
	} cpuid = {
		.header.nent = 2,
		.entries = { { .function = 0, .eax = 1 }, { .function = 1 } },
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_CPUID2, &cpuid));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	sregs.cr4 |= CR4_OSXSAVE;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
	EXPECT_EQ(EINVAL, errno);

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_osxsave16, guest_osxsave16_end);
	set_real_mode_fault_vector(self->vm.mem, UD_VECTOR);
	set_real_mode_fault_vector(self->vm.mem, GP_VECTOR);
	EXPECT_OUT(0x21, 1, GP_VECTOR);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	EXPECT_EQ(0ULL, sregs.cr4 & CR4_OSXSAVE);

	/* XSETBV with CR4.OSXSAVE clear: #UD. */
	memcpy(self->vm.mem + GUEST_CODE, guest_xsetbv16, guest_xsetbv16_end - guest_xsetbv16);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	regs.rip = GUEST_CODE;
	regs.rsp = GUEST_STACK;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_REGS, &regs));
	EXPECT_OUT(0x21, 1, UD_VECTOR);
}

#define AC_VECTOR		17
#define CR0_AM			(1ULL << 18)
#define RFLAGS_AC		(1ULL << 18)

/*
 * 32-bit protected mode at CPL 3 with IOPL 3 and alignment checking on (CR0.AM, EFLAGS.AC),
 * running @code at GUEST_CODE with ESP at @esp. The GDT has flat DPL 3 segments (0x0b, 0x13)
 * and the IDT one gate, #AC's, to @handler at CPL 3.
 */
static void setup_cpl3_alignment_check(struct __test_metadata *_metadata,
				       FIXTURE_DATA(x86) * self, const unsigned char *code,
				       const unsigned char *end, const unsigned char *handler,
				       uint32_t esp)
{
	memcpy(self->vm.mem + GUEST_CODE, code, end - code);
	setup_cpl3_protected_mode(_metadata, self->vm.vcpu, self->vm.mem, CR0_AM, 0, AC_VECTOR,
				  GUEST_CODE + (handler - code), RFLAGS_IOPL3 | RFLAGS_AC, esp);
}

/* The #AC the hypervisor intercepts reaches the guest's handler, error code 0. */
TEST_F(x86, alignment_check_reaches_the_guest)
{
	setup_cpl3_alignment_check(_metadata, self, guest_ac32, guest_ac32_end,
				   guest_ac32_handler, GUEST_STACK);
	EXPECT_OUT(0x2f, 4, 0);
	EXPECT_OUT(0x21, 1, AC_VECTOR);
}

/*
 * With ESP misaligned, every #AC's delivery raises another: without the intercept the CPU
 * loops inside itself and the host CPU hangs (CVE-2015-5307). With it, the first #AC in
 * the delivery of another comes to userspace as KVM's simultaneous-exception error.
 */
TEST_F(x86, alignment_check_storm_ends_in_userspace)
{
	setup_cpl3_alignment_check(_metadata, self, guest_ac_storm32, guest_ac_storm32_end,
				   guest_ac_storm32, GUEST_STACK - 1);
	ASSERT_EQ(0, run_vcpu(self)) TH_LOG("KVM_RUN: %s", strerror(errno));
	ASSERT_EXIT(KVM_EXIT_INTERNAL_ERROR);
	EXPECT_EQ((__u32)KVM_INTERNAL_ERROR_SIMUL_EX, self->vm.run->internal.suberror);
	ASSERT_LE(3u, self->vm.run->internal.ndata);
	/* Delivering a hardware exception (type 3), #AC, and the #AC that delivery raised. */
	EXPECT_EQ(0x80000b11ULL, self->vm.run->internal.data[0] & 0x80000fffULL);
	EXPECT_EQ(0x80000b11ULL, self->vm.run->internal.data[1] & 0x80000fffULL);
	/* Error code 1: EXT, raised while delivering another event (SDM 6.13). */
	EXPECT_EQ(1ULL, self->vm.run->internal.data[2]);
}

TEST_HARNESS_MAIN
