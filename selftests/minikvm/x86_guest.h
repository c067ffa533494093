/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The x86 selftests' guests: real-mode, 32-bit and long-mode programs assembled into the
 * test binary, each between a guest_NAME and a guest_NAME_end label, for a test to copy to
 * its guest address. The assembly is defined here, not declared: each x86 test that runs
 * guests includes this once (through x86_vm.h) and links its own copy of every guest,
 * used or not.
 */
#ifndef MINIKVM_X86_GUEST_H
#define MINIKVM_X86_GUEST_H

/* The guests. Each sits between its two labels and is copied to its guest address. */
asm(".pushsection .rodata\n"
	".code16\n"
	/* OUT of 1, 2 and 4 bytes, then IN of each, written back out, then HLT. */
	"guest_pio16:\n"
	"	mov $0x12, %al\n"
	"	out %al, $0x10\n"
	"	mov $0x3456, %ax\n"
	"	out %ax, $0x11\n"
	"	mov $0x789abcde, %eax\n"
	"	out %eax, $0x12\n"
	"	in $0x13, %al\n"
	"	out %al, $0x20\n"
	"	in $0x14, %ax\n"
	"	out %ax, $0x21\n"
	"	in $0x15, %eax\n"
	"	out %eax, $0x22\n"
	"	hlt\n"
	"guest_pio16_end:\n"
	/* IN, then HLT: for immediate_exit after a pending IN. */
	"guest_in16:\n"
	"	in $0x13, %al\n"
	"	hlt\n"
	"guest_in16_end:\n"
	/* #UD with an empty IDT: #GP, #DF, then a triple fault. */
	"guest_ud16:\n"
	"	ud2\n"
	"guest_ud16_end:\n"
	/* Spins with interrupts enabled (the lab's Bochs needs IF=1, see lab-notes). */
	"guest_spin16:\n"
	"	sti\n"
	"1:	jmp 1b\n"
	"guest_spin16_end:\n"
	/* Interrupts on (past STI's shadow), an OUT, then counts in ECX for ever. */
	"guest_count16:\n"
	"	sti\n"
	"	nop\n"
	"	out %al, $0x20\n"
	"1:	inc %ecx\n"
	"	jmp 1b\n"
	"guest_count16_end:\n"
	/* Spins with interrupts disabled: only a preemption timer gets it out in Bochs. */
	"guest_spin_cli16:\n"
	"	cli\n"
	"1:	jmp 1b\n"
	"guest_spin_cli16_end:\n"
	/* Three writes to the ioeventfd port, then one to userspace, then HLT. */
	"guest_ioeventfd16:\n"
	"	mov $1, %al\n"
	"	out %al, $0x40\n"
	"	out %al, $0x40\n"
	"	out %al, $0x40\n"
	"	out %al, $0x41\n"
	"	hlt\n"
	"guest_ioeventfd16_end:\n"
	/* Writes to its own slot (DS) and to a second one (ES base set by userspace). */
	"guest_mem16:\n"
	"	movw $0xbeef, 0x5000\n"
	"	movl $0xfeedface, %es:0x10\n"
	"	hlt\n"
	"guest_mem16_end:\n"
	/* One OUT per loop, N times (N in CX), then HLT. */
	"guest_loop16:\n"
	"1:	out %al, $0x50\n"
	"	loop 1b\n"
	"	hlt\n"
	"guest_loop16_end:\n"
	/* MMIO through ES (base set by userspace): a store of an immediate, a moffs load. */
	"guest_mmio16:\n"
	"	movw $0x1234, %es:0x4\n"
	"	mov %es:0x8, %al\n"
	"	out %al, $0x60\n"
	"	hlt\n"
	"guest_mmio16_end:\n"
	/* A load from a read-only slot (ES), then a store to it: MMIO. */
	"guest_readonly16:\n"
	"	mov %es:0, %al\n"
	"	out %al, $0x61\n"
	"	movb $0x99, %es:1\n"
	"	hlt\n"
	"guest_readonly16_end:\n"
	/*
	 * Loads from 4 pages of ES (a read-only slot), which map them, then a store to
	 * offset 0x10 + n of page n of each.
	 */
	"guest_ro_pages16:\n"
	"	xor %bx, %bx\n"
	"1:	mov %es:(%bx), %al\n"
	"	add $0x1000, %bx\n"
	"	cmp $0x4000, %bx\n"
	"	jne 1b\n"
	"	mov $0x10, %si\n"
	"2:	movb $0x5a, %es:(%si)\n"
	"	add $0x1001, %si\n"
	"	cmp $0x4014, %si\n"
	"	jne 2b\n"
	"	hlt\n"
	"guest_ro_pages16_end:\n"
	/* REP OUTSB of 3 bytes to port 0x70, REP INSW of 2 words from 0x71. */
	"guest_string16:\n"
	"	cld\n"
	"	mov $0x5000, %si\n"
	"	mov $3, %cx\n"
	"	mov $0x70, %dx\n"
	"	rep outsb\n"
	"	mov $0x5100, %di\n"
	"	mov $2, %cx\n"
	"	mov $0x71, %dx\n"
	"	rep insw\n"
	"	hlt\n"
	"guest_string16_end:\n"
	/* CPUID of leaves 0, 1 and 5, each stored at 0x5000 + 16 * n. */
	"guest_cpuid16:\n"
	"	xor %ecx, %ecx\n"
	"	xor %eax, %eax\n"
	"	mov $0x5000, %di\n"
	"	call 1f\n"
	"	mov $1, %eax\n"
	"	call 1f\n"
	"	mov $5, %eax\n"
	"	call 1f\n"
	"	hlt\n"
	"1:	cpuid\n"
	"	mov %eax, (%di)\n"
	"	mov %ebx, 4(%di)\n"
	"	mov %ecx, 8(%di)\n"
	"	mov %edx, 12(%di)\n"
	"	add $16, %di\n"
	"	xor %ecx, %ecx\n"
	"	ret\n"
	"guest_cpuid16_end:\n"
	/* RDMSR, WRMSR, then RDMSR of an MSR no one has: #GP, to the handler below. */
	"guest_msr16:\n"
	"	mov $0x174, %ecx\n"
	"	rdmsr\n"
	"	mov %eax, 0x5000\n"
	"	mov $0x175, %ecx\n"
	"	mov $0x11223344, %eax\n"
	"	xor %edx, %edx\n"
	"	wrmsr\n"
	"	mov $0x12345678, %ecx\n"
	"	rdmsr\n"
	"	hlt\n"
	"guest_msr16_end:\n"
	/* A real-mode interrupt or exception handler: says so on port 0x21, returns. */
	"guest_handler16:\n"
	"	out %al, $0x21\n"
	"	iret\n"
	"guest_handler16_end:\n"
	/* Halts with interrupts on; then with them off, opens a window with STI. */
	"guest_irq16:\n"
	"	sti\n"
	"	hlt\n"
	"	cli\n"
	"	out %al, $0x22\n"
	"	sti\n"
	"	nop\n"
	"	out %al, $0x23\n"
	"	hlt\n"
	"guest_irq16_end:\n"
	/* SSE in real mode: XMM0 out, then a value into XMM1. */
	"guest_fpu16:\n"
	"	movd %xmm0, %eax\n"
	"	out %eax, $0x45\n"
	"	mov $0x13572468, %eax\n"
	"	movd %eax, %xmm1\n"
	"	hlt\n"
	"guest_fpu16_end:\n"
	/*
	 * VMCALL, its result out, then a debug register read: the same bytes in every mode
	 * (at CPL 3 the read faults).
	 */
	"guest_vmcall:\n"
	"	vmcall\n"
	"	out %al, $0x26\n"
	"	mov %dr0, %eax\n"
	"	out %al, $0x27\n"
	"	hlt\n"
	"guest_vmcall_end:\n"
	/* DR4 is DR6 while CR4.DE is 0; with DE set, it is #UD. */
	"guest_dr16:\n"
	"	mov %dr4, %eax\n"
	"	out %eax, $0x28\n"
	"	mov %cr4, %eax\n"
	"	or $0x8, %eax\n"
	"	mov %eax, %cr4\n"
	"	mov %dr4, %eax\n"
	"	out %al, $0x29\n"
	"	hlt\n"
	"guest_dr16_end:\n"
	/* DR7.GD set, then a MOV DR: #DB. */
	"guest_gd16:\n"
	"	mov $0x2400, %eax\n"
	"	mov %eax, %dr7\n"
	"	mov %dr0, %eax\n"
	"	out %al, $0x2f\n"
	"	hlt\n"
	"guest_gd16_end:\n"
	/* TF set by POPF: a single-step #DB after the NOP. */
	"guest_step16:\n"
	"	pushf\n"
	"	pop %ax\n"
	"	or $0x100, %ax\n"
	"	push %ax\n"
	"	popf\n"
	"	nop\n"
	"	hlt\n"
	"guest_step16_end:\n"
	/* A #DB handler: DR6 out on port 0x21. */
	"guest_db_handler16:\n"
	"	mov %dr6, %eax\n"
	"	out %eax, $0x21\n"
	"	hlt\n"
	"guest_db_handler16_end:\n"
	/* Sets CR4.OSXSAVE. */
	"guest_osxsave16:\n"
	"	mov %cr4, %eax\n"
	"	or $0x40000, %eax\n"
	"	mov %eax, %cr4\n"
	"	out %al, $0x2a\n"
	"	hlt\n"
	"guest_osxsave16_end:\n"
	/* XCR0 = x87 only. */
	"guest_xsetbv16:\n"
	"	xor %ecx, %ecx\n"
	"	xor %edx, %edx\n"
	"	mov $1, %eax\n"
	"	xsetbv\n"
	"	out %al, $0x2b\n"
	"	hlt\n"
	"guest_xsetbv16_end:\n"
	/* An OUT in the shadow of STI, one after it, a HLT; after the HLT, one more OUT. */
	"guest_events16:\n"
	"	sti\n"
	"	out %al, $0x2c\n"
	"	out %al, $0x2d\n"
	"	hlt\n"
	"	out %al, $0x2e\n"
	"	hlt\n"
	"guest_events16_end:\n"
	".code32\n"
	/* 32-bit code: OUT, MMIO store and load through EDI, REP OUTSB from ESI. */
	"guest_pm32:\n"
	"	mov $0xdeadbeef, %eax\n"
	"	out %eax, $0x42\n"
	"	movl $0x12345678, 0x10(%edi)\n"
	"	movzwl 0x20(%edi), %ebx\n"
	"	mov %ebx, %eax\n"
	"	out %eax, $0x43\n"
	"	mov $0x44, %dx\n"
	"	mov $2, %ecx\n"
	"	cld\n"
	"	rep outsb\n"
	"	hlt\n"
	"guest_pm32_end:\n"
	/*
	 * At CPL 3 with CR0.AM and EFLAGS.AC (set by the test): a misaligned load, #AC. Its
	 * handler (a DPL 3 gate at guest_ac32's own code) says its error code and vector.
	 */
	"guest_ac32:\n"
	"	mov 0x5001, %eax\n"
	"	hlt\n"
	"guest_ac32_handler:\n"
	"	pop %eax\n"
	"	out %eax, $0x2f\n"
	"	mov $17, %al\n"
	"	out %al, $0x21\n"
	"	jmp .\n"
	"guest_ac32_end:\n"
	/* The same, with a misaligned ESP: each #AC's delivery raises another. */
	"guest_ac_storm32:\n"
	"	push %eax\n"
	"	hlt\n"
	"guest_ac_storm32_end:\n"
	".code64\n"
	/* Long mode MMIO: stores of 1, 2, 4, 8 bytes and from AH, loads with MOVZX/MOVSX. */
	"guest_mmio64:\n"
	"	mov $0x600000, %rdi\n"
	"	movb $0x11, (%rdi)\n"
	"	movw $0x2233, 2(%rdi)\n"
	"	movl $0x44556677, 4(%rdi)\n"
	"	mov $0x8899aabbccddeeff, %rax\n"
	"	mov %rax, 8(%rdi)\n"
	"	mov %ah, 0x10(%rdi)\n"
	"	movzbl 0x20(%rdi), %ebx\n"
	"	movsbq 0x21(%rdi), %rcx\n"
	"	movswl 0x22(%rdi), %edx\n"
	"	mov 0x28(%rdi), %rsi\n"
	"	mov 0x30(%rdi), %r9d\n"
	"	movl $1, 0x40(%rdi)\n"
	"	hlt\n"
	"guest_mmio64_end:\n"
	/* Long mode: a 64-bit value, its low half out, an IN zero-extending RAX, a push. */
	"guest_pio64:\n"
	"	mov $0x1122334455667788, %rax\n"
	"	out %eax, $0x30\n"
	"	mov $0x1122334455667788, %rax\n"
	"	in $0x31, %eax\n"
	"	push %rax\n"
	"	pop %rbx\n"
	"	out %al, $0x32\n"
	"	hlt\n"
	"guest_pio64_end:\n"
	/*
	 * Long mode: DR0-DR3 and DR7 from RAX, RBX, RCX, RDX, RSI; DR6 from RDI; all read
	 * back into R8-R13, DR6 before and after its write into R13 and R14.
	 */
	"guest_dr64:\n"
	"	mov %rax, %dr0\n"
	"	mov %rbx, %dr1\n"
	"	mov %rcx, %dr2\n"
	"	mov %rdx, %dr3\n"
	"	mov %rsi, %dr7\n"
	"	mov %dr0, %r8\n"
	"	mov %dr1, %r9\n"
	"	mov %dr2, %r10\n"
	"	mov %dr3, %r11\n"
	"	mov %dr7, %r12\n"
	"	mov %dr6, %r13\n"
	"	mov %rdi, %dr6\n"
	"	mov %dr6, %r14\n"
	"	hlt\n"
	"guest_dr64_end:\n"
	".popsection\n");

