// SPDX-License-Identifier: MIT
// Managed side. A NIC whose model is QEMU's, run in a child QEMU device server (QemuProcess) and
// served by LinuxShim's own vfio-user server. The PCI host bridge QEMU's model expects is played
// here: BARs get addresses in QEMU's address spaces and decoding stays on whatever the client writes
// (the client sees its own BAR and decode values, as on a virtualised function), region accesses
// become BAR_READ/BAR_WRITE at those addresses, the client's DMA windows become SYNC_SYSMEM with its
// memfds, INTx arrives on an irqfd and is resampled when the client unmasks it, reset is DEVICE_RESET.
// QEMU failing (dying, hanging, answering wrongly) puts the function in an error state, as a PCI
// function that stops answering: BARs read all ones, writes are dropped, nothing else is affected;
// a reset starts a fresh QEMU, as it does when QEMU's own reset left the INTx line raised (it lowers
// nothing in the PCI core: see Reset).
using LinuxShim.Devices.Pci;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Devices.Wire;
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.Qemu;

public sealed class QemuNic : INic, IDmaWindowObserver, IIntxResampler
{
    /// <summary>
    /// Guest-physical addresses the BARs live at in QEMU: no DMA window may overlap them (QEMU's RAM regions
    /// and the BARs share its system address space).
    /// </summary>
    public const ulong BarWindowBase = 0xE000_0000, BarWindowEnd = 0x1_0000_0000;

    private const ulong MemoryBarBase = 0xF000_0000, PlaceholderGpa = BarWindowBase;
    private const ushort IoBarBase = 0xC000;
    private const int ConfigBar0 = 0x10, ConfigRom = 0x30, Command = 0x04;
    private const ushort CommandIo = 1, CommandMemory = 2;

    private readonly object sync = new();
    private readonly string deviceArgument;
    private readonly Action<string> log;
    private readonly Bar[] bars = new Bar[6];
    private readonly List<Window> windows = [];
    private readonly EventFd irq = new(), resample = new(), stopIrq = new();
    private readonly Thread irqThread;
    private readonly object intxGate = new(); // the irqfd is read under it (a reset's look at the line takes it from the interrupt thread)
    private readonly SharedMemory placeholder = SharedMemory.Create("linuxshim-qemu-no-memory", 4096);
    private readonly Ne2000RingWatch? ringWatch;
    private QemuProcess? process;
    private MpqemuLink? link;
    private QemuCable? cable;
    private IWire? wire;
    private IDeviceBus? bus;
    private Exception? fault;
    private int failing; // set before the log line, so whoever sees Fault also finds the line logged
    private ushort commandShadow;
    private byte interruptPin;
    private long sentBefore, receivedBefore;
    private bool disposed;

    private record struct Bar(ulong Size, ulong Address, bool Io, uint Flags, bool UpperHalf, uint Shadow)
    {
        public readonly bool Implemented => Size != 0 && !UpperHalf;
    }

    private sealed record Window(ulong Iova, ulong Size, long Offset, int Fd);

    /// <summary>
    /// Starts QEMU's <paramref name="model"/> (a QEMU -device name, with optional ",prop=value,...") with station
    /// address <paramref name="mac"/> unless the properties give one; QEMU's output and failures go to <paramref name="log"/>.
    /// </summary>
    public QemuNic(string model, MacAddress mac, Action<string> log)
    {
        this.log = log;
        deviceArgument = DeviceArgument(model, mac);
        Model = model;
        ringWatch = Ne2000RingWatch.Watches(model) ? new Ne2000RingWatch() : null;
        irqThread = new Thread(DeliverInterrupts) { IsBackground = true, Name = "qemu intx" };
        try
        {
            Start();
        }
        catch
        {
            Dispose();
            throw;
        }
        irqThread.Start();
    }

    /// <summary>The model as given ("e1000" or "e1000,autonegotiation=off").</summary>
    public string Model { get; }

    /// <summary>QEMU's process id (changes when a reset restarts it).</summary>
    public int QemuPid => process?.Pid ?? 0;

    /// <summary>Why the function is in its error state (QEMU failed), or null.</summary>
    public Exception? Fault => Volatile.Read(ref fault);

    public long FramesSent => sentBefore + (cable?.FramesSent ?? 0);

    public long FramesReceived => receivedBefore + (cable?.FramesReceived ?? 0);

    /// <summary>Not known here: QEMU's model keeps its link state to itself (its netdev's link is up unless told otherwise).</summary>
    public bool? CableLinked => null;

