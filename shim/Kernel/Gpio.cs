// SPDX-License-Identifier: MIT
// Managed side. GPIO descriptors, consumer side (drivers/gpio/gpiolib.c, gpiolib-devres.c). This machine has no
// GPIO controller, so no device or firmware node has a GPIO: the optional getters answer NULL, the others
// ERR_PTR(-ENOENT), as gpiod_get_index() does when no lookup finds the function. As gpiolib's VALIDATE_DESC
// lets them, the value and name calls take a NULL descriptor (an absent optional GPIO) as a no-op and an error
// pointer as that error; gpiod_to_irq() of either is -EINVAL. No call ever gets a descriptor, so one passed in
// is not this host's.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Gpio
{
    private const int ENoent = 2, EInval = 22;

    private static bool IsErr(nint p) => (ulong)p >= unchecked((ulong)-4095);

    [KernelSymbol("gpiod_get_optional"), KernelSymbol("devm_gpiod_get_optional"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint GpiodGetOptional(nint dev, nint conId, uint flags) => 0;

    [KernelSymbol("gpiod_get_index_optional"), KernelSymbol("devm_gpiod_get_index_optional"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint GpiodGetIndexOptional(nint dev, nint conId, uint index, uint flags) => 0;

    [KernelSymbol("gpiod_get"), KernelSymbol("devm_gpiod_get"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint GpiodGet(nint dev, nint conId, uint flags) => -ENoent;

    [KernelSymbol("gpiod_get_index"), KernelSymbol("devm_gpiod_get_index"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint GpiodGetIndex(nint dev, nint conId, uint index, uint flags) => -ENoent;

    // A firmware node's "<con_id>-gpios" (phylink's and fixed_phy's link GPIO of a fixed link): none.
    [KernelSymbol("fwnode_gpiod_get_index"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint FwnodeGpiodGetIndex(nint fwnode, nint conId, int index, uint flags, nint label) => -ENoent;

    /// <summary>VALIDATE_DESC: 0 for NULL (an absent optional GPIO), the error of an error pointer; a real descriptor is none of this host's.</summary>
    private static int Validate(nint desc, string caller)
    {
        if (desc == 0)
            return 0;
        if (IsErr(desc))
        {
            Machine.Log(4, $"{caller}: invalid GPIO (errorpointer)");
            return (int)desc;
        }
        Machine.Fatal($"{caller}(0x{desc:x}): not a GPIO descriptor of this host (it has none)");
        return -EInval;
    }

    // gpiod_put() of NULL does nothing; gpiolib would free a real one.
    [KernelSymbol("gpiod_put"), KernelSymbol("devm_gpiod_put"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void GpiodPut(nint desc)
    {
        if (desc != 0)
            Validate(desc, "gpiod_put");
    }

    [KernelSymbol("gpiod_set_consumer_name"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int GpiodSetConsumerName(nint desc, nint name) => Validate(desc, "gpiod_set_consumer_name");

    // gpiod_set_value() and gpiod_set_value_cansleep() are in native/gpio.c: their result type differs between kernels.

    [KernelSymbol("gpiod_get_value_cansleep"), KernelSymbol("gpiod_get_value"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int GpiodGetValueCansleep(nint desc) => Validate(desc, "gpiod_get_value_cansleep");

    [KernelSymbol("gpiod_to_irq"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int GpiodToIrq(nint desc)
    {
        if (desc != 0 && !IsErr(desc))
            Validate(desc, "gpiod_to_irq");
        return -EInval;
    }
}
