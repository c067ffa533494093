// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_IOEVENTFD: a guest write to a port or MMIO address signals an eventfd in the kernel,
 * with no exit to userspace (a virtio queue notify, typically). Each registration is an
 * in-kernel io device (iodev.h); a write that does not match it exactly (address, length,
 * and data when DATAMATCH is asked) is left to the next device or to userspace.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/list.h>
#include <linux/slab.h>

#include <minikvm/compat.h>
#include <minikvm/iodev.h>
#include <minikvm/kvm_host.h>

/**
 * struct _ioeventfd - one KVM_IOEVENTFD registration
 * @list: in kvm->ioeventfds
 * @kvm: its VM
 * @addr: the port or guest physical address
 * @length: access size that matches, or 0 for any size
 * @eventfd: signalled on a match
 * @datamatch: the value that matches, unless @wildcard
 * @dev: the device on the bus
 * @bus_idx: KVM_PIO_BUS or KVM_MMIO_BUS
 * @wildcard: any value matches (no KVM_IOEVENTFD_FLAG_DATAMATCH)
 */
struct _ioeventfd {
	struct list_head list;
	struct kvm *kvm;
	u64 addr;
	int length;
	struct eventfd_ctx *eventfd;
	u64 datamatch;
	struct kvm_io_device dev;
	enum kvm_bus bus_idx;
	bool wildcard;
};

static struct _ioeventfd *to_ioeventfd(struct kvm_io_device *dev)
{
	return container_of(dev, struct _ioeventfd, dev);
}

/* Whether a write of @len bytes holding @val at @addr is this registration's. */
static bool ioeventfd_in_range(const struct _ioeventfd *p, gpa_t addr, int len, const void *val)
{
	u64 data;

	if (addr != p->addr)
		return false;
	if (!p->length)
		return true;
	if (len != p->length)
		return false;
	if (p->wildcard)
		return true;
	switch (len) {
	case 1:
		data = *(const u8 *)val;
		break;
	case 2:
		data = *(const u16 *)val;
		break;
	case 4:
		data = *(const u32 *)val;
		break;
	case 8:
		data = *(const u64 *)val;
		break;
	default:
		return false;
	}
	return data == p->datamatch;
}

static int ioeventfd_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, gpa_t addr,
			   int len, const void *val)
{
	struct _ioeventfd *p = to_ioeventfd(dev);

	if (!ioeventfd_in_range(p, addr, len, val))
		return -EOPNOTSUPP;
	kvm_eventfd_signal(p->eventfd);
	atomic64_inc(&p->kvm->stat.ioeventfd_signals);
	return 0;
}

static void ioeventfd_release(struct _ioeventfd *p)
{
	list_del(&p->list);
	eventfd_ctx_put(p->eventfd);
	kfree(p);
}

/* Called by the bus when the VM is destroyed with the registration still in place. */
static void ioeventfd_destructor(struct kvm_io_device *dev)
{
	ioeventfd_release(to_ioeventfd(dev));
}

static const struct kvm_io_device_ops ioeventfd_ops = {
	.write = ioeventfd_write,
	.destructor = ioeventfd_destructor,
};

/* As KVM: two registrations collide when some write could match both. */
static bool ioeventfd_check_collision(struct kvm *kvm, const struct _ioeventfd *p)
{
	struct _ioeventfd *q;

	list_for_each_entry(q, &kvm->ioeventfds, list)
		if (q->bus_idx == p->bus_idx && q->addr == p->addr &&
		    (!q->length || !p->length ||
		     (q->length == p->length &&
		      (q->wildcard || p->wildcard || q->datamatch == p->datamatch))))
			return true;
	return false;
}

static enum kvm_bus ioeventfd_bus_from_flags(u32 flags)
{
	return flags & KVM_IOEVENTFD_FLAG_PIO ? KVM_PIO_BUS : KVM_MMIO_BUS;
}