    /// <summary>Not known here: QEMU's model drops what finds its ring full without telling.</summary>
    public long FramesOverflowed => -1;

    public long FramesRefused => -1; // QEMU filters in its own process

    public int RegionCount => VfioAbi.PciRegionCount;

    /// <summary>
    /// QEMU's models are written for a vCPU that waits in each register access until the model returns, and
    /// they lean on it: eepro100's CU resume follows the link of the last command without looking at its S bit
    /// again (the 8255x waits while S is still set), so a resume posted while the driver links the next command
    /// sends stale commands; its receive writes an RFD's complete bit before the count and the frame
    /// (hw/net/eepro100.c, nic_receive). The client therefore waits for each write and, before it takes a
    /// receive buffer back, for QEMU's main loop (which runs the model's receive) to answer.
    /// </summary>
    public bool SynchronousModel => true;

    /// <summary>
    /// The -device value: the model with id=nic0 on netdev n0, no option ROM (there is no ROM BAR here), and
    /// the MAC; the caller's properties may add to it, not rename or re-plug it. FormatException when bad.
    /// </summary>
    public static string DeviceArgument(string model, MacAddress mac)
    {
        var parts = model.Split(',');
        if (parts[0].Length == 0 || !parts[0].All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new FormatException($"'{parts[0]}' is not a QEMU device name");
        bool macGiven = false;
        foreach (var p in parts.Skip(1))
        {
            int eq = p.IndexOf('=');
            string key = eq > 0 ? p[..eq] : "";
            if (key.Length == 0 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '='))
                throw new FormatException($"'{p}' is not a QEMU device property (key=value)");
            if (key is "id" or "netdev" or "bus" or "addr" or "romfile" or "multifunction")
                throw new FormatException($"the QEMU device property '{key}' is LinuxShim's to set");
            macGiven |= key == "mac";
        }
        string properties = string.Concat(parts.Skip(1).Select(p => "," + p));
        return $"{parts[0]},id=nic0,netdev=n0,romfile={(macGiven ? "" : $",mac={mac}")}{properties}";
    }

    // ---- QEMU's life ----

    private void Start()
    {
        var started = QemuProcess.Start(deviceArgument, log);
        process = started;
        link = new MpqemuLink(started.Channel);
        ringWatch?.Reset(fresh: true);
        started.Exited += what => OnQemuExited(started, what);
        ProgramBars(discover: true);
        link.SetIrqFd(irq, resample);
        Sync();
        if (wire is not null)
            cable = NewCable(started.CableFd, wire);
    }

    private void OnQemuExited(QemuProcess which, string what)
    {
        if (!disposed && which == process)
            Fail(new MpqemuException($"{what} while serving its device"));
    }

    // The error state: QEMU is ended so it can reach no memory any more; the server goes on.
    private void Fail(Exception e)
    {
        if (Interlocked.Exchange(ref failing, 1) != 0)
            return;
        log($"QEMU's device server failed: {e.Message}; the device reads as all ones until it is reset");
        Volatile.Write(ref fault, e);
        try
        {
            process?.Kill();
        }
        catch (Exception k) when (k is IOException or InvalidOperationException)
        {
        }
    }

    private void Restart()
    {
        cable?.Dispose();
        if (cable is not null)
        {
            sentBefore += cable.FramesSent;
            receivedBefore += cable.FramesReceived;
        }
        cable = null;
        var old = process;
        process = null; // first: its exit is then no failure of the function (OnQemuExited)
        link = null;
        old?.Dispose();
        Volatile.Write(ref fault, null);
        Volatile.Write(ref failing, 0);
        Start();
        log($"QEMU's device server restarted (pid {QemuPid})");
    }

    /// <summary>Runs <paramref name="action"/> against QEMU; a failure puts the function in its error state. Call under sync.</summary>
    private bool Contained(Action<MpqemuLink> action)
    {
        if (Fault is not null || link is null)
            return false;
        try
        {
            action(link);
            return true;
        }
        catch (MpqemuException e)
        {
            Fail(e);
            return false;
        }
    }

    // ---- configuration space and BARs ----

