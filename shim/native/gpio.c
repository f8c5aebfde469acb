/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Setting a GPIO line (drivers/gpio/gpiolib.c), in C because the setters' result changed: void in 6.1, int in
 * 6.12.y (stable took the change). The definitions take whatever type their declaration has. No GPIO controller
 * exists here (shim/Kernel/Gpio.cs): a line is only ever NULL (an optional line that is absent), which needs nothing
 * and succeeds, or an error pointer a getter returned, which is that error, as VALIDATE_DESC_VOID makes them.
 */
#include <linux/err.h>
#include <linux/gpio/consumer.h>
#include "shim.h"

static int linuxshim_gpiod_set(struct gpio_desc *desc)
{
	return IS_ERR(desc) ? PTR_ERR(desc) : 0;
}

__typeof__(gpiod_set_value(NULL, 0)) gpiod_set_value(struct gpio_desc *desc, int value)
{
	return (__typeof__(gpiod_set_value(NULL, 0)))linuxshim_gpiod_set(desc);
}
SHIM_SYMBOL(gpiod_set_value)

__typeof__(gpiod_set_value_cansleep(NULL, 0)) gpiod_set_value_cansleep(struct gpio_desc *desc, int value)
{
	return (__typeof__(gpiod_set_value_cansleep(NULL, 0)))linuxshim_gpiod_set(desc);
}
SHIM_SYMBOL(gpiod_set_value_cansleep)
