/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PCI bus type (drivers/pci/pci-driver.c). The PCI core is managed (Kernel/PciCore.cs); this object
 * exists so that every PCI device's dev.bus points at it, which dev_is_pci() compares: drivers for
 * devices on several buses (3c59x: PCI, EISA) tell their PCI devices that way.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include "shim.h"

/* typeof keeps the declaration's qualifiers: const since 6.4's const bus types, not before. */
__typeof__(pci_bus_type) pci_bus_type = {
	.name = "pci",
};
SHIM_SYMBOL(pci_bus_type)
