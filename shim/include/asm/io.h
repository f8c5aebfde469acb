/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LinuxShim shadow of <asm/io.h>.
 *
 * Replaces: arch/x86/include/asm/io.h (6.1).
 * Why: the real readb()..writeq() and their __raw_/_relaxed variants are inline MOV instructions on
 * the ioremap()ed address. In the shim a BAR that the device cannot map into this process (every
 * vfio-user BAR) is an inaccessible address range (shim/Kernel/Io.cs), so such a MOV kills the
 * driver; and the device is in another process, so each access must become a message anyway.
 * The real header's `rep ins`/`rep outs` string port I/O faults in user space as IN/OUT do.
 * Instead: x86 provides only the eight __raw_ accessors, as calls into the shim; <asm-generic/io.h>
 * (which x86 includes too) builds readb()..writeq(), the _relaxed forms and readsb()..writesq() on
 * them, with the same barriers it gives every architecture that defines only __raw_ accessors.
 * String port I/O (insb()..outsl()) and readsb()..writesq() are one shim call each, which the device
 * channel makes one message (a data port read N times), not N; the _p forms come from <asm-generic/io.h>.
 * memcpy_fromio(), memcpy_toio() and memset_io() stay out-of-line kernel functions, as on x86.
 * Everything else is declared as in the real header, so what includes <asm/io.h> sees the same names.
 */
#ifndef _ASM_X86_IO_H
#define _ASM_X86_IO_H

#define ARCH_HAS_IOREMAP_WC
#define ARCH_HAS_IOREMAP_WT

#include <linux/string.h>
#include <linux/compiler.h>
#include <linux/cc_platform.h>
#include <asm/page.h>
#include <asm/early_ioremap.h>
#include <asm/pgtable_types.h>
#include <asm/shared/io.h>
/* A register access of a BAR: the shim finds the BAR by address and forwards it to the device. */
#include <linuxshim/glue.h>

#define __raw_readb __raw_readb
static inline u8 __raw_readb(const volatile void __iomem *addr) { return linuxshim_host_mmio_read(addr, 1); }
#define __raw_readw __raw_readw
static inline u16 __raw_readw(const volatile void __iomem *addr) { return linuxshim_host_mmio_read(addr, 2); }
#define __raw_readl __raw_readl
static inline u32 __raw_readl(const volatile void __iomem *addr) { return linuxshim_host_mmio_read(addr, 4); }
#define __raw_readq __raw_readq
static inline u64 __raw_readq(const volatile void __iomem *addr) { return linuxshim_host_mmio_read(addr, 8); }

#define __raw_writeb __raw_writeb
static inline void __raw_writeb(u8 value, volatile void __iomem *addr) { linuxshim_host_mmio_write(addr, 1, value); }
#define __raw_writew __raw_writew
static inline void __raw_writew(u16 value, volatile void __iomem *addr) { linuxshim_host_mmio_write(addr, 2, value); }
#define __raw_writel __raw_writel
static inline void __raw_writel(u32 value, volatile void __iomem *addr) { linuxshim_host_mmio_write(addr, 4, value); }
#define __raw_writeq __raw_writeq
static inline void __raw_writeq(u64 value, volatile void __iomem *addr) { linuxshim_host_mmio_write(addr, 8, value); }

/* x86 has readq()/writeq() natively; <asm-generic/io.h> defines them under CONFIG_64BIT. */

#define ARCH_HAS_VALID_PHYS_ADDR_RANGE
extern int valid_phys_addr_range(phys_addr_t addr, size_t size);
extern int valid_mmap_phys_addr_range(unsigned long pfn, size_t size);

static inline phys_addr_t virt_to_phys(volatile void *address)
{
	return __pa(address);
}
#define virt_to_phys virt_to_phys

static inline void *phys_to_virt(phys_addr_t address)
{
	return __va(address);
}
#define phys_to_virt phys_to_virt

#define page_to_phys(page)    ((dma_addr_t)page_to_pfn(page) << PAGE_SHIFT)

static inline unsigned int isa_virt_to_bus(volatile void *address)
{
	return (unsigned int)virt_to_phys(address);
}
#define isa_bus_to_virt		phys_to_virt

extern void __iomem *ioremap_uc(resource_size_t offset, unsigned long size);
#define ioremap_uc ioremap_uc
extern void __iomem *ioremap_cache(resource_size_t offset, unsigned long size);
#define ioremap_cache ioremap_cache
extern void __iomem *ioremap_prot(resource_size_t offset, unsigned long size, unsigned long prot_val);
#define ioremap_prot ioremap_prot
extern void __iomem *ioremap_encrypted(resource_size_t phys_addr, unsigned long size);
#define ioremap_encrypted ioremap_encrypted

void __iomem *ioremap(resource_size_t offset, unsigned long size);
#define ioremap ioremap

extern void iounmap(volatile void __iomem *addr);
#define iounmap iounmap

#ifdef __KERNEL__

void memcpy_fromio(void *, const volatile void __iomem *, size_t);
void memcpy_toio(volatile void __iomem *, const void *, size_t);
void memset_io(volatile void __iomem *, int, size_t);

