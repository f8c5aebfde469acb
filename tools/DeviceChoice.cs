// SPDX-License-Identifier: MIT
// Managed side. The NIC model a command runs a port on, as the command line names it: --device, else the
// port's device line; a name no model has is a usage error.
using LinuxShim.Devices;
using LinuxShim.Import.Port;

namespace LinuxShim.Tools;

public static class DeviceChoice
{
    /// <summary>The device a command runs a port on: --device, else the port's device line.</summary>
    public static string Of(CommandLine cl, PortRecipe recipe) =>
        Model(cl.Get("device") ?? recipe.Device ?? throw new UsageException(
            $"{recipe.Folder}/{PortRecipe.FileName} names no device (add e.g. 'device = rtl8139') and no --device was given"));

    /// <summary>The model <paramref name="name"/> names (aliases resolved), or a usage error.</summary>
    public static string Model(string name)
    {
        try
        {
            return DeviceModels.ModelName(name);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
