// SPDX-License-Identifier: GPL-2.0-only
/*
 * A freestanding C guest in 64-bit long mode (minikvm-run --mode long): no library, no
 * interrupts; it says hello on COM1, waiting for the UART as a driver would, and halts.
 */
#include <stdint.h>

#define COM1		0x3f8
#define COM1_LSR	(COM1 + 5)
#define LSR_THRE	0x20	/* transmit holding register empty */

static inline void port_write8(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t port_read8(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void serial_puts(const char *s)
{
	for (; *s; s++) {
		while (!(port_read8(COM1_LSR) & LSR_THRE))
			;
		port_write8(COM1, *s);
	}
}

/* Never returns: there is nothing to return to. */
void _start(void)
{
	serial_puts("Hello from a 64-bit C guest\n");
	for (;;)
		asm volatile("hlt");
}
