// SPDX-License-Identifier: MIT
// Managed side. List debugging (lib/list_debug.c, CONFIG_DEBUG_LIST): list_add() and list_del() in a
// driver check the neighbours of the entry first. The configurations LinuxShim runs (Debian's) set
// CONFIG_BUG_ON_DATA_CORRUPTION, so a corrupted list is a BUG: the driver ends with the report
// Linux prints, instead of writing through a bad pointer.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class ListDebug
{
    // struct list_head { next; prev; }
    private static nint Next(nint entry) => *(nint*)entry;
    private static nint Prev(nint entry) => *(nint*)(entry + 8);

    /// <summary>Why adding <paramref name="entry"/> between <paramref name="prev"/> and <paramref name="next"/> would corrupt the list, or null.</summary>
    public static string? AddCorruption(nint entry, nint prev, nint next)
    {
        if (prev == 0)
            return $"list_add corruption. prev is NULL.";
        if (next == 0)
            return $"list_add corruption. next is NULL.";
        if (Prev(next) != prev)
            return $"list_add corruption. next->prev should be prev ({prev:x}), but was {Prev(next):x}. (next={next:x}).";
        if (Next(prev) != next)
            return $"list_add corruption. prev->next should be next ({next:x}), but was {Next(prev):x}. (prev={prev:x}).";
        if (entry == prev || entry == next)
            return $"list_add double add: new={entry:x}, prev={prev:x}, next={next:x}.";
        return null;
    }

    /// <summary>Why unlinking <paramref name="entry"/> would corrupt its list, or null.</summary>
    public static string? DelCorruption(nint entry)
    {
        nint prev = Prev(entry), next = Next(entry);
        if (next == 0)
            return $"list_del corruption, {entry:x}->next is NULL";
        if (prev == 0)
            return $"list_del corruption, {entry:x}->prev is NULL";
        if ((ulong)next == ListLayout.Poison1)
            return $"list_del corruption, {entry:x}->next is LIST_POISON1 ({next:x})";
        if ((ulong)prev == ListLayout.Poison2)
            return $"list_del corruption, {entry:x}->prev is LIST_POISON2 ({prev:x})";
        if (Next(prev) != entry)
            return $"list_del corruption. prev->next should be {entry:x}, but was {Next(prev):x}. (prev={prev:x})";
        if (Prev(next) != entry)
            return $"list_del corruption. next->prev should be {entry:x}, but was {Prev(next):x}. (next={next:x})";
        return null;
    }

    // 6.6 renamed them (the check moved inline, the report stayed out of line).
    [KernelSymbol("__list_add_valid"), KernelSymbol("__list_add_valid_or_report"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte ListAddValid(nint entry, nint prev, nint next) => Check(AddCorruption(entry, prev, next));

    [KernelSymbol("__list_del_entry_valid"), KernelSymbol("__list_del_entry_valid_or_report"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte ListDelEntryValid(nint entry) => Check(DelCorruption(entry));

    private static byte Check(string? corruption)
    {
        if (corruption is null)
            return 1;
        Machine.Fatal($"kernel BUG: {corruption}"); // CHECK_DATA_CORRUPTION with CONFIG_BUG_ON_DATA_CORRUPTION
        return 0;
    }
}
