// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel io bus: which kvm_io_device handles a guest access at an address.
 *
 * Each bus (KVM_MMIO_BUS, KVM_PIO_BUS) is an array of ranges sorted by address, replaced
 * whole on every registration and published with RCU: a vCPU looks a range up under
 * kvm->srcu without a lock, and the registering ioctl waits for every reader of the old
 * array before it returns, so no vCPU can miss a device once its ioctl has returned, nor
 * call one that was unregistered.
 */

#include <linux/slab.h>
#include <linux/sort.h>

#include <minikvm/iodev.h>
#include <minikvm/kvm_host.h>
#include <minikvm/trace.h>

/**
 * struct kvm_io_range - one device's addresses on a bus
 * @addr: first port or guest physical address
 * @len: bytes covered; 0 matches any access that starts at @addr, whatever its size
 * @dev: the device
 */
struct kvm_io_range {
	gpa_t addr;
	int len;
	struct kvm_io_device *dev;
};

/**
 * struct kvm_io_bus - the ranges of one bus, sorted by @addr
 * @dev_count: entries in @range
 * @max_len: the largest @len among them, which bounds how far before an address a range
 *	holding it can start
 * @range: the ranges
 */
struct kvm_io_bus {
	int dev_count;
	int max_len;
	struct kvm_io_range range[];
};

static bool kvm_io_range_holds(const struct kvm_io_range *r, gpa_t addr, int len)
{
	if (!r->len)
		return addr == r->addr;
	return addr >= r->addr && addr + len <= r->addr + r->len;
}