static int kvm_assign_ioeventfd(struct kvm *kvm, const struct kvm_ioeventfd *args)
{
	struct eventfd_ctx *eventfd;
	struct _ioeventfd *p;
	int r;

	switch (args->len) {
	case 0:
	case 1:
	case 2:
	case 4:
	case 8:
		break;
	default:
		return kvm_refuse(-EINVAL, "ioeventfd: length %u is not 0, 1, 2, 4 or 8", args->len);
	}
	if (args->addr + args->len < args->addr)
		return kvm_refuse(-EINVAL, "ioeventfd: range at 0x%llx wraps around", args->addr);
	/* A length of 0 matches any write, so there is no data size to match against. */
	if (!args->len && (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return kvm_refuse(-EINVAL, "ioeventfd: datamatch needs a length");

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return kvm_refuse(PTR_ERR(eventfd), "ioeventfd: fd %d is not an eventfd", args->fd);
	r = -ENOMEM;
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		goto out_put;
	INIT_LIST_HEAD(&p->list);
	p->kvm = kvm;
	p->addr = args->addr;
	p->length = args->len;
	p->eventfd = eventfd;
	p->bus_idx = ioeventfd_bus_from_flags(args->flags);
	p->wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	if (!p->wildcard)
		p->datamatch = args->datamatch;
	kvm_iodevice_init(&p->dev, &ioeventfd_ops);

	mutex_lock(&kvm->slots_lock);
	if (ioeventfd_check_collision(kvm, p)) {
		r = kvm_refuse(-EEXIST, "ioeventfd: one at 0x%llx already matches such writes",
			       args->addr);
		goto out_unlock;
	}
	r = kvm_io_bus_register_dev(kvm, p->bus_idx, p->addr, p->length, &p->dev);
	if (r)
		goto out_unlock;
	list_add_tail(&p->list, &kvm->ioeventfds);
	mutex_unlock(&kvm->slots_lock);
	return 0;

out_unlock:
	mutex_unlock(&kvm->slots_lock);
	kfree(p);
out_put:
	eventfd_ctx_put(eventfd);
	return r;
}

static int kvm_deassign_ioeventfd(struct kvm *kvm, const struct kvm_ioeventfd *args)
{
	enum kvm_bus bus_idx = ioeventfd_bus_from_flags(args->flags);
	bool wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	struct eventfd_ctx *eventfd;
	struct _ioeventfd *p;
	int r = -ENOENT;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return kvm_refuse(PTR_ERR(eventfd), "ioeventfd: fd %d is not an eventfd", args->fd);

	mutex_lock(&kvm->slots_lock);
	list_for_each_entry(p, &kvm->ioeventfds, list) {
		if (p->bus_idx != bus_idx || p->eventfd != eventfd || p->addr != args->addr ||
		    p->length != args->len || p->wildcard != wildcard)
			continue;
		if (!p->wildcard && p->datamatch != args->datamatch)
			continue;
		kvm_io_bus_unregister_dev(kvm, bus_idx, &p->dev);
		ioeventfd_release(p);
		r = 0;
		break;
	}
	mutex_unlock(&kvm->slots_lock);
	eventfd_ctx_put(eventfd);
	if (r)
		return kvm_refuse(r, "ioeventfd: none at 0x%llx to deassign", args->addr);
	return 0;
}

/**
 * kvm_ioeventfd() - KVM_IOEVENTFD
 * @kvm: the VM
 * @args: the request, copied from userspace
 *
 * Returns 0, or KVM's errno: -EINVAL for bad flags, length or range, -EBADF or -EINVAL for
 * an fd that is no eventfd, -EEXIST for a registration that collides with another,
 * -ENOENT to deassign one that does not exist, -ENOMEM.
 */
int kvm_ioeventfd(struct kvm *kvm, struct kvm_ioeventfd *args)
{
	/*
	 * KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY is s390's: there is no CCW bus here, so it is
	 * refused like an unknown flag.
	 */
	if (args->flags & ~(KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_PIO |
			    KVM_IOEVENTFD_FLAG_DEASSIGN))
		return kvm_refuse(-EINVAL, "ioeventfd: unknown flags 0x%x", args->flags);
	if (args->flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return kvm_deassign_ioeventfd(kvm, args);
	return kvm_assign_ioeventfd(kvm, args);
}
