// SPDX-License-Identifier: GPL-2.0-only
/*
 * A freestanding C guest at EL1: no library, no MMU; it says hello on the PL011 UART,
 * waiting for room as a driver would, and powers off through PSCI.
 */
#include <stdint.h>

#define PL011_BASE		0x09000000UL
#define PL011_DR		0x00
#define PL011_FR		0x18
#define PL011_FR_TXFF		(1U << 5)	/* transmit FIFO full */
#define PSCI_0_2_SYSTEM_OFF	0x84000008UL

/* Single plain loads and stores, so that the hypervisor sees a decodable MMIO access. */
static inline void mmio_write8(unsigned long addr, uint8_t v)
{
	asm volatile("strb %w0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

static inline uint32_t mmio_read32(unsigned long addr)
{
	uint32_t v;

	asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static void serial_puts(const char *s)
{
	for (; *s; s++) {
		while (mmio_read32(PL011_BASE + PL011_FR) & PL011_FR_TXFF)
			;
		mmio_write8(PL011_BASE + PL011_DR, *s);
	}
}

/* Never returns: there is nothing to return to. */
void _start(void)
{
	register unsigned long x0 asm("x0") = PSCI_0_2_SYSTEM_OFF;

	serial_puts("Hello from a C guest at EL1\n");
	asm volatile("hvc #0" : "+r"(x0) : : "memory");
	for (;;)
		asm volatile("wfi");
}
