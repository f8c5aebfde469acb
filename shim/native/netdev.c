/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Network core functions whose net_device fields differ between kernels (net/core/dev.c), in C so that
 * each kernel's headers decide the fields, as DESIGN D13 has version differences tested where they are.
 */
#include <linux/kernel.h>
#include <linux/netdevice.h>
#include <linux/ethtool.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <linux/version.h>
#include "shim.h"

/*
 * netif_set_tso_max_size(): the largest TSO packet the device takes, and the GSO sizes the stack uses
 * lowered to it (net/core/dev.h's netif_set_gso_max_size(); since 6.3 the IPv4 size as well).
 */
void netif_set_tso_max_size(struct net_device *dev, unsigned int size)
{
	dev->tso_max_size = min(GSO_MAX_SIZE, size);
	if (size < READ_ONCE(dev->gso_max_size)) {
		WRITE_ONCE(dev->gso_max_size, size);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
		if (size <= GSO_LEGACY_MAX_SIZE)
			WRITE_ONCE(dev->gso_ipv4_max_size, size);
#endif
	}
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	if (size < READ_ONCE(dev->gso_ipv4_max_size))
		WRITE_ONCE(dev->gso_ipv4_max_size, size);
#endif
}
SHIM_SYMBOL(netif_set_tso_max_size)

/*
 * What alloc_netdev_mqs() allocates beside the device that only some kernels have (the host calls these through
 * the glue): since 6.9 the ethtool core's per-device state (dev->ethtool: RSS contexts, whether Wake-on-LAN is
 * on), which phy_suspend() and the ethtool core dereference; free_netdev() releases it.
 */
int linuxshim_netdev_alloc_parts(struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	dev->ethtool = kzalloc(sizeof(*dev->ethtool), GFP_KERNEL_ACCOUNT);
	if (!dev->ethtool)
		return -ENOMEM;
	xa_init_flags(&dev->ethtool->rss_ctx, XA_FLAGS_ALLOC1);
	mutex_init(&dev->ethtool->rss_lock);
#endif
	return 0;
}

void linuxshim_netdev_free_parts(struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	kfree(dev->ethtool);
	dev->ethtool = NULL;
#endif
}
