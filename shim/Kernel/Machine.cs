// SPDX-License-Identifier: MIT
// Managed side. The state of the one machine a driver host emulates: its memory, its loaded driver
// image, where its log goes. Subsystems reach it from their kernel-symbol entry points, which have
// no other context.
namespace LinuxShim.Shim.Kernel;

public static class Machine
{
    private static PhysicalMemory? _memory;
    private static HeapAllocator? _heap;

    public static PhysicalMemory Memory => _memory ?? throw new InvalidOperationException("the machine has no memory yet");
    public static HeapAllocator Heap => _heap ?? throw new InvalidOperationException("the machine has no memory yet");

    internal static Host.DriverLibrary? Library { get; set; }

    /// <summary>Where driver log lines go (level, text); stderr by default.</summary>
    public static Action<int, string> Log { get; set; } = (level, text) => Console.Error.WriteLine($"<{level}> {text}");

    /// <summary>Kernel configuration values the host needs (HZ…), read from the driver image.</summary>
    public static int Hz { get; internal set; } = 250;

    internal static void Boot(ulong memoryBytes)
    {
        _memory = new PhysicalMemory(memoryBytes);
        _heap = new HeapAllocator(_memory);
    }

    /// <summary>Reports a fatal error of the driver (a kernel "panic"/BUG) and ends the host.</summary>
    /// <summary>Exit statuses of a host that ends itself: an unimplemented symbol; an interrupt storm.</summary>
    public const int ExitUnimplemented = 70, ExitInterruptStorm = 71;

    /// <summary>Ends the host with <paramref name="status"/> after saying why (the supervisor reads both).</summary>
    public static Action<string, int> Abort { get; set; } = (message, status) =>
    {
        Console.Error.WriteLine($"linuxshim-host: {message}");
        Console.Error.Flush();
        Environment.Exit(status);
    };

    public static Action<string> Fatal { get; set; } = message => Abort!(message, ExitUnimplemented);
}
