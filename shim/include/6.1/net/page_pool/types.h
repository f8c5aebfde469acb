/* SPDX-License-Identifier: GPL-2.0-only */
/* Not a shadow: Linux 6.1 has no <net/page_pool/types.h>, which 6.6 split out of <net/page_pool.h> (with
 * <net/page_pool/helpers.h>). The shim's layouts (shim/Layout/PagePoolLayout.cs) name struct page_pool's header
 * as the later kernels do; on a kernel that still has <net/page_pool.h>, that is where the struct is. */
#ifndef _LINUXSHIM_NET_PAGE_POOL_TYPES_H
#define _LINUXSHIM_NET_PAGE_POOL_TYPES_H
#if __has_include(<net/page_pool.h>)
#include <net/page_pool.h>
#else
#include_next <net/page_pool/types.h>
#endif
#endif
