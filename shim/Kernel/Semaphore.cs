// SPDX-License-Identifier: MIT
// Managed side. Counting semaphores (kernel/locking/semaphore.c). On the shim's one CPU the count is
// only touched by the context holding the CPU; a down() that finds it 0 gives the CPU up until an up()
// wakes the waiters (DESIGN D5). Nothing sends a driver host's kernel threads signals, so
// down_interruptible() is never interrupted.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Semaphore
{
    /// <summary>Takes one unit of the count at <paramref name="count"/>, waiting for an up() while there is none.</summary>
    public static void Down(uint* count)
    {
        Cpu.WaitUntil(() => *count > 0);
        (*count)--;
    }

    /// <summary>Takes one unit if there is one; true when taken.</summary>
    public static bool TryDown(uint* count)
    {
        if (*count == 0)
            return false;
        (*count)--;
        return true;
    }

    public static void Up(uint* count)
    {
        (*count)++;
        Cpu.WakeAll();
    }

    [KernelSymbol("down"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DownEntry(nint sem) => Down((uint*)sem.At(SemaphoreLayout.Count));

    [KernelSymbol("down_interruptible"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DownInterruptible(nint sem)
    {
        Down((uint*)sem.At(SemaphoreLayout.Count));
        return 0;
    }

    // Returns 0 when it took the semaphore, 1 when it could not (the opposite of mutex_trylock()).
    [KernelSymbol("down_trylock"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DownTrylock(nint sem) => TryDown((uint*)sem.At(SemaphoreLayout.Count)) ? 0 : 1;

    [KernelSymbol("up"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void UpEntry(nint sem) => Up((uint*)sem.At(SemaphoreLayout.Count));
}
