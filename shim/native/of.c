/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Native side of the device tree (shim/Kernel/OpenFirmware.cs, Property.cs). of_fwnode_ops is a data object:
 * is_of_node() compares fwnode->ops with its address and the headers' inline helpers call its members
 * directly, so it is defined here, in the driver image, and the host finds it (dlsym) to put in every node it
 * unflattens. Its members do what drivers/of/property.c's do, through the exported of_* calls (the managed
 * ones). The phy-mode lookups are here because the names are the kernel's own phy_modes() (inline, and the
 * modes differ between kernels), and the modalias because it formats into a uevent buffer.
 */
/*
 * Declared by the headers with a const that came and went between kernels; renamed while the headers are read, so
 * the definitions below (the same ABI) do not conflict with whichever declaration this kernel has.
 */
#define fwnode_get_phy_mode linuxshim_header_fwnode_get_phy_mode
#define of_device_uevent_modalias linuxshim_header_of_device_uevent_modalias
#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/errno.h>
#include <linux/kobject.h>
#include <linux/of.h>
#include <linux/of_device.h>
#include <linux/of_net.h>
#include <linux/phy.h>
#include <linux/property.h>
#include <linux/string.h>
#include "shim.h"
#undef fwnode_get_phy_mode
#undef of_device_uevent_modalias

int fwnode_get_phy_mode(struct fwnode_handle *fwnode);
int device_get_phy_mode(struct device *dev);
int of_device_uevent_modalias(struct device *dev, struct kobj_uevent_env *env);

/* strcasecmp() over the ASCII names phy_modes() gives (as lib/string.c compares them), kept here so that a driver
 * image has no strcasecmp() to import because of these lookups. */
static int phy_mode_name_eq(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? *a - 'A' + 'a' : *a;
		char y = *b >= 'A' && *b <= 'Z' ? *b - 'A' + 'a' : *b;

		if (x != y)
			return 0;
		if (!x)
			return 1;
	}
}

/* fwnode_get_phy_mode(): "phy-mode", else "phy-connection-type", as a phy_interface_t of this kernel (compared
 * case-insensitively with phy_modes()); -ENODEV for a name it does not know. */
int fwnode_get_phy_mode(struct fwnode_handle *fwnode)
{
	const char *pm;
	int err, i;

	err = fwnode_property_read_string(fwnode, "phy-mode", &pm);
	if (err < 0)
		err = fwnode_property_read_string(fwnode, "phy-connection-type", &pm);
	if (err < 0)
		return err;
	for (i = 0; i < PHY_INTERFACE_MODE_MAX; i++)
		if (phy_mode_name_eq(pm, phy_modes(i)))
			return i;
	return -ENODEV;
}
SHIM_SYMBOL(fwnode_get_phy_mode)

int device_get_phy_mode(struct device *dev)
{
	return fwnode_get_phy_mode(dev_fwnode(dev));
}
SHIM_SYMBOL(device_get_phy_mode)

#ifdef CONFIG_OF
/* of_get_phy_mode() (net/core/of_net.c): the same over a device_node, the mode through *interface
 * (PHY_INTERFACE_MODE_NA when there is none). */
int of_get_phy_mode(struct device_node *np, phy_interface_t *interface)
{
	const char *pm;
	int err, i;

	*interface = PHY_INTERFACE_MODE_NA;
	err = of_property_read_string(np, "phy-mode", &pm);
	if (err < 0)
		err = of_property_read_string(np, "phy-connection-type", &pm);
	if (err < 0)
		return err;
	for (i = 0; i < PHY_INTERFACE_MODE_MAX; i++)
		if (phy_mode_name_eq(pm, phy_modes(i))) {
			*interface = i;
			return 0;
		}
	return -ENODEV;
}
SHIM_SYMBOL(of_get_phy_mode)

/* of_device_uevent_modalias(): MODALIAS=of:N<name>T<device_type>C<compatible>C<compatible>..., as of_modalias()
 * writes it (spaces in a compatible become '_'); -ENODEV for a device without its own node. */
int of_device_uevent_modalias(struct device *dev, struct kobj_uevent_env *env)
{
	const struct device_node *np = dev ? dev->of_node : NULL;
	const char *type, *compat;
	int len, room, n;
	char *p;

	if (!np || dev->of_node_reused)
		return -ENODEV;
	if (add_uevent_var(env, "MODALIAS="))
		return -ENOMEM;
	/* Appended to the value just added: over its NUL, to the end of the buffer. */
	p = &env->buf[env->buflen - 1];
	room = sizeof(env->buf) - env->buflen;
	type = of_get_property(np, "device_type", NULL);
	n = snprintf(p, room, "of:N%sT%s", np->name, type ? type : "(null)");
	if (n >= room)
		return -ENOMEM;
	len = n;
	compat = of_get_property(np, "compatible", &n);
	for (; compat && n > 0; ) {
		int l = strnlen(compat, n) + 1;
		char *c;

		if (len + 1 + l - 1 >= room)
			return -ENOMEM;
		p[len] = 'C';
		memcpy(p + len + 1, compat, l - 1);
		for (c = p + len + 1; c < p + len + l; c++)
			if (*c == ' ')
				*c = '_';
		len += l;
		p[len] = 0;
		compat += l;
		n -= l;
	}
	env->buflen += len;
	return 0;
}
SHIM_SYMBOL(of_device_uevent_modalias)

