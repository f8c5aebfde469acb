// SPDX-License-Identifier: MIT
// Managed side. A fake PCI function for tests and bring-up: configuration space with the given ids
// and BARs, registers that read back what was written. Enough for a driver to get to its probe.
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Pci;

public sealed unsafe class MemoryPciFunction : IPciFunction, IDirectBars
{
    private readonly byte[] _config = new byte[256];
    private readonly PciBarInfo[] _bars = new PciBarInfo[6];
    private readonly nint[] _memory = new nint[6];
    private readonly Dictionary<(PciIrqKind, int), Action> _handlers = [];

    public MemoryPciFunction(ushort vendor, ushort device, uint classCode, params PciBarInfo[] bars)
    {
        BitConverter.TryWriteBytes(_config.AsSpan(0), vendor);
        BitConverter.TryWriteBytes(_config.AsSpan(2), device);
        BitConverter.TryWriteBytes(_config.AsSpan(8), classCode << 8);
        BitConverter.TryWriteBytes(_config.AsSpan(0x2c), vendor);
        BitConverter.TryWriteBytes(_config.AsSpan(0x2e), device);
        _config[0x3d] = 1; // INTA
        for (int i = 0; i < 6; i++)
            _bars[i] = new PciBarInfo(i, 0, false, false);
        foreach (var b in bars)
        {
            _bars[b.Index] = b;
            _memory[b.Index] = (nint)NativeMemory.AllocZeroed((nuint)b.Size);
        }
    }

    /// <summary>
    /// "vvvv:dddd" → a network-class function with that id. BARs: for the RTL8139 (10ec:8139) its own
    /// pair (I/O BAR 0 and memory BAR 1, 256 bytes each); otherwise a 128 KiB memory BAR 0 and a
    /// 64-byte I/O BAR 1, as Intel's PCI NICs have.
    /// </summary>
    public static MemoryPciFunction Parse(string ids)
    {
        var parts = ids.Split(':');
        if (parts.Length != 2 || !ushort.TryParse(parts[0], System.Globalization.NumberStyles.HexNumber, null, out ushort v)
            || !ushort.TryParse(parts[1], System.Globalization.NumberStyles.HexNumber, null, out ushort d))
            throw new FormatException($"'{ids}' is not a PCI id (vendor:device in hex, e.g. 10ec:8139)");
        if (v == 0x1af4 && d == 0x10ff)
            return new MemoryPciFunction(v, d, 0xff0000, new PciBarInfo(0, 256, false, false)) { Doorbell = 0xfc };
        return v == 0x10ec && d == 0x8139
            ? new MemoryPciFunction(v, d, 0x020000, new PciBarInfo(0, 256, true, false), new PciBarInfo(1, 256, false, false))
            : new MemoryPciFunction(v, d, 0x020000, new PciBarInfo(0, 0x20000, false, false), new PciBarInfo(1, 64, true, false));
    }

    public IReadOnlyList<PciBarInfo> Bars => _bars;

    public List<(int Bar, ulong Offset, int Size, ulong Value)> Writes { get; } = [];

    /// <summary>When set, a write to this BAR 0 offset raises INTx from another thread, as a device would.</summary>
    public ulong? Doorbell { get; init; }

    public uint ReadConfig(int offset, int size)
    {
        uint v = 0;
        for (int i = 0; i < size && offset + i < 256; i++)
            v |= (uint)_config[offset + i] << (8 * i);
        return v;
    }

    public void WriteConfig(int offset, int size, uint value)
    {
        for (int i = 0; i < size && offset + i < 256; i++)
            _config[offset + i] = (byte)(value >> (8 * i));
    }

    public ulong ReadBar(int bar, ulong offset, int size)
    {
        if (_memory[bar] == 0 || offset + (ulong)size > _bars[bar].Size)
            return ulong.MaxValue >> (64 - 8 * size);
        nint p = _memory[bar] + (nint)offset;
        return size switch { 1 => *(byte*)p, 2 => *(ushort*)p, 4 => *(uint*)p, _ => *(ulong*)p };
    }

    public void WriteBar(int bar, ulong offset, int size, ulong value)
    {
        lock (Writes)
            Writes.Add((bar, offset, size, value));
        if (bar == 0 && offset == Doorbell)
            ThreadPool.UnsafeQueueUserWorkItem(_ => RaiseIntx(), null);
        if (_memory[bar] == 0 || offset + (ulong)size > _bars[bar].Size)
            return;
        nint p = _memory[bar] + (nint)offset;
        switch (size)
        {
            case 1: *(byte*)p = (byte)value; break;
            case 2: *(ushort*)p = (ushort)value; break;
            case 4: *(uint*)p = (uint)value; break;
            default: *(ulong*)p = value; break;
        }
    }

    // A doorbell must be seen: a function with one keeps its registers behind WriteBar.
    public nint MapBar(int bar) => _bars[bar].IsIo || Doorbell is not null ? 0 : _memory[bar];

    public void MapDma(ulong iova, ulong size, int fd, long fileOffset, nint hostAddress, bool writable) { }

    public void UnmapDma(ulong iova, ulong size) { }

    public int IrqCount(PciIrqKind kind) => kind == PciIrqKind.Intx ? 1 : 0;

    public void SetIrqHandler(PciIrqKind kind, int vector, Action? handler)
    {
        lock (_handlers)
        {
            if (handler is null)
                _handlers.Remove((kind, vector));
            else
                _handlers[(kind, vector)] = handler;
        }
    }

    /// <summary>Raises INTx as the device would (tests).</summary>
    public void RaiseIntx()
    {
        Action? h;
        lock (_handlers)
            _handlers.TryGetValue((PciIrqKind.Intx, 0), out h);
        h?.Invoke();
    }

    public void UnmaskIntx() { }

    public void Reset() { }

    public void Dispose()
    {
        for (int i = 0; i < 6; i++)
            if (_memory[i] != 0)
            {
                NativeMemory.Free((void*)_memory[i]);
                _memory[i] = 0;
            }
    }
}
