/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The in-kernel io bus: devices that handle guest port and MMIO accesses in the kernel,
 * so that the access never becomes a userspace exit. A device is three callbacks; the bus
 * (virt/kvm/io_bus.c) finds the device of an address and calls it.
 */
#ifndef __MINIKVM_IODEV_H
#define __MINIKVM_IODEV_H

#include <linux/errno.h>
#include <linux/types.h>

#include <minikvm/kvm_host.h>

struct kvm_io_device;

/**
 * struct kvm_io_device_ops - what a device does with an access
 * @read: fill @val with @len bytes read at @addr
 * @write: take @len bytes written at @addr
 * @destructor: free the device when its VM goes away still holding it (optional)
 *
 * @read and @write run in the vCPU's thread under kvm->srcu, and return 0 when they
 * handled the access, or a negative errno (-EOPNOTSUPP) to let the next device at that
 * address, or else userspace, have it.
 */
struct kvm_io_device_ops {
	int (*read)(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, gpa_t addr, int len,
		    void *val);
	int (*write)(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, gpa_t addr, int len,
		     const void *val);
	void (*destructor)(struct kvm_io_device *dev);
};

/** struct kvm_io_device - a device on an io bus; embed it in the device's own struct */
struct kvm_io_device {
	const struct kvm_io_device_ops *ops;
};

static inline void kvm_iodevice_init(struct kvm_io_device *dev,
				     const struct kvm_io_device_ops *ops)
{
	dev->ops = ops;
}

/* The bus' calls of a device: -EOPNOTSUPP for what it does not do. */
static inline int kvm_iodevice_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
				    gpa_t addr, int len, void *val)
{
	return dev->ops->read ? dev->ops->read(vcpu, dev, addr, len, val) : -EOPNOTSUPP;
}

static inline int kvm_iodevice_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
				     gpa_t addr, int len, const void *val)
{
	return dev->ops->write ? dev->ops->write(vcpu, dev, addr, len, val) : -EOPNOTSUPP;
}

static inline void kvm_iodevice_destructor(struct kvm_io_device *dev)
{
	if (dev->ops->destructor)
		dev->ops->destructor(dev);
}

/* The bus: registration under kvm->slots_lock, lookups from vCPU threads. */
int kvm_io_bus_register_dev(struct kvm *kvm, enum kvm_bus bus_idx, gpa_t addr, int len,
			    struct kvm_io_device *dev);
int kvm_io_bus_unregister_dev(struct kvm *kvm, enum kvm_bus bus_idx, struct kvm_io_device *dev);
void kvm_io_bus_destroy(struct kvm *kvm);

/**
 * kvm_io_bus_write() - offer a guest write to the devices at @addr
 * @vcpu: the vCPU doing it, in its own thread
 * @bus_idx: KVM_PIO_BUS or KVM_MMIO_BUS
 * @addr: port or guest physical address
 * @len: 1, 2, 4 or 8 bytes
 * @val: the bytes written, in guest (little-endian) order
 *
 * Returns 0 when a device handled it (counted and traced), else -EOPNOTSUPP: the access
 * goes to userspace.
 */
int kvm_io_bus_write(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, gpa_t addr, int len,
		     const void *val);

/** kvm_io_bus_read() - as kvm_io_bus_write(), for a read that fills @val. */
int kvm_io_bus_read(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, gpa_t addr, int len,
		    void *val);

/* KVM_IOEVENTFD (virt/kvm/eventfd.c). */
int kvm_ioeventfd(struct kvm *kvm, struct kvm_ioeventfd *args);

#endif /* __MINIKVM_IODEV_H */
