// SPDX-License-Identifier: MIT
// Managed side. A PCI function whose failure ends the driver host. A device that breaks the protocol,
// closes or stops answering leaves the driver nothing to do, and an exception must not unwind through
// the driver's C frames (the runtime would abort with a stack trace): every I/O or protocol error of
// the function becomes one "linuxshim-host: device …" line and exit status 72, which the supervisor
// audits (device_failed) before it starts a new host.
using LinuxShim.Shim.Pci;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Shim.Host;

public sealed class FailStopPciFunction(IPciFunction inner, string name, Action<string, int>? end = null) : IPciFunction
{
    private readonly Action<string, int> end = end ?? HostExit.Now;

    public IPciFunction Inner => inner;

    public IReadOnlyList<PciBarInfo> Bars => inner.Bars;

    public bool IsPlatformDevice => inner.IsPlatformDevice;

    public uint ReadConfig(int offset, int size)
    {
        try
        {
            return inner.ReadConfig(offset, size);
        }
        catch (Exception e) when (IsDeviceError(e))
        {
            throw Fail(e);
        }
    }

    public void WriteConfig(int offset, int size, uint value)
    {
        try
        {
            inner.WriteConfig(offset, size, value);
        }
        catch (Exception e) when (IsDeviceError(e))
        {
            throw Fail(e);
        }
    }

    public ulong ReadBar(int bar, ulong offset, int size)
    {
        try
        {
            return inner.ReadBar(bar, offset, size);
        }
        catch (Exception e) when (IsDeviceError(e))
        {
            throw Fail(e);
        }
    }

    public void WriteBar(int bar, ulong offset, int size, ulong value)
    {
        try
        {
            inner.WriteBar(bar, offset, size, value);
        }
        catch (Exception e) when (IsDeviceError(e))
        {
            throw Fail(e);
        }
    }

    public void ReadBarRepeated(int bar, ulong offset, int width, Span<byte> data)
    {
        try
        {
            inner.ReadBarRepeated(bar, offset, width, data);
        }
        catch (Exception e) when (IsDeviceError(e))
        {
            throw Fail(e);
        }
    }

    public void WriteBarRepeated(int bar, ulong offset, int width, ReadOnlySpan<byte> data)
    {
        try
        {
            inner.WriteBarRepeated(bar, offset, width, data);
        }
        catch (Exception e) when (IsDeviceError(e))
        {
            throw Fail(e);
        }
    }

    public void MapDma(ulong iova, ulong size, int fd, long fileOffset, nint hostAddress, bool writable)
    {
        try
        {
            inner.MapDma(iova, size, fd, fileOffset, hostAddress, writable);
        }
        catch (Exception e) when (IsDeviceError(e))
        {
            throw Fail(e);
        }
    }

    public void UnmapDma(ulong iova, ulong size)
    {
        try
        {
            inner.UnmapDma(iova, size);
        }
        catch (Exception e) when (IsDeviceError(e))
        {
            throw Fail(e);
        }
    }

    public int IrqCount(PciIrqKind kind) => inner.IrqCount(kind);

    public void SetIrqHandler(PciIrqKind kind, int vector, Action? handler)
    {
        try
        {
            inner.SetIrqHandler(kind, vector, handler);
        }
        catch (Exception e) when (IsDeviceError(e))
        {
            throw Fail(e);
        }
    }

    public void UnmaskIntx()
    {
        try
        {
            inner.UnmaskIntx();
        }
        catch (Exception e) when (IsDeviceError(e))
        {
            throw Fail(e);
        }
    }

    public void CompleteDma()
    {
        try
        {
            inner.CompleteDma();
        }
        catch (Exception e) when (IsDeviceError(e))
        {
            throw Fail(e);
        }
    }

    public void Reset()
    {
        try
        {
            inner.Reset();
        }
        catch (Exception e) when (IsDeviceError(e))
        {
            throw Fail(e);
        }
    }

    public void Dispose()
    {
        try
        {
            inner.Dispose();
        }
        catch (Exception e) when (IsDeviceError(e))
        {
        }
    }

    private static bool IsDeviceError(Exception e) => e is IOException or InvalidDataException;

    // Ends the host; returns only when `end` does (tests), and then the original exception is thrown.
    private Exception Fail(Exception e)
    {
        string detail = inner is VfioUserClient { Failure: { } why } && !e.Message.Contains(why, StringComparison.Ordinal) ? $" ({why})" : "";
        end($"device {name} failed: {e.Message}{detail}", HostExit.DeviceFailed);
        return e;
    }
}
