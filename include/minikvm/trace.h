/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * minikvm's tracepoints: /sys/kernel/tracing/events/minikvm/, or perf -e 'minikvm:*'.
 * Named as KVM's events of the same step (kvm_entry, kvm_exit, kvm_pio...), so that a
 * trace of minikvm reads like one of KVM. The core defines them (kvm_main.c); the arch
 * run loops fire entry, exit, pio and mmio, the core fires io_bus and userspace_exit.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM minikvm

#if !defined(__MINIKVM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define __MINIKVM_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(kvm_entry,
	TP_PROTO(u32 vcpu_id, u64 pc),
	TP_ARGS(vcpu_id, pc),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u64, pc)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->pc = pc;
	),
	TP_printk("vcpu %u pc 0x%llx", __entry->vcpu_id, __entry->pc)
);

/* @reason: x86 basic VM-exit reason, arm64 ESR_EL2.EC; @info: exit qualification / ESR. */
TRACE_EVENT(kvm_exit,
	TP_PROTO(u32 vcpu_id, u32 reason, u64 info, u64 pc),
	TP_ARGS(vcpu_id, reason, info, pc),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u32, reason)
		__field(u64, info)
		__field(u64, pc)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->reason = reason;
		__entry->info = info;
		__entry->pc = pc;
	),
	TP_printk("vcpu %u reason %u info 0x%llx pc 0x%llx", __entry->vcpu_id, __entry->reason,
		  __entry->info, __entry->pc)
);

TRACE_EVENT(kvm_userspace_exit,
	TP_PROTO(u32 vcpu_id, u32 exit_reason),
	TP_ARGS(vcpu_id, exit_reason),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u32, exit_reason)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->exit_reason = exit_reason;
	),
	TP_printk("vcpu %u exit_reason %u", __entry->vcpu_id, __entry->exit_reason)
);

/* @val: the first element's bytes (all of a write; of a read, once completed). */
TRACE_EVENT(kvm_pio,
	TP_PROTO(u32 vcpu_id, bool write, u16 port, u8 size, u32 count, u64 val),
	TP_ARGS(vcpu_id, write, port, size, count, val),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(bool, write)
		__field(u16, port)
		__field(u8, size)
		__field(u32, count)
		__field(u64, val)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->write = write;
		__entry->port = port;
		__entry->size = size;
		__entry->count = count;
		__entry->val = val;
	),
	TP_printk("vcpu %u pio_%s at 0x%x size %u count %u val 0x%llx", __entry->vcpu_id,
		  __entry->write ? "write" : "read", __entry->port, __entry->size, __entry->count,
		  __entry->val)
);

TRACE_EVENT(kvm_mmio,
	TP_PROTO(u32 vcpu_id, bool write, u64 gpa, u8 len, u64 val),
	TP_ARGS(vcpu_id, write, gpa, len, val),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(bool, write)
		__field(u64, gpa)
		__field(u8, len)
		__field(u64, val)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->write = write;
		__entry->gpa = gpa;
		__entry->len = len;
		__entry->val = val;
	),
	TP_printk("vcpu %u mmio %s len %u gpa 0x%llx val 0x%llx", __entry->vcpu_id,
		  __entry->write ? "write" : "read", __entry->len, __entry->gpa, __entry->val)
);

TRACE_EVENT(kvm_io_bus,
	TP_PROTO(u32 vcpu_id, u32 bus, bool write, u64 addr, u8 len, bool handled),
	TP_ARGS(vcpu_id, bus, write, addr, len, handled),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u32, bus)
		__field(bool, write)
		__field(u64, addr)
		__field(u8, len)
		__field(bool, handled)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->bus = bus;
		__entry->write = write;
		__entry->addr = addr;
		__entry->len = len;
		__entry->handled = handled;
	),
	TP_printk("vcpu %u %s bus %s at 0x%llx len %u %s", __entry->vcpu_id,
		  __entry->bus ? "pio" : "mmio", __entry->write ? "write" : "read",
		  __entry->addr, __entry->len, __entry->handled ? "handled" : "not handled")
);

#endif /* __MINIKVM_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH minikvm
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
