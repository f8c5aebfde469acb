// SPDX-License-Identifier: MIT
// Managed side. The interrupt handlers of one function, one thread each, for both VFIO backends:
// checks the vector, replaces an earlier handler, and lets the backend register the eventfd.
using LinuxShim.Posix;
using LinuxShim.Shim.Pci;
using LinuxShim.VfioUser;

namespace LinuxShim.Shim.Vfio;

internal sealed class InterruptHandlers(int[] counts, string owner) : IDisposable
{
    private readonly Dictionary<(PciIrqKind, int), InterruptThread> threads = [];

    public int Count(PciIrqKind kind) => counts[IrqIndex(kind)];

    /// <summary>
    /// Routes (kind, vector) to <paramref name="handler"/>; <paramref name="register"/> tells the device
    /// (VFIO index, vector, eventfd or null to disconnect) and may throw, leaving nothing routed. The
    /// thread of an earlier handler is stopped but not waited for (the caller may hold the lock that
    /// handler is waiting for): a call of it already under way can still complete afterwards.
    /// </summary>
    public void Set(PciIrqKind kind, int vector, Action? handler, Action<int, int, EventFd?> register)
    {
        int index = IrqIndex(kind);
        if (vector < 0 || vector >= counts[index])
            throw new ArgumentOutOfRangeException(nameof(vector), $"{kind} has {counts[index]} vectors");
        lock (threads)
        {
            if (threads.Remove((kind, vector), out var old))
                old.Dispose();
            var thread = handler is null ? null : new InterruptThread($"{owner} {kind} {vector}", handler);
            try
            {
                register(index, vector, thread?.Trigger);
            }
            catch
            {
                thread?.Dispose();
                throw;
            }
            if (thread is not null)
                threads[(kind, vector)] = thread;
        }
    }

    public void Dispose()
    {
        lock (threads)
        {
            foreach (var t in threads.Values)
                t.Dispose();
            threads.Clear();
        }
    }

    /// <summary>The VFIO IRQ index (VFIO_PCI_*_IRQ_INDEX) of an interrupt kind.</summary>
    public static int IrqIndex(PciIrqKind kind) => kind switch
    {
        PciIrqKind.Intx => VfioAbi.IrqIntx,
        PciIrqKind.Msi => VfioAbi.IrqMsi,
        PciIrqKind.Msix => VfioAbi.IrqMsix,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
