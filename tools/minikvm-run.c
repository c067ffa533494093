// SPDX-License-Identifier: GPL-2.0-only
/*
 * minikvm-run: loads a guest (flat binary or ELF), runs it on one vCPU, and plays its
 * devices: a serial console printed to stdout, and an end (x86 HLT, arm64 PSCI
 * SYSTEM_OFF) that ends the run with status 0. Any other exit ends it with a message and
 * status 1. It uses only the KVM ABI, so it runs on /dev/kvm as well as on /dev/minikvm.
 *
 *   minikvm-run [--dev PATH] [--mem SIZE] [--load ADDR] [--entry ADDR] [--mode MODE]
 *               [--trace] [--stats] GUEST
 *   minikvm-run [--dev PATH] --bench CASE[,CASE...]|all [--iterations N] BENCH_GUEST
 *
 * --bench times exits instead (bench.c) with the bench guest, guests/ARCH/bench.S.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minikvm-run.h"

/*
 * The guest's serial output. With --trace it is kept until a newline, so that its lines
 * come out whole between the trace lines rather than a character after each.
 */
static char console_line[256];
static size_t console_len;

bool trace_exits;

static void console_flush(void)
{
	fwrite(console_line, 1, console_len, stdout);
	console_len = 0;
}

void console_putc(char c)
{
	if (!trace_exits) {
		putchar(c);
		return;
	}
	console_line[console_len++] = c;
	if (c == '\n' || console_len == sizeof(console_line))
		console_flush();
}

_Noreturn void die(const char *fmt, ...)
{
	va_list ap;

	console_flush();
	fflush(stdout);
	fputs("minikvm-run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* "4M", "64k", "0x1000", "1G". */
uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);
	const char *units = "kmg";
	char *unit = *end ? strchr(units, *end | 0x20) : NULL;

	if (unit) {
		v <<= 10 * (unit - units + 1);
		end++;
	}
	if (*end || end == s)
		die("bad number '%s'", s);
	return v;
}

static void *read_file(const char *path, size_t *size)
{
	struct stat st;
	void *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		die("%s: %s", path, strerror(errno));
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf || read(fd, buf, st.st_size) != st.st_size)
		die("%s: cannot read it", path);
	close(fd);
	*size = st.st_size;
	return buf;
}

/* An ELF64 image: each PT_LOAD segment at its physical address. Returns its entry. */
static uint64_t load_elf(struct vm *vm, const uint8_t *img, size_t size)
{
	const Elf64_Ehdr *eh = (const void *)img;
	int i;

	if (size < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phoff > size || eh->e_phnum > (size - eh->e_phoff) / sizeof(Elf64_Phdr))
		die("not a 64-bit ELF image, or a truncated one");
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff) + i * sizeof(*ph);
		uint8_t *dst;

		if (ph->p_type != PT_LOAD)
			continue;
		dst = guest_ptr(vm, ph->p_paddr, ph->p_memsz);
		if (!dst || ph->p_filesz > ph->p_memsz || ph->p_offset > size ||
		    ph->p_filesz > size - ph->p_offset)
			die("ELF segment at 0x%llx (%llu bytes) is outside guest memory or the file",
			    (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz);
		memcpy(dst, img + ph->p_offset, ph->p_filesz);
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	return eh->e_entry;
}

/* The guest image at @path into guest memory: ELF, or a flat binary at @load. Its entry. */
uint64_t load_guest(struct vm *vm, const char *path, uint64_t load)
{
	size_t size;
	uint8_t *img = read_file(path, &size);
	uint64_t entry = load;
	void *dst;

	if (size >= SELFMAG && !memcmp(img, ELFMAG, SELFMAG)) {
		entry = load_elf(vm, img, size);
	} else {
		dst = guest_ptr(vm, load, size);
		if (!dst)
			die("%s (%zu bytes) does not fit in guest memory at 0x%llx", path, size,
			    (unsigned long long)load);
		memcpy(dst, img, size);
	}
	free(img);
	return entry;
}