/* The guests of x86_safety_test.c. */
asm(".pushsection .rodata\n"
	".code16\n"
	/* CPUID of leaves 0, 1 and 7 into 0x5000: 16 bytes each. */
	"guest_cpuid_zero16:\n"
	"	mov $0x5000, %di\n"
	"	xor %eax, %eax\n"
	"	call 1f\n"
	"	mov $1, %eax\n"
	"	call 1f\n"
	"	mov $7, %eax\n"
	"	call 1f\n"
	"	hlt\n"
	"1:	xor %ecx, %ecx\n"
	"	cpuid\n"
	"	mov %eax, (%di)\n"
	"	mov %ebx, 4(%di)\n"
	"	mov %ecx, 8(%di)\n"
	"	mov %edx, 12(%di)\n"
	"	add $16, %di\n"
	"	ret\n"
	"guest_cpuid_zero16_end:\n"
	/* WRMSR of ECX with EDX:EAX, then OUT to 0x2a: the #GP handler says 13 if it faults. */
	"guest_wrmsr16:\n"
	"	wrmsr\n"
	"	out %al, $0x2a\n"
	"	hlt\n"
	"guest_wrmsr16_end:\n"
	/* CR4 |= EBX, then OUT to 0x2a. */
	"guest_cr4_or16:\n"
	"	mov %cr4, %eax\n"
	"	or %ebx, %eax\n"
	"	mov %eax, %cr4\n"
	"	out %al, $0x2a\n"
	"	hlt\n"
	"guest_cr4_or16_end:\n"
	/* RDPMC of counter 0. */
	"guest_rdpmc16:\n"
	"	xor %ecx, %ecx\n"
	"	rdpmc\n"
	"	out %al, $0x2a\n"
	"	hlt\n"
	"guest_rdpmc16_end:\n"
	/* The cache and power instructions a guest must not run on the host's CPU. */
	"guest_nops16:\n"
	"	wbinvd\n"
	"	invd\n"
	"	xor %eax, %eax\n"
	"	xor %ecx, %ecx\n"
	"	xor %edx, %edx\n"
	"	monitor\n"
	"	mwait\n"
	"	out %al, $0x2b\n"
	"	hlt\n"
	"guest_nops16_end:\n"
	/* RDTSC, then RDTSCP with TSC_AUX out, each as EDX:EAX on ports 0x30/0x31 and 0x32. */
	"guest_tsc16:\n"
	"	rdtsc\n"
	"	out %eax, $0x30\n"
	"	mov %edx, %eax\n"
	"	out %eax, $0x31\n"
	"	rdtscp\n"
	"	mov %ecx, %eax\n"
	"	out %eax, $0x32\n"
	"	hlt\n"
	"guest_tsc16_end:\n"
	/* A word load across the end of DS (limit 0xffff): #GP (SDM 21.1.2). */
	"guest_limit16:\n"
	"	mov 0xffff, %ax\n"
	"	hlt\n"
	"guest_limit16_end:\n"
	".code32\n"
	/* At CPL 3, REP INSB of 4 bytes into 0x6000, a read-only user page. */
	"guest_ins32:\n"
	"	mov $0x6000, %edi\n"
	"	mov $4, %ecx\n"
	"	mov $0x70, %dx\n"
	"	cld\n"
	"	rep insb\n"
	"	mov $0x99, %al\n"
	"	out %al, $0x2e\n"
	"	jmp .\n"
	"guest_ins32_handler:\n"
	"	pop %eax\n"
	"	out %eax, $0x2f\n"
	"	mov %ecx, %eax\n"
	"	out %eax, $0x2d\n"
	"	jmp .\n"
	"guest_ins32_end:\n"
	".code64\n"
	/* CR8 = 15, read back; CR8 = 3, read back; CR8 = 16, reserved: #GP. */
	"guest_cr8_64:\n"
	"	mov $15, %eax\n"
	"	mov %rax, %cr8\n"
	"	mov %cr8, %rax\n"
	"	out %eax, $0x30\n"
	"	mov $3, %eax\n"
	"	mov %rax, %cr8\n"
	"	mov %cr8, %rax\n"
	"	out %eax, $0x31\n"
	"	mov $16, %eax\n"
	"	mov %rax, %cr8\n"
	"	hlt\n"
	"guest_cr8_64_end:\n"
	/* The highest task priority, then a spin with interrupts on. */
	"guest_tpr_spin64:\n"
	"	mov $15, %eax\n"
	"	mov %rax, %cr8\n"
	"	sti\n"
	"1:	jmp 1b\n"
	"guest_tpr_spin64_end:\n"
	/*
	 * EFER.SCE, LSTAR = the handler below, STAR = SYSCALL CS 0x8, FMASK = IF; then with
	 * interrupts on, SYSCALL. The handler says RCX, R11 and its own RFLAGS.
	 */
	"guest_syscall64:\n"
	"	mov $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	or $1, %eax\n"
	"	wrmsr\n"
	"	mov $0xc0000082, %ecx\n"
	"	lea guest_syscall64_handler(%rip), %rax\n"
	"	mov %rax, %rdx\n"
	"	shr $32, %rdx\n"
	"	wrmsr\n"
	"	mov $0xc0000081, %ecx\n"
	"	xor %eax, %eax\n"
	"	mov $0x00100008, %edx\n"
	"	wrmsr\n"
	"	mov $0xc0000084, %ecx\n"
	"	mov $0x200, %eax\n"
	"	xor %edx, %edx\n"
	"	wrmsr\n"
	"	sti\n"
	"	syscall\n"
	"guest_syscall64_ret:\n"
	"	hlt\n"
	"guest_syscall64_handler:\n"
	"	mov %rcx, %rax\n"
	"	out %eax, $0x30\n"
	"	mov %r11, %rax\n"
	"	out %eax, $0x31\n"
	"	pushf\n"
	"	pop %rax\n"
	"	out %eax, $0x32\n"
	"	hlt\n"
	"guest_syscall64_end:\n"
	".popsection\n");

