// SPDX-License-Identifier: MIT
// Managed side. The firmware loader (drivers/base/firmware_loader): no firmware directory is granted
// to a driver host yet, so every firmware file is absent, and request_firmware() says so as Linux
// does for a missing file (-ENOENT, *fw NULL). Drivers with optional microcode (e100) carry on without it.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Firmware
{
    private const int Enoent = 2;

    [KernelSymbol("request_firmware"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int RequestFirmware(nint* fw, nint name, nint device)
    {
        *fw = 0;
        Machine.Log(4, $"Direct firmware load for {Marshal.PtrToStringUTF8(name)} failed with error -{Enoent} (no firmware directory granted to this host)");
        return -Enoent;
    }

    [KernelSymbol("release_firmware"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void ReleaseFirmware(nint fw)
    {
        if (fw != 0) // NULL is allowed; nothing else was ever handed out
            Machine.Fatal($"release_firmware(0x{fw:x}): no such firmware was loaded");
    }
}