/* of_fwnode_ops (drivers/of/property.c): the device tree's fwnode operations. */
static struct fwnode_handle *of_fwnode_get(struct fwnode_handle *fwnode)
{
	return of_fwnode_handle(of_node_get(to_of_node(fwnode)));
}

static void of_fwnode_put(struct fwnode_handle *fwnode)
{
	of_node_put(to_of_node(fwnode));
}

static bool of_fwnode_device_is_available(const struct fwnode_handle *fwnode)
{
	return of_device_is_available(to_of_node(fwnode));
}

static const void *of_fwnode_device_get_match_data(const struct fwnode_handle *fwnode, const struct device *dev)
{
	return of_device_get_match_data(dev);
}

/* x86 has no DMA-incoherent devices: every node's DMA is coherent (of_dma_is_coherent()'s default there). */
static bool of_fwnode_device_dma_supported(const struct fwnode_handle *fwnode)
{
	return true;
}

static enum dev_dma_attr of_fwnode_device_get_dma_attr(const struct fwnode_handle *fwnode)
{
	return DEV_DMA_COHERENT;
}

static bool of_fwnode_property_present(const struct fwnode_handle *fwnode, const char *propname)
{
	return of_find_property(to_of_node(fwnode), propname, NULL) != NULL;
}

static int of_fwnode_property_read_int_array(const struct fwnode_handle *fwnode, const char *propname,
					     unsigned int elem_size, void *val, size_t nval)
{
	const struct device_node *node = to_of_node(fwnode);

	if (!val)
		return of_property_count_elems_of_size(node, propname, elem_size);
	switch (elem_size) {
	case sizeof(u8):
		return of_property_read_u8_array(node, propname, val, nval);
	case sizeof(u16):
		return of_property_read_u16_array(node, propname, val, nval);
	case sizeof(u32):
		return of_property_read_u32_array(node, propname, val, nval);
	case sizeof(u64):
		return of_property_read_u64_array(node, propname, val, nval);
	default:
		return -ENXIO;
	}
}

static int of_fwnode_property_read_string_array(const struct fwnode_handle *fwnode, const char *propname,
						const char **val, size_t nval)
{
	const struct device_node *node = to_of_node(fwnode);

	return val ? of_property_read_string_array(node, propname, val, nval) : of_property_count_strings(node, propname);
}

/* kbasename() of the full_name, without the strrchr() it would import. */
static const char *of_fwnode_get_name(const struct fwnode_handle *fwnode)
{
	const char *name = to_of_node(fwnode)->full_name, *p;

	for (p = name; *p; p++)
		if (*p == '/')
			name = p + 1;
	return name;
}

static const char *of_fwnode_get_name_prefix(const struct fwnode_handle *fwnode)
{
	return to_of_node(fwnode)->parent ? "/" : "";
}

static struct fwnode_handle *of_fwnode_get_parent(const struct fwnode_handle *fwnode)
{
	return of_fwnode_handle(of_get_parent(to_of_node(fwnode)));
}

static struct fwnode_handle *of_fwnode_get_next_child_node(const struct fwnode_handle *fwnode, struct fwnode_handle *child)
{
	return of_fwnode_handle(of_get_next_available_child(to_of_node(fwnode), to_of_node(child)));
}

static struct fwnode_handle *of_fwnode_get_named_child_node(const struct fwnode_handle *fwnode, const char *childname)
{
	const struct device_node *node = to_of_node(fwnode);
	struct device_node *child;

	for (child = of_get_next_available_child(node, NULL); child; child = of_get_next_available_child(node, child))
		if (of_node_name_eq(child, childname))
			return of_fwnode_handle(child);
	return NULL;
}

/* The reference lookup goes to the managed fwnode_property_get_reference_args(), which answers a device-tree
 * node as of_fwnode_get_reference_args() does. */
static int of_fwnode_get_reference_args(const struct fwnode_handle *fwnode, const char *prop, const char *nargs_prop,
					unsigned int nargs, unsigned int index, struct fwnode_reference_args *args)
{
	return fwnode_property_get_reference_args(fwnode, prop, nargs_prop, nargs, index, args);
}

/* Interrupts come from a platform device's resources, not from the tree (Property.cs: fwnode_irq_get). */
static int of_fwnode_irq_get(const struct fwnode_handle *fwnode, unsigned int index)
{
	return fwnode_irq_get(fwnode, index);
}

/* Graph endpoints, iomap and device links are not offered: fwnode_call_*_op() answers their absence. */
const struct fwnode_operations of_fwnode_ops = {
	.get = of_fwnode_get,
	.put = of_fwnode_put,
	.device_is_available = of_fwnode_device_is_available,
	.device_get_match_data = of_fwnode_device_get_match_data,
	.device_dma_supported = of_fwnode_device_dma_supported,
	.device_get_dma_attr = of_fwnode_device_get_dma_attr,
	.property_present = of_fwnode_property_present,
	.property_read_int_array = of_fwnode_property_read_int_array,
	.property_read_string_array = of_fwnode_property_read_string_array,
	.get_name = of_fwnode_get_name,
	.get_name_prefix = of_fwnode_get_name_prefix,
	.get_parent = of_fwnode_get_parent,
	.get_next_child_node = of_fwnode_get_next_child_node,
	.get_named_child_node = of_fwnode_get_named_child_node,
	.get_reference_args = of_fwnode_get_reference_args,
	.irq_get = of_fwnode_irq_get,
};
SHIM_SYMBOL(of_fwnode_ops)
#endif