    /// <summary>Sizes the BARs (discover) and gives each its address in QEMU, decoding on. Call under sync.</summary>
    private void ProgramBars(bool discover)
    {
        var q = link!;
        if (discover)
        {
            ulong memory = MemoryBarBase, io = IoBarBase;
            for (int i = 0; i < 6; i++)
            {
                int at = ConfigBar0 + 4 * i;
                uint original = q.ConfigRead(at, 4);
                q.ConfigWrite(at, 0xFFFF_FFFF, 4);
                uint probe = q.ConfigRead(at, 4);
                q.ConfigWrite(at, original, 4);
                if (probe == 0)
                    continue;
                bool isIo = (probe & 1) != 0;
                uint mask = isIo ? probe & ~3u : probe & ~0xFu;
                if (isIo && (mask >> 16) == 0)
                    mask |= 0xFFFF_0000; // 16-bit I/O decode
                ulong size = (ulong)(~mask + 1);
                ref ulong next = ref isIo ? ref io : ref memory;
                ulong align = isIo ? size : Math.Max(size, 4096);
                ulong address = (next + align - 1) / align * align;
                next = address + align;
                bool is64 = !isIo && ((probe >> 1) & 3) == 2;
                bars[i] = new Bar(size, address, isIo, probe & (isIo ? 3u : 0xFu), false, probe & (isIo ? 3u : 0xFu));
                if (is64 && i < 5)
                    bars[++i] = new Bar(size, 0, false, 0, true, 0);
            }
            if (memory > BarWindowEnd)
                throw new MpqemuException("the model's BARs do not fit the window LinuxShim gives them");
            interruptPin = (byte)(q.ConfigRead(0x3C, 4) >> 8);
        }
        for (int i = 0; i < 6; i++)
        {
            if (bars[i].Implemented)
                q.ConfigWrite(ConfigBar0 + 4 * i, (uint)bars[i].Address, 4);
            else if (bars[i].UpperHalf)
                q.ConfigWrite(ConfigBar0 + 4 * i, 0, 4);
        }
        q.ConfigWrite(Command, (uint)((q.ConfigRead(Command, 4) & 0xFFFF & ~0x7u) | DecodeBits), 2);
    }

    private ushort DecodeBits => (ushort)((bars.Any(b => b.Implemented && b.Io) ? CommandIo : 0) |
                                          (bars.Any(b => b.Implemented && !b.Io) ? CommandMemory : 0));

    public VfioRegionInfo GetRegion(int index)
    {
        if (index == VfioAbi.RegionConfig)
            return new VfioRegionInfo(PciConfigSpace.Size, true, true);
        if (index is >= 0 and < 6 && bars[index].Implemented)
            return new VfioRegionInfo(bars[index].Size, true, true);
        return default;
    }

    public int IrqCount(int irqIndex) => irqIndex == VfioAbi.IrqIntx && interruptPin != 0 ? 1 : 0;

    public void Attach(IDeviceBus deviceBus) => bus = deviceBus;

    public void ReadRegion(int region, ulong offset, Span<byte> data)
    {
        data.Fill(0xFF);
        lock (sync)
        {
            if (region == VfioAbi.RegionConfig)
            {
                ReadConfig(offset, data);
                return;
            }
            if (region is < 0 or >= 6 || !bars[region].Implemented)
                return;
            var bar = bars[region];
            if (Fault is not null || link is not { } q || offset >= bar.Size)
                return;
            try
            {
                int length = (int)Math.Min((ulong)data.Length, bar.Size - offset);
                foreach (var (i, size) in PciDevice.Split(offset, length))
                    PciDevice.Scatter(q.BarRead(bar.Address + offset + (ulong)i, size, !bar.Io), data.Slice(i, size));
                ringWatch?.Read(region, offset, data[..length]);
            }
            catch (MpqemuException e)
            {
                Fail(e);
                data.Fill(0xFF);
            }
        }
    }

    public void WriteRegion(int region, ulong offset, ReadOnlySpan<byte> data)
    {
        lock (sync)
        {
            if (region == VfioAbi.RegionConfig)
            {
                WriteConfig(offset, data);
                return;
            }
            if (region is < 0 or >= 6 || !bars[region].Implemented)
                return;
            var bar = bars[region];
            if (offset >= bar.Size)
                return;
            byte[] bytes = data[..(int)Math.Min((ulong)data.Length, bar.Size - offset)].ToArray();
            Contained(q =>
            {
                foreach (var (i, size) in PciDevice.Split(offset, bytes.Length))
                    q.BarWrite(bar.Address + offset + (ulong)i, PciDevice.Gather(bytes.AsSpan(i, size)), size, !bar.Io);
                if (ringWatch is not null && ringWatch.Wrote(region, offset, bytes, (register, value) => Register(q, bar, register, value)))
                    irq.Signal();
            });
            // BNRY written (the driver took frames): a frame waiting for room in the ring looks again. Only then: the
            // driver's other accesses make no room, and each look is six more messages to QEMU.
            if (ringWatch is not null && Ne2000RingWatch.Observes(region, offset) && offset <= 3 && offset + (ulong)bytes.Length > 3)
                cable?.RoomMayHaveGrown();
        }
    }

