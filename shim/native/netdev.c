/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Network core functions whose net_device fields differ between kernels (net/core/dev.c), in C so that
 * each kernel's headers decide the fields, as DESIGN D13 has version differences tested where they are.
 */
#include <linux/kernel.h>
#include <linux/netdevice.h>
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