#define memcpy_fromio memcpy_fromio
#define memcpy_toio memcpy_toio
#define memset_io memset_io

#include <asm-generic/iomap.h>

#define __ISA_IO_base ((char __iomem *)(PAGE_OFFSET))

#endif /* __KERNEL__ */

extern void native_io_delay(void);

extern int io_delay_type;
extern void io_delay_init(void);

#if defined(CONFIG_PARAVIRT)
#include <asm/paravirt.h>
#endif

/* rep ins/outs: count accesses of one port in one call, which the shim makes one device message. */

#define LINUXSHIM_STRING_PORT_IO(bwl, type)					\
static inline void outs##bwl(u16 port, const void *addr, unsigned long count)	\
{										\
	linuxshim_host_port_outs(port, sizeof(type), addr, count);		\
}										\
										\
static inline void ins##bwl(u16 port, void *addr, unsigned long count)		\
{										\
	linuxshim_host_port_ins(port, sizeof(type), addr, count);		\
}

LINUXSHIM_STRING_PORT_IO(b, u8)
LINUXSHIM_STRING_PORT_IO(w, u16)
LINUXSHIM_STRING_PORT_IO(l, u32)
#undef LINUXSHIM_STRING_PORT_IO

/* readsb()..writesq(): a string of accesses to one MMIO register, one shim call (asm-generic loops instead). */

#define LINUXSHIM_STRING_MMIO(bwlq, type)						\
static inline void reads##bwlq(const volatile void __iomem *addr, void *buffer,	\
			       unsigned int count)				\
{											\
	linuxshim_host_mmio_reads(addr, sizeof(type), buffer, count);			\
}											\
											\
static inline void writes##bwlq(volatile void __iomem *addr, const void *buffer,	\
				unsigned int count)				\
{											\
	linuxshim_host_mmio_writes(addr, sizeof(type), buffer, count);			\
}

LINUXSHIM_STRING_MMIO(b, u8)
LINUXSHIM_STRING_MMIO(w, u16)
LINUXSHIM_STRING_MMIO(l, u32)
LINUXSHIM_STRING_MMIO(q, u64)
#undef LINUXSHIM_STRING_MMIO

#define readsb readsb
#define readsw readsw
#define readsl readsl
#define readsq readsq
#define writesb writesb
#define writesw writesw
#define writesl writesl
#define writesq writesq

#define insb insb
#define insw insw
#define insl insl
#define outsb outsb
#define outsw outsw
#define outsl outsl

extern void *xlate_dev_mem_ptr(phys_addr_t phys);
extern void unxlate_dev_mem_ptr(phys_addr_t phys, void *addr);

#define xlate_dev_mem_ptr xlate_dev_mem_ptr
#define unxlate_dev_mem_ptr unxlate_dev_mem_ptr

extern int ioremap_change_attr(unsigned long vaddr, unsigned long size,
				enum page_cache_mode pcm);
extern void __iomem *ioremap_wc(resource_size_t offset, unsigned long size);
#define ioremap_wc ioremap_wc
extern void __iomem *ioremap_wt(resource_size_t offset, unsigned long size);
#define ioremap_wt ioremap_wt

extern bool is_early_ioremap_ptep(pte_t *ptep);

#define IO_SPACE_LIMIT 0xffff

#include <asm-generic/io.h>
#undef PCI_IOBASE

#ifdef CONFIG_MTRR
extern int __must_check arch_phys_wc_index(int handle);
#define arch_phys_wc_index arch_phys_wc_index

extern int __must_check arch_phys_wc_add(unsigned long base,
					 unsigned long size);
extern void arch_phys_wc_del(int handle);
#define arch_phys_wc_add arch_phys_wc_add
#endif

#ifdef CONFIG_X86_PAT
extern int arch_io_reserve_memtype_wc(resource_size_t start, resource_size_t size);
extern void arch_io_free_memtype_wc(resource_size_t start, resource_size_t size);
#define arch_io_reserve_memtype_wc arch_io_reserve_memtype_wc
#endif

#ifdef CONFIG_AMD_MEM_ENCRYPT
extern bool arch_memremap_can_ram_remap(resource_size_t offset,
					unsigned long size,
					unsigned long flags);
#define arch_memremap_can_ram_remap arch_memremap_can_ram_remap

extern bool phys_mem_access_encrypted(unsigned long phys_addr,
				      unsigned long size);
#else
static inline bool phys_mem_access_encrypted(unsigned long phys_addr,
					     unsigned long size)
{
	return true;
}
#endif

/* Each MOVDIR64B (one 64-byte posted write to the same portal) becomes a 64-byte memcpy_toio(). */
static inline void iosubmit_cmds512(void __iomem *dst, const void *src,
				    size_t count)
{
	const u8 *from = src;
	const u8 *end = from + count * 64;

	while (from < end) {
		memcpy_toio(dst, from, 64);
		from += 64;
	}
}

#endif /* _ASM_X86_IO_H */
