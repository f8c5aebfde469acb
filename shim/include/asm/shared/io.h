/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LinuxShim shadow of <asm/shared/io.h>.
 *
 * Replaces: arch/x86/include/asm/shared/io.h.
 * Why: the real inb()/outb() family are the x86 IN and OUT instructions, which fault in a user-space
 * process (no I/O privilege), and whose ports here belong to an emulated or passed-through device.
 * Instead: each becomes a call into the shim, which routes the port to the device's I/O BAR.
 */
#ifndef _ASM_X86_SHARED_IO_H
#define _ASM_X86_SHARED_IO_H

#include <linux/types.h>
#include <linuxshim/glue.h>

static inline void __outb(u8 value, u16 port) { linuxshim_host_port_out(port, 1, value); }
static inline void __outw(u16 value, u16 port) { linuxshim_host_port_out(port, 2, value); }
static inline void __outl(u32 value, u16 port) { linuxshim_host_port_out(port, 4, value); }
static inline u8 __inb(u16 port) { return linuxshim_host_port_in(port, 1); }
static inline u16 __inw(u16 port) { return linuxshim_host_port_in(port, 2); }
static inline u32 __inl(u16 port) { return linuxshim_host_port_in(port, 4); }

#define inb __inb
#define inw __inw
#define inl __inl
#define outb __outb
#define outw __outw
#define outl __outl

#endif