    /// <summary>
    /// A data port read many times (rep ins): the BAR_READs go to QEMU pipelined (<see cref="MpqemuLink.BarRepeat"/>),
    /// not one round trip each; the values are those the reads one by one would give.
    /// </summary>
    public void ReadRegionRepeated(int region, ulong offset, int width, Span<byte> data)
    {
        data.Fill(0xFF);
        lock (sync)
        {
            if (RepeatedBar(region, offset, width) is not { } bar)
            {
                RepeatedAccess.ReadEach(this, region, offset, width, data);
                return;
            }
            if (!Repeat(bar, offset, width, write: false, data))
                data.Fill(0xFF);
        }
    }

    /// <summary>A data port written many times (rep outs), pipelined as <see cref="ReadRegionRepeated"/>.</summary>
    public void WriteRegionRepeated(int region, ulong offset, int width, ReadOnlySpan<byte> data)
    {
        lock (sync)
        {
            if (RepeatedBar(region, offset, width) is not { } bar)
            {
                RepeatedAccess.WriteEach(this, region, offset, width, data);
                return;
            }
            Repeat(bar, offset, width, write: true, data.ToArray());
        }
    }

    // The cable into QEMU; for the NE2000 flow-controlled by the room in its receive ring.
    private QemuCable NewCable(int fd, IWire cableEnd) =>
        new(fd, cableEnd, ringWatch is null ? null : LookAtRing, log);

    // The NE2000's receive ring as QEMU's model will judge it (from the cable's thread): stopped when QEMU is not there.
    private (RingState State, int Room) LookAtRing()
    {
        lock (sync)
        {
            var bar = bars[0];
            (RingState, int) seen = (RingState.Stopped, 0);
            if (disposed || ringWatch is null || !bar.Implemented)
                return seen;
            Contained(q => seen = ringWatch.Room((register, value) => Register(q, bar, register, value)));
            return seen;
        }
    }

    // One register of the NE2000 for the ring watch: read (value null) or written.
    private static byte Register(MpqemuLink q, Bar bar, int register, int? value)
    {
        if (value is { } v)
        {
            q.BarWrite(bar.Address + (ulong)register, (byte)v, 1, !bar.Io);
            return 0;
        }
        return (byte)q.BarRead(bar.Address + (ulong)register, 1, !bar.Io);
    }

    // As Contained, for a span. Call under sync.
    private bool Repeat(Bar bar, ulong offset, int width, bool write, Span<byte> data)
    {
        if (Fault is not null || link is not { } q)
            return false;
        try
        {
            q.BarRepeat(bar.Address + offset, width, !bar.Io, write, data);
            return true;
        }
        catch (MpqemuException e)
        {
            Fail(e);
            return false;
        }
    }

    // The BAR whose register a repeated access reaches as one access of its width each time, or null (the
    // accesses one by one then decide what happens: configuration space, nothing there, a register split).
    private Bar? RepeatedBar(int region, ulong offset, int width) =>
        region is >= 0 and < 6 && bars[region].Implemented && !(ringWatch is not null && Ne2000RingWatch.Observes(region, offset)) && width is 1 or 2 or 4 or 8 && offset % (ulong)width == 0
        && offset + (ulong)width <= bars[region].Size ? bars[region] : null;

    // Dword by dword: the BARs and the decode bits are the client's own view; everything else is QEMU's.
    private void ReadConfig(ulong offset, Span<byte> data)
    {
        for (int i = 0; i < data.Length;)
        {
            ulong at = offset + (ulong)i;
            if (at >= PciConfigSpace.Size)
                return;
            int dword = (int)at & ~3;
            uint value = 0;
            if (!Contained(q => value = ConfigDword(q, dword)))
                return;
            for (; i < data.Length && (int)(offset + (ulong)i) < dword + 4; i++)
                data[i] = (byte)(value >> (8 * ((int)(offset + (ulong)i) - dword)));
        }
    }