/* The device at @dev, checked to speak KVM's API. */
int open_device(const char *dev)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", dev, strerror(errno));
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		die("%s: not KVM API version %d", dev, KVM_API_VERSION);
	return fd;
}

/* A VM on @tmpl's device with @tmpl's memory (struct vm in kvm_util.h), or the run ends. */
void runner_vm_create(struct vm *vm, const struct vm *tmpl)
{
	if (vm_create(vm, tmpl->kvm, tmpl->mem_base, tmpl->mem_size))
		die("a VM with %llu bytes of memory at 0x%llx: %s",
		    (unsigned long long)tmpl->mem_size, (unsigned long long)tmpl->mem_base,
		    strerror(errno));
}

/* vCPU @id of the VM, in vm->vcpu and vm->run, or the run ends. */
void runner_vcpu_create(struct vm *vm, unsigned int id)
{
	if (vcpu_create(vm, id))
		die("vCPU %u: %s", id, strerror(errno));
}

/**
 * struct stats - the vCPU's binary stats (KVM_GET_STATS_FD), as far as the runner uses them
 * @fd: the stats fd, or -1 if the device has none
 * @hdr: its header
 * @desc: the descriptors, each hdr.name_size bytes of name after the fixed part
 * @data: the latest values
 * @data_size: bytes in @data
 */
struct stats {
	int fd;
	struct kvm_stats_header hdr;
	uint8_t *desc;
	uint64_t *data;
	size_t data_size;
};

static struct kvm_stats_desc *stats_desc(struct stats *st, unsigned int i)
{
	return (void *)(st->desc + i * (sizeof(struct kvm_stats_desc) + st->hdr.name_size));
}

static void stats_open(struct stats *st, int vcpu)
{
	size_t desc_bytes;
	unsigned int i;

	st->fd = ioctl(vcpu, KVM_GET_STATS_FD, 0);
	if (st->fd < 0)
		return;
	if (pread(st->fd, &st->hdr, sizeof(st->hdr), 0) != sizeof(st->hdr))
		die("cannot read the stats header");
	desc_bytes = st->hdr.num_desc * (sizeof(struct kvm_stats_desc) + st->hdr.name_size);
	st->desc = malloc(desc_bytes);
	if (!st->desc || pread(st->fd, st->desc, desc_bytes, st->hdr.desc_offset) != (ssize_t)desc_bytes)
		die("cannot read the stats descriptors");
	for (i = 0; i < st->hdr.num_desc; i++) {
		struct kvm_stats_desc *d = stats_desc(st, i);
		size_t end = d->offset + d->size * sizeof(uint64_t);

		if (end > st->data_size)
			st->data_size = end;
	}
	st->data = calloc(1, st->data_size);
	if (!st->data)
		die("out of memory");
}

static void stats_read(struct stats *st)
{
	if (st->fd >= 0 && pread(st->fd, st->data, st->data_size, st->hdr.data_offset) < 0)
		die("cannot read the stats: %s", strerror(errno));
}

/* The first value of the counter @name, or 0 if the device does not count it. */
static uint64_t stat_value(struct stats *st, const char *name)
{
	unsigned int i;

	for (i = 0; st->fd >= 0 && i < st->hdr.num_desc; i++)
		if (!strcmp(stats_desc(st, i)->name, name))
			return st->data[stats_desc(st, i)->offset / sizeof(uint64_t)];
	return 0;
}

