/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sequential files (fs/seq_file.c), in C because seq_printf() is variadic and the rest works on struct seq_file.
 * Debugfs is off in a driver host (shim/Kernel/Debugfs.cs), so no file reaches these through a file system;
 * they are what a driver's seq_file operations need if one is read: single_open(), seq_read(), seq_lseek() and
 * single_release(). A read from position 0 (or the first one) renders the whole file into one buffer, grown
 * until the records fit, and every read copies from that snapshot at its position.
 */
#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/mutex.h>
#include "shim.h"

/* The largest rendering a file may need (records past it fail the read with -ENOMEM). */
#define LINUXSHIM_SEQ_MAX (4 << 20)

void seq_vprintf(struct seq_file *m, const char *f, va_list args)
{
	int len;

	if (m->count < m->size) {
		len = vsnprintf(m->buf + m->count, m->size - m->count, f, args);
		if (m->count + len < m->size) {
			m->count += len;
			return;
		}
	}
	m->count = m->size; /* overflowed: the reader renders again with a larger buffer */
}
SHIM_SYMBOL(seq_vprintf)

void seq_printf(struct seq_file *m, const char *f, ...)
{
	va_list args;

	va_start(args, f);
	seq_vprintf(m, f, args);
	va_end(args);
}
SHIM_SYMBOL(seq_printf)

int seq_open(struct file *file, const struct seq_operations *op)
{
	struct seq_file *p;

	if (file->private_data)
		pr_warn("seq_open: file already has private data\n");
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	file->private_data = p;
	mutex_init(&p->lock);
	p->op = op;
	p->file = file;
	file->f_mode &= ~FMODE_PWRITE; /* positions are the reader's own: no pread/pwrite */
	return 0;
}
SHIM_SYMBOL(seq_open)

/* The operations of a file of one record: start gives it at position 0, next ends the file. */
static void *one_record_start(struct seq_file *m, loff_t *pos)
{
	return *pos ? NULL : SEQ_START_TOKEN;
}

static void *one_record_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return NULL;
}

static void one_record_stop(struct seq_file *m, void *v)
{
}

int single_open(struct file *file, int (*show)(struct seq_file *, void *), void *data)
{
	struct seq_operations *op = kmalloc(sizeof(*op), GFP_KERNEL);
	int err;

	if (!op)
		return -ENOMEM;
	op->start = one_record_start;
	op->next = one_record_next;
	op->stop = one_record_stop;
	op->show = show;
	err = seq_open(file, op);
	if (err) {
		kfree(op);
		return err;
	}
	((struct seq_file *)file->private_data)->private = data;
	return 0;
}
SHIM_SYMBOL(single_open)

/* Renders every record into m->buf, doubling it until they fit; 0 or -errno. */
static int render(struct seq_file *m)
{
	size_t size = m->size ? m->size : PAGE_SIZE;

	for (;;) {
		loff_t pos = 0;
		int err = 0;
		void *p;

		if (!m->buf) {
			m->buf = kmalloc(size, GFP_KERNEL);
			if (!m->buf)
				return -ENOMEM;
			m->size = size;
		}
		m->count = 0;
		m->index = 0;
		p = m->op->start(m, &pos);
		while (p && !IS_ERR(p)) {
			size_t before = m->count;

			err = m->op->show(m, p);
			if (err < 0)
				break;
			if (err > 0) /* SEQ_SKIP: the record's output is dropped */
				m->count = before;
			err = 0;
			if (m->count == m->size)
				break;
			p = m->op->next(m, p, &pos);
		}
		m->op->stop(m, p);
		if (IS_ERR(p))
			return PTR_ERR(p);
		if (err)
			return err;
		if (m->count < m->size)
			return 0;
		kfree(m->buf);
		m->buf = NULL;
		m->count = 0;
		size = m->size * 2;
		m->size = 0;
		if (size > LINUXSHIM_SEQ_MAX)
			return -ENOMEM;
	}
}

/* The reader's buffer is host memory (a driver host has no user space of its own): copied directly. */
ssize_t seq_read(struct file *file, char __user *buf, size_t size, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	ssize_t n = 0;
	int err = 0;

	mutex_lock(&m->lock);
	if (*ppos == 0 || !m->buf)
		err = render(m);
	if (!err && *ppos >= 0 && *ppos < m->count) {
		n = min_t(size_t, size, m->count - *ppos);
		if (!buf)
			err = -EFAULT;
		else
			memcpy((void __force *)buf, m->buf + *ppos, n);
	}
	if (!err)
		*ppos += n;
	mutex_unlock(&m->lock);
	return err ? err : n;
}
SHIM_SYMBOL(seq_read)

loff_t seq_lseek(struct file *file, loff_t offset, int whence)
{
	switch (whence) {
	case SEEK_CUR:
		offset += file->f_pos;
		fallthrough;
	case SEEK_SET:
		if (offset < 0)
			return -EINVAL;
		file->f_pos = offset;
		return offset;
	}
	return -EINVAL;
}
SHIM_SYMBOL(seq_lseek)

int seq_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	kfree(m->buf);
	kfree(m);
	return 0;
}
SHIM_SYMBOL(seq_release)

int single_release(struct inode *inode, struct file *file)
{
	const struct seq_operations *op = ((struct seq_file *)file->private_data)->op;

	seq_release(inode, file);
	kfree(op);
	return 0;
}
SHIM_SYMBOL(single_release)
