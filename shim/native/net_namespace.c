/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The initial network namespace (net/core/net_namespace.c), the one namespace of a driver host: every device
 * is in it (NetCore's alloc_netdev_mqs() sets dev->nd_net to it), so dev_net(dev) == &init_net holds as on a
 * Linux without other namespaces. It starts as Linux's does before its per-namespace subsystems set up their
 * parts (there are none here): one reference and an empty device list. The shim keeps the devices it
 * registers in NetCore, not on dev_base_head, so for_each_netdev() walks none; nothing the shim runs walks it.
 */
#include <net/net_namespace.h>
#include "shim.h"

struct net init_net = {
	.ns.count = REFCOUNT_INIT(1),
	.dev_base_head = LIST_HEAD_INIT(init_net.dev_base_head),
};
SHIM_SYMBOL(init_net)
