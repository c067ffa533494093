// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_GET_STATS_FD: a VM's and a vCPU's counters as a read-only file in KVM's binary stats
 * format (<linux/kvm.h>: struct kvm_stats_header, then the id string, the descriptors, and
 * the data), so that tools written for KVM's stats read ours. Each read() renders the file
 * afresh from the counters, at the offset asked.
 */

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <minikvm/kvm_host.h>

/*
 * Room for the id and for each counter's name, NUL included: KVM's value. Readers take it
 * from the header's name_size, so it is the writer's choice, and ours is KVM's.
 */
#define KVM_STATS_NAME_SIZE	48

/**
 * struct kvm_stat_desc - one counter as the stats file describes it
 * @name: its name, at most KVM_STATS_NAME_SIZE - 1 characters
 * @flags: KVM_STATS_TYPE_*, KVM_STATS_UNIT_NONE, KVM_STATS_BASE_POW10
 * @size: number of u64 values (more than one for a per-reason array)
 * @offset: where its first value is in the VM's or vCPU's stat struct
 */
struct kvm_stat_desc {
	const char *name;
	u32 flags;
	u16 size;
	u16 offset;
};

#define __STAT(name_, offset_, nr, kind) {					\
	.name = name_,								\
	.flags = KVM_STATS_TYPE_##kind | KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10, \
	.size = nr,								\
	.offset = offset_,							\
}
#define STAT(type, field, nr, kind)	__STAT(#field, offsetof(struct type, field), nr, kind)
#define VM_STAT(field, kind)		STAT(kvm_vm_stat, field, 1, kind)
#define VCPU_STAT(field, kind)		STAT(kvm_vcpu_stat, field, 1, kind)
/* An arch's own counter (KVM_VCPU_ARCH_STATS of its kvm_arch.h), named as its field. */
#define VCPU_ARCH_STAT(field, kind)	\
	__STAT(#field, offsetof(struct kvm_vcpu_stat, arch.field), 1, kind)

static const struct kvm_stat_desc kvm_vm_stats_desc[] = {
	VM_STAT(remote_tlb_flush, CUMULATIVE),
	VM_STAT(pages_pinned, INSTANT),
	VM_STAT(ioeventfd_signals, CUMULATIVE),
};

static const struct kvm_stat_desc kvm_vcpu_stats_desc[] = {
	VCPU_STAT(exits, CUMULATIVE),
	STAT(kvm_vcpu_stat, exit_reasons, KVM_NR_EXIT_REASONS, CUMULATIVE),
	VCPU_STAT(userspace_exits, CUMULATIVE),
	VCPU_STAT(io_exits, CUMULATIVE),
	VCPU_STAT(mmio_exits, CUMULATIVE),
	VCPU_STAT(signal_exits, CUMULATIVE),
	VCPU_STAT(halt_exits, CUMULATIVE),
	VCPU_STAT(io_bus_pio, CUMULATIVE),
	VCPU_STAT(io_bus_mmio, CUMULATIVE),
	KVM_VCPU_ARCH_STATS
};

/**
 * struct kvm_stats_file - what one stats fd reads
 * @kvm: the VM, referenced while the fd is open
 * @vcpu: the vCPU, or NULL for the VM's stats
 * @desc: the descriptors
 * @num_desc: how many
 * @id: the id string ("kvm-PID" or "kvm-PID/vcpu-ID", as KVM)
 */
struct kvm_stats_file {
	struct kvm *kvm;
	struct kvm_vcpu *vcpu;
	const struct kvm_stat_desc *desc;
	u32 num_desc;
	char id[KVM_STATS_NAME_SIZE];
};

/*
 * The layout: header, id, descriptors with their names, then the u64 data. A descriptor's
 * name follows its fixed part: the kernel's view of the struct has a sized name array
 * from 6.8 on, userspace's a flexible one, so the size is counted from the name's offset.
 */
static size_t kvm_stats_desc_size(void)
{
	return offsetof(struct kvm_stats_desc, name) + KVM_STATS_NAME_SIZE;
}

static u32 kvm_stats_data_words(const struct kvm_stats_file *sf)
{
	u32 i, n = 0;

	for (i = 0; i < sf->num_desc; i++)
		n += sf->desc[i].size;
	return n;
}

/* Copies the counters into @data, in descriptor order. */
static void kvm_stats_fill_data(const struct kvm_stats_file *sf, u64 *data)
{
	const struct kvm_stat_desc *d;
	u32 i, j;

	for (i = 0, d = sf->desc; i < sf->num_desc; i++, d++) {
		for (j = 0; j < d->size; j++) {
			if (sf->vcpu)
				*data++ = READ_ONCE(((u64 *)((void *)&sf->vcpu->stat + d->offset))[j]);
			else
				*data++ = atomic64_read((atomic64_t *)((void *)&sf->kvm->stat +
								       d->offset));
		}
	}
}

static ssize_t kvm_stats_read(struct file *file, char __user *user_buffer, size_t size,
			      loff_t *offset)
{
	const struct kvm_stats_file *sf = file->private_data;
	struct kvm_stats_header *header;
	size_t desc_size = kvm_stats_desc_size(), total, off;
	void *buf;
	ssize_t r;
	u32 i;

	off = sizeof(*header) + KVM_STATS_NAME_SIZE + sf->num_desc * desc_size;
	total = off + kvm_stats_data_words(sf) * sizeof(u64);
	if (*offset >= total)
		return 0;
	buf = kzalloc(total, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;

	header = buf;
	header->name_size = KVM_STATS_NAME_SIZE;
	header->num_desc = sf->num_desc;
	header->id_offset = sizeof(*header);
	header->desc_offset = header->id_offset + KVM_STATS_NAME_SIZE;
	header->data_offset = off;
	strscpy(buf + header->id_offset, sf->id, KVM_STATS_NAME_SIZE);
	for (i = 0, off = 0; i < sf->num_desc; i++) {
		struct kvm_stats_desc *d = buf + header->desc_offset + i * desc_size;

		d->flags = sf->desc[i].flags;
		d->size = sf->desc[i].size;
		d->offset = off;
		strscpy(d->name, sf->desc[i].name, KVM_STATS_NAME_SIZE);
		off += d->size * sizeof(u64);
	}
	kvm_stats_fill_data(sf, buf + header->data_offset);

	size = min_t(size_t, size, total - *offset);
	r = copy_to_user(user_buffer, buf + *offset, size) ? -EFAULT : size;
	if (r > 0)
		*offset += r;
	kfree(buf);
	return r;
}

static int kvm_stats_release(struct inode *inode, struct file *file)
{
	struct kvm_stats_file *sf = file->private_data;

	kvm_put_kvm(sf->kvm);
	kfree(sf);
	return 0;
}

static const struct file_operations kvm_stats_fops = {
	.owner = THIS_MODULE,
	.read = kvm_stats_read,
	.release = kvm_stats_release,
	.llseek = noop_llseek,
};

static int kvm_stats_fd(struct kvm *kvm, struct kvm_vcpu *vcpu, const char *name)
{
	struct kvm_stats_file *sf;
	struct file *file;
	int fd;

	sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	sf->kvm = kvm;
	sf->vcpu = vcpu;
	if (vcpu) {
		sf->desc = kvm_vcpu_stats_desc;
		sf->num_desc = ARRAY_SIZE(kvm_vcpu_stats_desc);
		snprintf(sf->id, sizeof(sf->id), "kvm-%d/vcpu-%u", task_pid_nr(current),
			 vcpu->vcpu_id);
	} else {
		sf->desc = kvm_vm_stats_desc;
		sf->num_desc = ARRAY_SIZE(kvm_vm_stats_desc);
		snprintf(sf->id, sizeof(sf->id), "kvm-%d", task_pid_nr(current));
	}

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto out_free;
	file = anon_inode_getfile(name, &kvm_stats_fops, sf, O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		goto out_free;
	}
	/* pread() at any offset: tools read the header, then the parts they need. */
	file->f_mode |= FMODE_PREAD;
	kvm_get_kvm(kvm);
	fd_install(fd, file);
	return fd;

out_free:
	kfree(sf);
	return fd;
}

int kvm_vm_ioctl_get_stats_fd(struct kvm *kvm)
{
	return kvm_stats_fd(kvm, NULL, "kvm-vm-stats");
}

int kvm_vcpu_ioctl_get_stats_fd(struct kvm_vcpu *vcpu)
{
	return kvm_stats_fd(vcpu->kvm, vcpu, "kvm-vcpu-stats");
}