    private uint ConfigDword(MpqemuLink q, int dword)
    {
        if (dword is >= ConfigBar0 and < ConfigBar0 + 24)
            return bars[(dword - ConfigBar0) / 4].Shadow;
        if (dword == ConfigRom)
            return 0; // no option ROM
        uint value = q.ConfigRead(dword, 4);
        return dword == Command ? (value & ~3u) | (commandShadow & 3u) : value;
    }

    private void WriteConfig(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset >= PciConfigSpace.Size)
            return;
        byte[] bytes = data[..(int)Math.Min((ulong)data.Length, PciConfigSpace.Size - offset)].ToArray();
        foreach (var (i, size) in PciDevice.Split(offset, bytes.Length))
        {
            uint v = (uint)PciDevice.Gather(bytes.AsSpan(i, size));
            if (!Contained(q => WriteConfigPiece(q, (int)offset + i, size, v)))
                return;
        }
    }

    private void WriteConfigPiece(MpqemuLink q, int address, int size, uint value)
    {
        int dword = address & ~3, shift = 8 * (address - dword);
        uint mask = (size == 4 ? 0xFFFF_FFFFu : (1u << (8 * size)) - 1) << shift;
        if (dword is >= ConfigBar0 and < ConfigBar0 + 24)
        {
            ref var bar = ref bars[(dword - ConfigBar0) / 4];
            uint written = (bar.Shadow & ~mask) | ((value << shift) & mask);
            bar.Shadow = bar.UpperHalf ? written
                : bar.Implemented ? (written & ~(uint)(bar.Size - 1) & (bar.Io ? ~3u : ~0xFu)) | bar.Flags
                : 0;
            return;
        }
        if (dword == ConfigRom || address + 4 > PciConfigSpace.Size)
            return; // no option ROM; QEMU refuses any access whose dword would pass the end of the space
        if (dword == Command && shift == 0)
        {
            // The client's decode bits are its own; QEMU's stay on, so every BAR access finds its BAR.
            commandShadow = (ushort)((commandShadow & 0xFFFC) | (int)(value & 3));
            value = (value & ~3u) | DecodeBits;
        }
        q.ConfigWrite(address, value, size);
    }

    // ---- interrupts ----

    private void DeliverInterrupts()
    {
        while (!disposed)
        {
            if (!EventFd.WaitEither(irq, stopIrq))
                return;
            lock (intxGate)
            {
                if (irq.Wait(0) != 0 && Fault is null) // QEMU made the descriptor blocking; a reset may have taken the signal
                    bus?.SetIntx(true);
            }
        }
    }

    /// <summary>
    /// Whether QEMU's INTx line is up now. Its resample handler signals the irqfd again while the line is up;
    /// QEMU's main loop has run it (for a resample signalled before them) by the time it answers the second of two
    /// requests. Call under sync; the interrupt thread waits meanwhile.
    /// </summary>
    private bool IntxStillAsserted(MpqemuLink q)
    {
        lock (intxGate)
        {
            irq.Wait(0); // an assertion from before the reset, which lowered it (SetIntx(false) follows)
            resample.Signal();
            q.ConfigRead(0, 4);
            q.ConfigRead(0, 4);
            return irq.Wait(0) != 0; // taken here: the next client is not interrupted by the line the reset found up
        }
    }

    /// <summary>The client unmasked INTx: QEMU signals the irqfd again if the line is still up, and so does the
    /// NE2000's ring watch while it holds the line (through the irqfd too, so no lock is taken here).</summary>
    public void IntxUnmasked()
    {
        resample.Signal();
        if (ringWatch is { LineHeld: true } && Fault is null)
            irq.Signal();
    }

    // ---- DMA ----

    public int Mapping(ulong iova, ulong size, int fd, long fileOffset, bool writable, out string? why)
    {
        why = null;
        if (fd < 0)
            return Refuse(out why, "QEMU's device server reaches memory only through descriptors: DMA_MAP needs one", Errno.ENOTSUP);
        if (!writable)
            return Refuse(out why, "QEMU's device server maps memory read-write: a read-only DMA window cannot be honoured", Errno.ENOTSUP);
        if (iova < BarWindowEnd && BarWindowBase < iova + size)
            return Refuse(out why, $"DMA window 0x{iova:x}+0x{size:x} overlaps 0x{BarWindowBase:x}-0x{BarWindowEnd - 1:x}, where the device's BARs are", Errno.EINVAL);
        lock (sync)
        {
            if (windows.Count >= MpqemuLink.MaxRegions)
                return Refuse(out why, $"QEMU's device server takes at most {MpqemuLink.MaxRegions} DMA windows", Errno.ENOSPC);
            int copy = Libc.Fcntl(fd, Libc.F_DUPFD_CLOEXEC, 0);
            if (copy < 0)
                return Refuse(out why, $"cannot keep the window's descriptor (errno {Errno.Last})", Errno.EMFILE);
            var w = new Window(iova, size, fileOffset, copy);
            windows.Add(w);
            if (Sync())
                return 0;
            windows.Remove(w);
            Libc.Close(copy);
            return Refuse(out why, $"QEMU's device server failed: {Fault?.Message}", Errno.EIO);
        }
    }

    public void Unmapped(ulong iova, ulong size)
    {
        lock (sync)
        {
            int i = windows.FindIndex(w => w.Iova == iova && w.Size == size);
            if (i < 0)
                return;
            var gone = windows[i];
            windows.RemoveAt(i);
            Sync();
            Libc.Close(gone.Fd);
        }
    }

    public void Cleared()
    {
        lock (sync)
        {
            var gone = windows.ToArray();
            windows.Clear();
            Sync();
            foreach (var w in gone)
                Libc.Close(w.Fd);
        }
    }

    /// <summary>
    /// Gives QEMU the current windows (a 4 KiB placeholder of our own when there are none, since SYNC_SYSMEM
    /// needs one); when this returns true QEMU reaches exactly those. Call under sync.
    /// </summary>
    private bool Sync()
    {
        if (disposed)
            return false;
        var regions = windows.Count == 0
            ? [new SysmemRegion(PlaceholderGpa, 4096, 0, placeholder.Handle)]
            : windows.Select(w => new SysmemRegion(w.Iova, w.Size, w.Offset, w.Fd)).ToList();
        return Contained(q => q.SyncSysmem(regions));
    }

    private static int Refuse(out string? why, string message, int errno)
    {
        why = message;
        return errno;
    }

    // ---- reset, cable, end ----

    /// <summary>Function-level reset: QEMU's model reset, configuration back to power-on; a failed QEMU is started afresh.</summary>
    public void Reset()
    {
        lock (sync)
        {
            bool restart = Fault is not null || process is null || process.HasExited;
            string? why = null;
            if (!restart)
            {
                ringWatch?.Reset(fresh: false);
                bool lineStuck = false;
                Contained(q =>
                {
                    q.DeviceReset();
                    ProgramBars(discover: false);
                    lineStuck = interruptPin != 0 && IntxStillAsserted(q);
                });
                // QEMU's DEVICE_RESET runs only the model's own reset, not the PCI core's, which is what
                // lowers a function's INTx: a line the last client left asserted (its driver never read the
                // cause) stays up in QEMU's PCI bus while the model believes it lowered it, so every later
                // assertion is no edge and the next driver never gets an interrupt. A fresh QEMU has it down.
                if (lineStuck && Fault is null)
                    (restart, why) = (true, "QEMU's model kept its INTx line asserted through its reset");
            }
            if (restart)
            {
                try
                {
                    long started = Environment.TickCount64;
                    Restart();
                    if (why is not null)
                        log($"{why}: its device server was started afresh ({Environment.TickCount64 - started} ms)");
                }
                catch (IOException e)
                {
                    Fail(e);
                }
            }
            commandShadow = 0;
            for (int i = 0; i < 6; i++)
                bars[i].Shadow = bars[i].Implemented ? bars[i].Flags : 0;
        }
        bus?.SetIntx(false);
    }

    public void Connect(IWire cableEnd)
    {
        lock (sync)
        {
            if (cable is not null)
            {
                sentBefore += cable.FramesSent;
                receivedBefore += cable.FramesReceived;
            }
            cable?.Dispose();
            wire = cableEnd;
            cable = process is { HasExited: false } p ? NewCable(p.CableFd, cableEnd) : null;
        }
    }

    public void Dispose()
    {
        lock (sync)
        {
            if (disposed)
                return;
            disposed = true;
        }
        stopIrq.Signal();
        if (irqThread.IsAlive)
            irqThread.Join();
        cable?.Dispose();
        process?.Dispose();
        foreach (var w in windows)
            Libc.Close(w.Fd);
        windows.Clear();
        irq.Dispose();
        resample.Dispose();
        stopIrq.Dispose();
        placeholder.Dispose();
    }
}
