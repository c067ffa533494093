// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86 vCPU's modes and state: the reset state and refused KVM_SET_SREGS, a broken
 * guest state (KVM_EXIT_FAIL_ENTRY), a triple fault (KVM_EXIT_SHUTDOWN), 32-bit protected
 * mode flat, paged and with PAE (minikvm's page walk finds code, data and MMIO), the FPU
 * state and MP state, and events: interrupts injected with KVM_INTERRUPT, the interrupt
 * window, and KVM_{GET,SET}_VCPU_EVENTS with shadows, interrupts and exceptions. Run
 * against minikvm and real KVM; where they differ, the test says so and skips.
 */
#include <signal.h>
#include <sys/time.h>

#include "x86_vm.h"

#define VMX_ENTRY_FAILED	0x80000000u
#define EXIT_REASON_INVALID_STATE	33

TEST_F(x86, triple_fault_is_shutdown)
{
	struct kvm_sregs sregs;

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_ud16, guest_ud16_end);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	sregs.idt.limit = 0;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_SHUTDOWN);
}

TEST_F(x86, bad_guest_state_is_fail_entry)
{
	struct kvm_sregs sregs;

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_pio16, guest_pio16_end);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	/* TR must be usable (SDM 27.3.1.2). */
	sregs.tr.present = 0;
	sregs.tr.unusable = 1;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_FAIL_ENTRY);
	EXPECT_EQ(VMX_ENTRY_FAILED | EXIT_REASON_INVALID_STATE,
		  self->vm.run->fail_entry.hardware_entry_failure_reason);
}

TEST_F(x86, bad_sregs_are_einval)
{
	struct kvm_sregs sregs;

	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	/* The reset state, as KVM's. */
	EXPECT_EQ(0xf000, sregs.cs.selector);
	EXPECT_EQ(0xffff0000, sregs.cs.base);
	EXPECT_EQ(0x60000010ULL, sregs.cr0);
	/* Paging without protection. */
	sregs.cr0 = CR0_PG | CR0_ET;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
	EXPECT_EQ(EINVAL, errno);
	/* LMA without paging. */
	sregs.cr0 = CR0_ET;
	sregs.efer = EFER_LMA;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
	EXPECT_EQ(EINVAL, errno);
	/* Long mode without PAE. */
	sregs.cr0 = CR0_PE | CR0_PG | CR0_ET;
	sregs.efer = EFER_LME | EFER_LMA;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * 32-bit guests. With paging, the code runs at a virtual address that is not its
 * physical one, and EDI/ESI name virtual pages of MMIO and data elsewhere, so that
 * minikvm's page walk (instruction fetch, string I/O) is what finds them.
 */
#define PM32_VIRT_MMIO		0x800000ULL	/* -> GUEST_MMIO_GPA when paged */
#define PM32_VIRT_DATA		0x801000ULL	/* -> GUEST_DATA */
#define PM32_VIRT_CODE		0x802000ULL	/* -> GUEST_CODE */
#define GUEST_PM32_PD		0x9000ULL
#define GUEST_PM32_PT		0xa000ULL
#define GUEST_PAE_PDPT		0xc000ULL

enum pm32_paging { PM32_FLAT, PM32_PAGED, PM32_PAE };

static void run_pm32_guest(struct __test_metadata *_metadata, FIXTURE_DATA(x86) * self,
			   enum pm32_paging paging)
{
	uint64_t mmio_gpa = paging == PM32_FLAT ? PM32_VIRT_MMIO : GUEST_MMIO_GPA;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	memcpy(self->vm.mem + GUEST_CODE, guest_pm32, guest_pm32_end - guest_pm32);
	memcpy(self->vm.mem + GUEST_DATA, "xy", 2);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_SREGS, &sregs));
	sregs.cr0 = CR0_PE | CR0_ET | CR0_NE;
	x86_flat_segments(&sregs, false, 0);
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	regs.rsp = GUEST_STACK;
	regs.rdi = PM32_VIRT_MMIO;
	if (paging == PM32_FLAT) {
		regs.rip = GUEST_CODE;
		regs.rsi = GUEST_DATA;
	} else {
		regs.rip = PM32_VIRT_CODE;
		regs.rsi = PM32_VIRT_DATA;
		sregs.cr0 |= CR0_PG;
	}
	if (paging == PM32_PAGED) {
		/* 4 MiB page for the first 4 MiB (PSE), 4 KiB pages at 8 MiB. */
		uint32_t *pd = (uint32_t *)(self->vm.mem + GUEST_PM32_PD);
		uint32_t *pt = (uint32_t *)(self->vm.mem + GUEST_PM32_PT);

		pd[0] = PTE_P | PTE_RW | PTE_PS;
		pd[2] = PTE_P | PTE_RW | GUEST_PM32_PT;
		pt[0] = PTE_P | PTE_RW | GUEST_MMIO_GPA;
		pt[1] = PTE_P | PTE_RW | GUEST_DATA;
		pt[2] = PTE_P | PTE_RW | GUEST_CODE;
		sregs.cr3 = GUEST_PM32_PD;
		sregs.cr4 = CR4_PSE;
	} else if (paging == PM32_PAE) {
		/* PDPT -> PD: a 2 MiB page at 0, 4 KiB pages at 8 MiB. */
		uint64_t *pdpt = (uint64_t *)(self->vm.mem + GUEST_PAE_PDPT);
		uint64_t *pd = (uint64_t *)(self->vm.mem + GUEST_PM32_PD);
		uint64_t *pt = (uint64_t *)(self->vm.mem + GUEST_PM32_PT);

		pdpt[0] = PTE_P | GUEST_PM32_PD;
		pd[0] = PTE_P | PTE_RW | PTE_PS;
		pd[4] = PTE_P | PTE_RW | GUEST_PM32_PT;
		pt[0] = PTE_P | PTE_RW | GUEST_MMIO_GPA;
		pt[1] = PTE_P | PTE_RW | GUEST_DATA;
		pt[2] = PTE_P | PTE_RW | GUEST_CODE;
		sregs.cr3 = GUEST_PAE_PDPT;
		sregs.cr4 = CR4_PAE;
	}
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_SREGS, &sregs));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_REGS, &regs));

	EXPECT_OUT(0x42, 4, 0xdeadbeef);
	EXPECT_MMIO_STORE(mmio_gpa + 0x10, 4, 0x12345678);
	ANSWER_MMIO_LOAD(mmio_gpa + 0x20, 2, 0xabcd);
	EXPECT_OUT(0x43, 4, 0xabcd);
	EXPECT_OUT(0x44, 1, 'x');
	EXPECT_OUT(0x44, 1, 'y');
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
}

