/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LinuxShim header for <net/page_pool/types.h> on the kernels before it existed.
 *
 * Replaces: nothing of 6.1 (shim/include/6.1: the kernels before 6.6), which has no <net/page_pool/types.h>; 6.6
 * split struct page_pool out of <net/page_pool.h> into it (with <net/page_pool/helpers.h>).
 * Why: the shim's layouts (shim/Layout/PagePoolLayout.cs) name struct page_pool's header as the later kernels do;
 * on a kernel that still has <net/page_pool.h>, that is where the struct is.
 */
#ifndef _LINUXSHIM_NET_PAGE_POOL_TYPES_H
#define _LINUXSHIM_NET_PAGE_POOL_TYPES_H
#if __has_include(<net/page_pool.h>)
#include <net/page_pool.h>
#else
#include_next <net/page_pool/types.h>
#endif
#endif
