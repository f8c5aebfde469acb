/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The number of interrupt numbers (kernel/irq/irqdesc.c): NR_IRQS, the bound the configuration sets
 * and Linux starts from; every interrupt the host hands out (legacy ones from 16; there is no MSI) is below it.
 */
#include <linux/kernel.h>
#include <linux/irqnr.h>
#include <asm/apicdef.h>
#include <asm/irq_vectors.h>
#include "shim.h"

int nr_irqs = NR_IRQS;
SHIM_SYMBOL(nr_irqs)