TEST_F(x86, protected_mode_guest)
{
	run_pm32_guest(_metadata, self, PM32_FLAT);
}

TEST_F(x86, paged_32bit_guest)
{
	run_pm32_guest(_metadata, self, PM32_PAGED);
}

TEST_F(x86, paged_pae_guest)
{
	run_pm32_guest(_metadata, self, PM32_PAE);
}

#define CR4_OSFXSR		(1ULL << 9)

static void setup_fpu_guest(struct __test_metadata *_metadata, int vcpu, unsigned char *mem)
{
	struct kvm_sregs sregs;

	setup_real_mode(_metadata, vcpu, mem, guest_fpu16, guest_fpu16_end);
	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_SREGS, &sregs));
	sregs.cr4 |= CR4_OSFXSR;
	ASSERT_EQ(0, ioctl(vcpu, KVM_SET_SREGS, &sregs));
}

TEST_F(x86, fpu_state_from_guest_and_mp_state)
{
	struct kvm_mp_state mp_state;
	struct kvm_fpu fpu;
	uint32_t val;

	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_MP_STATE, &mp_state));
	EXPECT_EQ((__u32)KVM_MP_STATE_RUNNABLE, mp_state.mp_state);
	mp_state.mp_state = KVM_MP_STATE_HALTED;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_SET_MP_STATE, &mp_state));
	EXPECT_EQ(EINVAL, errno);

	setup_fpu_guest(_metadata, self->vm.vcpu, self->vm.mem);
	EXPECT_OUT(0x45, 4, 0);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	/* What the guest put in XMM1 is in its FPU state, not in ours. */
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_FPU, &fpu));
	memcpy(&val, fpu.xmm[1], sizeof(val));
	EXPECT_EQ(0x13572468u, val);
}

TEST_F(x86, fpu_state_to_guest)
{
	uint32_t val = 0xcafebabe;
	struct kvm_fpu fpu;

	if (!kvm_dev_is_minikvm())
		SKIP(return, "real KVM 6.1 (measured): KVM_SET_FPU XMM did not reach a new vCPU");
	setup_fpu_guest(_metadata, self->vm.vcpu, self->vm.mem);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_FPU, &fpu));
	/* MXCSR's value after reset (SDM 10.1.1). */
	EXPECT_EQ(0x1f80u, fpu.mxcsr);
	memcpy(fpu.xmm[0], &val, sizeof(val));
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_FPU, &fpu));
	EXPECT_OUT(0x45, 4, 0xcafebabe);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
}

