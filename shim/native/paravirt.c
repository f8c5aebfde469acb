/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Paravirtualised operations (arch/x86/kernel/paravirt.c). With CONFIG_PARAVIRT_XXL, local_irq_save(),
 * local_irq_disable() and friends in a driver are indirect calls through pv_ops (the kernel patches
 * them into pushf/cli at boot; nothing patches a driver .so). On the shim's one CPU (DESIGN D5)
 * interrupts are delivered only to the context holding the CPU, as spin_lock_irqsave() is emulated:
 * save_fl reports interrupts enabled and disabling/enabling them changes nothing a driver can see.
 * io_delay waits 2 us, Linux's io_delay=udelay. Every other operation is a privileged instruction a
 * driver has no business with: its slot reports the call and ends the driver, like a missing symbol.
 */
#include <linux/kernel.h>
#include <linux/delay.h>
#include <asm/paravirt.h>
#include "shim.h"

#ifdef CONFIG_PARAVIRT_XXL
/*
 * Callers of the irq operations expect every register but %rax preserved (the callee-save convention of
 * asm/paravirt_types.h). These two need no register at all, so they are written out rather than wrapped
 * in PV_CALLEE_SAVE_REGS_THUNK(), whose return goes through the kernel's return thunk.
 */
unsigned long linuxshim_pv_save_fl(void);
void linuxshim_pv_irq_nop(void);
asm(".pushsection .text\n"
    ".hidden linuxshim_pv_save_fl\n.globl linuxshim_pv_save_fl\n.type linuxshim_pv_save_fl, @function\n"
    "linuxshim_pv_save_fl:\n\tmovl $0x200, %eax\n\tret\n"
    ".size linuxshim_pv_save_fl, .-linuxshim_pv_save_fl\n"
    ".hidden linuxshim_pv_irq_nop\n.globl linuxshim_pv_irq_nop\n.type linuxshim_pv_irq_nop, @function\n"
    "linuxshim_pv_irq_nop:\n\tret\n"
    ".size linuxshim_pv_irq_nop, .-linuxshim_pv_irq_nop\n"
    ".popsection\n");
static_assert(X86_EFLAGS_IF == 0x200, "save_fl answers interrupts enabled");
#endif

static void linuxshim_io_delay(void)
{
	udelay(2);
}

static void linuxshim_pv_unimplemented(void)
{
	linuxshim_unimplemented("pv_ops (a privileged operation)", __builtin_return_address(0));
}

struct paravirt_patch_template pv_ops = {
	.cpu.io_delay = linuxshim_io_delay,
#ifdef CONFIG_PARAVIRT_XXL
	.irq.save_fl = __PV_IS_CALLEE_SAVE(linuxshim_pv_save_fl),
	.irq.irq_disable = __PV_IS_CALLEE_SAVE(linuxshim_pv_irq_nop),
	.irq.irq_enable = __PV_IS_CALLEE_SAVE(linuxshim_pv_irq_nop),
#endif
};
SHIM_SYMBOL(pv_ops)

static_assert(sizeof(pv_ops) % sizeof(void *) == 0, "pv_ops is a table of pointers");

/* The slots left empty above: each one traps. */
static void __attribute__((constructor)) linuxshim_pv_ops_fill(void)
{
	void **slot = (void **)&pv_ops;
	size_t i;

	for (i = 0; i < sizeof(pv_ops) / sizeof(void *); i++)
		if (!slot[i])
			slot[i] = linuxshim_pv_unimplemented;
}

#ifdef ALT_CALL_INSTR
/*
 * Since 6.8 a paravirt call's alternatives name BUG_func (arch/x86/kernel/alternative.c), which boot-time
 * patching never leaves in place; nothing patches a driver .so, so its unpatched pv_ops call runs instead.
 */
void BUG_func(void)
{
	linuxshim_host_panic("BUG_func: an unpatched alternative call", __builtin_return_address(0), __builtin_frame_address(0));
}
SHIM_SYMBOL(BUG_func)
#endif