/* The first range that could hold an access at @addr: binary search on the start. */
static int kvm_io_bus_first(const struct kvm_io_bus *bus, gpa_t addr)
{
	gpa_t from = addr > bus->max_len ? addr - bus->max_len + 1 : 0;
	int lo = 0, hi = bus->dev_count;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (bus->range[mid].addr < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The devices whose range holds an access, in address order: the first from @i on, or
 * -1. Called under kvm->srcu.
 */
static int kvm_io_bus_next(const struct kvm_io_bus *bus, int i, gpa_t addr, int len)
{
	for (; i < bus->dev_count && bus->range[i].addr <= addr; i++)
		if (kvm_io_range_holds(&bus->range[i], addr, len))
			return i;
	return -1;
}

/*
 * Offers a write of @wval, or a read into @rval, to each device whose range holds it, in
 * address order, until one handles it (KVM's __kvm_io_bus_write/read()). Returns 0 if
 * one did, -EOPNOTSUPP if none.
 */
static int kvm_io_bus_access(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, gpa_t addr, int len,
			     const void *wval, void *rval)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_io_bus *bus;
	int i, idx, r = -EOPNOTSUPP;

	idx = srcu_read_lock(&kvm->srcu);
	bus = srcu_dereference(kvm->buses[bus_idx], &kvm->srcu);
	for (i = bus ? kvm_io_bus_next(bus, kvm_io_bus_first(bus, addr), addr, len) : -1; i >= 0;
	     i = kvm_io_bus_next(bus, i + 1, addr, len)) {
		struct kvm_io_device *dev = bus->range[i].dev;

		r = wval ? kvm_iodevice_write(vcpu, dev, addr, len, wval) :
			   kvm_iodevice_read(vcpu, dev, addr, len, rval);
		if (!r)
			break;
	}
	srcu_read_unlock(&kvm->srcu, idx);
	if (!r) {
		if (bus_idx == KVM_PIO_BUS)
			vcpu->stat.io_bus_pio++;
		else
			vcpu->stat.io_bus_mmio++;
	}
	trace_kvm_io_bus(vcpu->vcpu_id, bus_idx, !!wval, addr, len, !r);
	return r ? -EOPNOTSUPP : 0;
}

int kvm_io_bus_write(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, gpa_t addr, int len,
		     const void *val)
{
	return kvm_io_bus_access(vcpu, bus_idx, addr, len, val, NULL);
}

int kvm_io_bus_read(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, gpa_t addr, int len,
		    void *val)
{
	return kvm_io_bus_access(vcpu, bus_idx, addr, len, NULL, val);
}

static int kvm_io_range_cmp(const void *a, const void *b)
{
	const struct kvm_io_range *r1 = a, *r2 = b;

	if (r1->addr != r2->addr)
		return r1->addr < r2->addr ? -1 : 1;
	return r1->len - r2->len;
}

/* Publishes @new for @bus_idx and frees the old array once no vCPU can be reading it. */
static void kvm_io_bus_replace(struct kvm *kvm, enum kvm_bus bus_idx, struct kvm_io_bus *new)
{
	struct kvm_io_bus *old = rcu_dereference_protected(kvm->buses[bus_idx],
							   lockdep_is_held(&kvm->slots_lock));

	rcu_assign_pointer(kvm->buses[bus_idx], new);
	synchronize_srcu_expedited(&kvm->srcu);
	kfree(old);
}

static void kvm_io_bus_update_max_len(struct kvm_io_bus *bus)
{
	int i;

	bus->max_len = 1;
	for (i = 0; i < bus->dev_count; i++)
		bus->max_len = max(bus->max_len, bus->range[i].len);
}

/**
 * kvm_io_bus_register_dev() - put a device on a bus
 * @kvm: the VM, its slots_lock held
 * @bus_idx: KVM_MMIO_BUS or KVM_PIO_BUS
 * @addr: first address the device handles
 * @len: how many bytes from there (0: any access starting at @addr)
 * @dev: the device, which must stay valid until unregistered
 *
 * Returns 0 once every vCPU will see the device, or -ENOMEM. There is no count limit: KVM
 * limits its other devices but not ioeventfds, minikvm's only devices so far; the arrays
 * are charged to the VM owner's memory cgroup.
 */
int kvm_io_bus_register_dev(struct kvm *kvm, enum kvm_bus bus_idx, gpa_t addr, int len,
			    struct kvm_io_device *dev)
{
	struct kvm_io_bus *old, *new;
	int count;

	old = rcu_dereference_protected(kvm->buses[bus_idx], lockdep_is_held(&kvm->slots_lock));
	count = old ? old->dev_count : 0;
	new = kmalloc(struct_size(new, range, count + 1), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	if (count)
		memcpy(new->range, old->range, count * sizeof(new->range[0]));
	new->range[count] = (struct kvm_io_range) { .addr = addr, .len = len, .dev = dev };
	new->dev_count = count + 1;
	sort(new->range, new->dev_count, sizeof(new->range[0]), kvm_io_range_cmp, NULL);
	kvm_io_bus_update_max_len(new);
	kvm_io_bus_replace(kvm, bus_idx, new);
	return 0;
}

/**
 * kvm_io_bus_unregister_dev() - take a device off a bus
 * @kvm: the VM, its slots_lock held
 * @bus_idx: the bus it was registered on
 * @dev: the device
 *
 * Returns 0 once no vCPU can call the device any more (the caller may then free it), or
 * -ENOENT if it is not on the bus. It does not fail for want of memory (__GFP_NOFAIL): a
 * device on its way to being freed must come off the bus.
 */
int kvm_io_bus_unregister_dev(struct kvm *kvm, enum kvm_bus bus_idx, struct kvm_io_device *dev)
{
	struct kvm_io_bus *old, *new;
	int i, j;

	old = rcu_dereference_protected(kvm->buses[bus_idx], lockdep_is_held(&kvm->slots_lock));
	for (i = 0; old && i < old->dev_count; i++)
		if (old->range[i].dev == dev)
			break;
	if (!old || i == old->dev_count)
		return -ENOENT;

	new = kmalloc(struct_size(new, range, old->dev_count - 1), GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
	for (j = 0; j < old->dev_count; j++)
		if (j != i)
			new->range[j - (j > i)] = old->range[j];
	new->dev_count = old->dev_count - 1;
	kvm_io_bus_update_max_len(new);
	kvm_io_bus_replace(kvm, bus_idx, new);
	return 0;
}

/*
 * At VM destruction, after the ioeventfds are gone: devices still on a bus are freed by
 * their destructors.
 */
void kvm_io_bus_destroy(struct kvm *kvm)
{
	int b, i;

	for (b = 0; b < KVM_NR_BUSES; b++) {
		struct kvm_io_bus *bus = rcu_dereference_protected(kvm->buses[b], true);

		for (i = 0; bus && i < bus->dev_count; i++)
			kvm_iodevice_destructor(bus->range[i].dev);
		kfree(bus);
	}
}