TEST_F(x86, interrupt_injection)
{
	struct kvm_interrupt irq = { .irq = 0x20 };

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_irq16, guest_irq16_end);
	set_real_mode_vector(self->vm.mem, 0x20);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	/* Halted with IF set: an interrupt can go in now. */
	EXPECT_EQ(1, self->vm.run->if_flag);
	EXPECT_EQ(1, self->vm.run->ready_for_interrupt_injection);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_INTERRUPT, &irq));
	EXPECT_OUT(0x21, 1, 0);
	/* Back after the HLT: interrupts off, so userspace asks for the window. */
	EXPECT_OUT(0x22, 1, 0);
	EXPECT_EQ(0, self->vm.run->if_flag);
	EXPECT_EQ(0, self->vm.run->ready_for_interrupt_injection);
	self->vm.run->request_interrupt_window = 1;
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_IRQ_WINDOW_OPEN);
	EXPECT_EQ(1, self->vm.run->ready_for_interrupt_injection);
	self->vm.run->request_interrupt_window = 0;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_INTERRUPT, &irq));
	/* The handler runs before the instruction after STI's shadow. */
	EXPECT_OUT(0x21, 1, 0);
	EXPECT_OUT(0x23, 1, 0);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	irq.irq = 256;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_INTERRUPT, &irq));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * request_interrupt_window with the window already open (IF set, no shadow): KVM makes the
 * guest exit right after the entry and returns KVM_EXIT_IRQ_WINDOW_OPEN, rather than
 * running it until some other exit. The guest's first KVM_RUN ends at its OUT (so that
 * its code is mapped); then it counts in ECX: no count means no instruction ran. A timer
 * bounds a wrong answer.
 */
TEST_F(x86, open_interrupt_window_exits_at_once)
{
	struct itimerval timer = { .it_value = { .tv_sec = 1 } }, off = { 0 };
	struct sigaction sa = { .sa_handler = record_signal };
	struct kvm_regs regs;

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_count16, guest_count16_end);
	EXPECT_OUT(0x20, 1, 0);
	EXPECT_EQ(1, self->vm.run->ready_for_interrupt_injection);
	self->vm.run->request_interrupt_window = 1;
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &timer, NULL));
	EXPECT_EQ(0, run_vcpu(self)) TH_LOG("KVM_RUN: %s", strerror(errno));
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	EXPECT_EQ((__u32)KVM_EXIT_IRQ_WINDOW_OPEN, self->vm.run->exit_reason);
	EXPECT_EQ(1, self->vm.run->ready_for_interrupt_injection);
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_GET_REGS, &regs));
	EXPECT_EQ(0ULL, regs.rcx & 0xffffffff);
}

#define EVENTS_FLAGS	((__u32)(KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW))

static void get_events(struct __test_metadata *_metadata, int vcpu,
		       struct kvm_vcpu_events *events)
{
	memset(events, 0xaa, sizeof(*events));
	ASSERT_EQ(0, ioctl(vcpu, KVM_GET_VCPU_EVENTS, events));
}