static void stats_print(struct stats *st)
{
	unsigned int i, j;

	if (st->fd < 0) {
		printf("stats: the device has no binary stats\n");
		return;
	}
	stats_read(st);
	for (i = 0; i < st->hdr.num_desc; i++) {
		struct kvm_stats_desc *d = stats_desc(st, i);
		uint64_t *v = st->data + d->offset / sizeof(uint64_t);

		const char *sep = "";

		if (d->size == 1) {
			printf("stats: %s = %llu\n", d->name, (unsigned long long)v[0]);
			continue;
		}
		/* minikvm's exits by reason: one line, by the arch's names. */
		printf("stats: %s:", d->name);
		for (j = 0; j < d->size; j++) {
			const char *name = arch_exit_reason_name(j);

			if (!v[j])
				continue;
			if (name)
				printf("%s %s %llu", sep, name, (unsigned long long)v[j]);
			else
				printf("%s %u %llu", sep, j, (unsigned long long)v[j]);
			sep = ",";
		}
		printf("\n");
	}
}

static void bad_usage(void)
{
	fputs("usage: minikvm-run [--dev PATH] [--mem SIZE] [--load ADDR] [--entry ADDR]\n", stderr);
	fputs("                   [--mode MODE] [--trace] [--stats] GUEST\n", stderr);
	fputs("       minikvm-run [--dev PATH] --bench CASES|all [--iterations N] BENCH_GUEST\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "mem", required_argument, NULL, 'm' },
		{ "load", required_argument, NULL, 'l' },
		{ "entry", required_argument, NULL, 'e' },
		{ "mode", required_argument, NULL, 'M' },
		{ "trace", no_argument, NULL, 't' },
		{ "stats", no_argument, NULL, 's' },
		{ "bench", required_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct vm tmpl = { .mem_base = arch_default_mem_base, .mem_size = 4 << 20 }, vm;
	const char *dev = "/dev/minikvm", *bench = NULL, *mode = arch_default_mode;
	uint64_t iterations = 100000, entry = 0, loaded;
	bool entry_given = false, want_stats = false;
	uint64_t load = UINT64_MAX;
	struct stats st = { .fd = -1 };
	enum run_verdict verdict;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'm':
			tmpl.mem_size = parse_size(optarg);
			break;
		case 'l':
			load = parse_size(optarg);
			break;
		case 'e':
			entry = parse_size(optarg);
			entry_given = true;
			break;
		case 'M':
			mode = optarg;
			break;
		case 't':
			trace_exits = true;
			break;
		case 's':
			want_stats = true;
			break;
		case 'b':
			bench = optarg;
			break;
		case 'i':
			iterations = parse_size(optarg);
			break;
		default:
			bad_usage();
		}
	}
	if (optind != argc - 1)
		bad_usage();
	if (load == UINT64_MAX)
		load = tmpl.mem_base + 0x10000;

	tmpl.kvm = open_device(dev);
	if (bench)
		return bench_main(&tmpl, argv[optind], bench, iterations ? iterations : 1);
	runner_vm_create(&vm, &tmpl);
	loaded = load_guest(&vm, argv[optind], load);
	runner_vcpu_create(&vm, 0);
	if (arch_setup_vcpu(&vm, mode, entry_given ? entry : loaded))
		return 1;
	if (trace_exits || want_stats)
		stats_open(&st, vm.vcpu);

	do {
		uint64_t exits = 0, bus = 0;

		if (ioctl(vm.vcpu, KVM_RUN, 0))
			die("KVM_RUN: %s", strerror(errno));
		if (trace_exits && st.fd >= 0) {
			/* What the kernel handled on its own during this KVM_RUN. */
			exits = stat_value(&st, "exits");
			bus = stat_value(&st, "io_bus_pio") + stat_value(&st, "io_bus_mmio");
			stats_read(&st);
			exits = stat_value(&st, "exits") - exits;
			bus = stat_value(&st, "io_bus_pio") + stat_value(&st, "io_bus_mmio") - bus;
			if (exits > 1)
				printf("trace: %llu exits handled in the kernel (%llu by the io bus)\n",
				       (unsigned long long)exits - 1, (unsigned long long)bus);
		}
		verdict = arch_handle_exit(&vm);
	} while (verdict == RUN_CONTINUE);

	console_flush();
	if (want_stats)
		stats_print(&st);
	fflush(stdout);
	return verdict == RUN_DONE ? 0 : 1;
}