#define GUEST(name)							\
	extern const unsigned char guest_##name[], guest_##name##_end[]
GUEST(pio16);
GUEST(in16);
GUEST(ud16);
GUEST(spin16);
GUEST(count16);
GUEST(spin_cli16);
GUEST(ioeventfd16);
GUEST(mem16);
GUEST(loop16);
GUEST(pio64);
GUEST(mmio16);
GUEST(readonly16);
GUEST(ro_pages16);
GUEST(string16);
GUEST(mmio64);
GUEST(cpuid16);
GUEST(msr16);
GUEST(handler16);
GUEST(irq16);
GUEST(pm32);
GUEST(ac32);
GUEST(ac_storm32);
extern const unsigned char guest_ac32_handler[];
GUEST(fpu16);
GUEST(vmcall);
GUEST(dr16);
GUEST(osxsave16);
GUEST(xsetbv16);
GUEST(events16);
GUEST(dr64);
GUEST(gd16);
GUEST(step16);
GUEST(db_handler16);
GUEST(cpuid_zero16);
GUEST(wrmsr16);
GUEST(cr4_or16);
GUEST(rdpmc16);
GUEST(nops16);
GUEST(tsc16);
GUEST(limit16);
GUEST(ins32);
extern const unsigned char guest_ins32_handler[];
GUEST(cr8_64);
GUEST(tpr_spin64);
GUEST(syscall64);
extern const unsigned char guest_syscall64_ret[], guest_syscall64_handler[];

#endif /* MINIKVM_X86_GUEST_H */