TEST_F(x86, vcpu_events_shadow_and_interrupt)
{
	struct kvm_vcpu_events events, again;

	ASSERT_EQ(1, ioctl(self->vm.kvm, KVM_CHECK_EXTENSION, KVM_CAP_VCPU_EVENTS));
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_events16, guest_events16_end);
	set_real_mode_vector(self->vm.mem, 0x20);
	EXPECT_OUT(0x2c, 1, 0);
	/* Stopped on the OUT in STI's shadow, nothing queued. */
	get_events(_metadata, self->vm.vcpu, &events);
	EXPECT_EQ(EVENTS_FLAGS, events.flags & EVENTS_FLAGS);
	EXPECT_EQ(KVM_X86_SHADOW_INT_STI, events.interrupt.shadow);
	EXPECT_EQ(0, events.interrupt.injected);
	EXPECT_EQ(0, events.exception.injected);
	EXPECT_EQ(0, events.exception.pending);
	EXPECT_EQ(0, events.nmi.injected);
	EXPECT_EQ(0, events.nmi.masked);
	/* What GET gives, SET takes back unchanged. */
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_VCPU_EVENTS, &events));
	get_events(_metadata, self->vm.vcpu, &again);
	EXPECT_EQ(0, memcmp(&events, &again, sizeof(events)));

	/* Each shadow, and both at once: MOV SS wins. */
	events.flags = KVM_VCPUEVENT_VALID_SHADOW;
	events.interrupt.shadow = 0;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_VCPU_EVENTS, &events));
	get_events(_metadata, self->vm.vcpu, &again);
	EXPECT_EQ(0, again.interrupt.shadow);
	events.interrupt.shadow = KVM_X86_SHADOW_INT_STI | KVM_X86_SHADOW_INT_MOV_SS;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_VCPU_EVENTS, &events));
	get_events(_metadata, self->vm.vcpu, &again);
	EXPECT_EQ(KVM_X86_SHADOW_INT_MOV_SS, again.interrupt.shadow);

	/* Refused as KVM refuses: unknown flags, NMI as an exception. */
	events.flags = 0x80;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_SET_VCPU_EVENTS, &events));
	EXPECT_EQ(EINVAL, errno);
	events.flags = 0;
	events.exception.injected = 1;
	events.exception.nr = 2;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu, KVM_SET_VCPU_EVENTS, &events));
	EXPECT_EQ(EINVAL, errno);

	/* The STI shadow back, and an interrupt: it comes once the OUT is done. */
	events.exception.injected = 0;
	events.exception.nr = 0;
	events.flags = KVM_VCPUEVENT_VALID_SHADOW;
	events.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	events.interrupt.injected = 1;
	events.interrupt.nr = 0x20;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_VCPU_EVENTS, &events));
	get_events(_metadata, self->vm.vcpu, &again);
	EXPECT_EQ(KVM_X86_SHADOW_INT_STI, again.interrupt.shadow);
	EXPECT_EQ(1, again.interrupt.injected);
	EXPECT_EQ(0x20, again.interrupt.nr);
	EXPECT_OUT(0x21, 1, 0);
	EXPECT_OUT(0x2d, 1, 0);
	get_events(_metadata, self->vm.vcpu, &again);
	EXPECT_EQ(0, again.interrupt.shadow);
	EXPECT_EQ(0, again.interrupt.injected);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
}

/* An exception set with KVM_SET_VCPU_EVENTS is read back, then delivered first thing. */
TEST_F(x86, vcpu_events_inject_exception)
{
	struct kvm_vcpu_events events, again;

	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_events16, guest_events16_end);
	set_real_mode_fault_vector(self->vm.mem, UD_VECTOR);
	get_events(_metadata, self->vm.vcpu, &events);
	events.exception.injected = 1;
	events.exception.nr = UD_VECTOR;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_VCPU_EVENTS, &events));
	get_events(_metadata, self->vm.vcpu, &again);
	EXPECT_EQ(1, again.exception.injected);
	EXPECT_EQ(UD_VECTOR, again.exception.nr);
	EXPECT_EQ(0, again.exception.has_error_code);
	EXPECT_OUT(0x21, 1, UD_VECTOR);
}

/*
 * A shadow set with KVM_SET_VCPU_EVENTS holds a queued interrupt back for one instruction.
 * KVM takes an injected interrupt as already being delivered and injects it at the next
 * entry whatever the shadow, which VM entry refuses, so this is minikvm's behaviour only.
 */
TEST_F(x86, vcpu_events_shadow_delays_interrupt)
{
	struct kvm_vcpu_events events;

	if (!kvm_dev_is_minikvm())
		SKIP(return, "real KVM 6.1 (measured): KVM_EXIT_FAIL_ENTRY, invalid guest state");
	setup_real_mode(_metadata, self->vm.vcpu, self->vm.mem, guest_events16, guest_events16_end);
	set_real_mode_vector(self->vm.mem, 0x20);
	EXPECT_OUT(0x2c, 1, 0);
	EXPECT_OUT(0x2d, 1, 0);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
	/* After the HLT, interrupts on: the shadow alone keeps the interrupt out. */
	get_events(_metadata, self->vm.vcpu, &events);
	events.flags = KVM_VCPUEVENT_VALID_SHADOW;
	events.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	events.interrupt.injected = 1;
	events.interrupt.nr = 0x20;
	ASSERT_EQ(0, ioctl(self->vm.vcpu, KVM_SET_VCPU_EVENTS, &events));
	EXPECT_OUT(0x2e, 1, 0);
	EXPECT_OUT(0x21, 1, 0);
	ASSERT_EQ(0, run_vcpu(self));
	ASSERT_EXIT(KVM_EXIT_HLT);
}

TEST_HARNESS_MAIN
