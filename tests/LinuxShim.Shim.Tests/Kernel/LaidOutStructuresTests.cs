// SPDX-License-Identifier: MIT
// Tests of the kernel symbols that work on kernel structures (net_device, sk_buff, struct device,
// tasklets, timers), called in process over zeroed structures laid out as Debian 6.1's headers lay
// them out: the layout file of a port build, loaded as a driver host loads it.
using System.Runtime.InteropServices;
using LinuxShim.Shim.Tests.Host;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Tests.Kernel;

[Collection(KernelCollection.Name)]
public sealed unsafe class LaidOutStructuresTests : IDisposable
{
    private readonly List<nint> _blocks = [];

    public LaidOutStructuresTests(KernelFixture kernel)
    {
        string library = BuiltPorts.Library(kernel, "8139too");
        KernelLayout.Load(Path.ChangeExtension(library, null) + ".layout.json");
    }

    public void Dispose()
    {
        foreach (var b in _blocks)
            NativeMemory.Free((void*)b);
    }

    private nint Zeroed(int size)
    {
        nint p = (nint)NativeMemory.AllocZeroed((nuint)size);
        _blocks.Add(p);
        return p;
    }

    private nint NetDevice(uint queues)
    {
        nint dev = Zeroed(NetDevLayout.Size.Size);
        dev.U32(NetDevLayout.NumTxQueues, queues);
        dev.Ptr(NetDevLayout.Tx, Zeroed((int)queues * TxQueueLayout.Size.Size));
        return dev;
    }

    private static nint Queue(nint dev, int i) => dev.Ptr(NetDevLayout.Tx) + i * TxQueueLayout.Size.Size;

    [Fact]
    public void TxLockFreezesEveryQueueAndStopAllStopsThem()
    {
        nint dev = NetDevice(3);
        ((delegate* unmanaged[Cdecl]<nint, void>)&NetCore.NetifTxLock)(dev);
        for (int i = 0; i < 3; i++)
            Assert.True(Queue(dev, i).TestBit(TxQueueLayout.State, TxQueueLayout.Frozen));
        ((delegate* unmanaged[Cdecl]<nint, void>)&NetCore.NetifTxUnlock)(dev);
        for (int i = 0; i < 3; i++)
            Assert.False(Queue(dev, i).TestBit(TxQueueLayout.State, TxQueueLayout.Frozen));
        ((delegate* unmanaged[Cdecl]<nint, void>)&NetCore.NetifTxStopAllQueues)(dev);
        for (int i = 0; i < 3; i++)
            Assert.True(Queue(dev, i).TestBit(TxQueueLayout.State, TxQueueLayout.DrvXoff));
    }

    [Theory]
    [InlineData("lsdev%d", "lsdev", true)]
    [InlineData("lsfixed", "lsfixed", true)]
    [InlineData("ls%s", null, false)]
    [InlineData("ls%d%d", null, false)]
    [InlineData("ls/%d", null, false)]
    [InlineData("averyveryverylongname%d", null, false)]
    public void DevAllocNameTakesTheFirstFreeUnit(string pattern, string? prefix, bool valid)
    {
        nint dev = NetDevice(1);
        nint name = Marshal.StringToCoTaskMemUTF8(pattern);
        try
        {
            int unit = ((delegate* unmanaged[Cdecl]<nint, nint, int>)&NetCore.DevAllocName)(dev, name);
            if (!valid)
            {
                Assert.Equal(-22, unit);
                return;
            }
            Assert.True(unit >= 0);
            string expected = pattern.Contains("%d") ? prefix + unit : pattern;
            Assert.Equal(expected, Access.CString(dev.At(NetDevLayout.Name)));
            Assert.DoesNotContain(NetCore.Registered, d => d.Name == expected);
        }
        finally
        {
            Marshal.FreeCoTaskMem(name);
        }
    }

    private static ushort Fold(ulong sum)
    {
        while (sum >> 16 != 0)
            sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)sum;
    }

    [Fact]
    public void ChecksumHelpFillsInTheTcpChecksum()
    {
        // A TCP segment after 14 + 20 bytes of Ethernet and IPv4 header, its checksum field holding the folded
        // pseudo-header sum, as tcp_v4_send_check() leaves a CHECKSUM_PARTIAL packet; afterwards pseudo-header
        // and segment must sum to ffff, the receiver's check.
        byte[] tcp = new byte[20 + 11];
        tcp[12] = 5 << 4;
        "hello world"u8.CopyTo(tcp.AsSpan(20));
        byte[] pseudo = [10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, (byte)tcp.Length];
        ushort seed = Fold(KernelLib.CsumPartial(pseudo, 0));
        BitConverter.GetBytes(seed).CopyTo(tcp, 16);

        const int headroom = 64, l3 = 14 + 20;
        nint head = Zeroed(1024), skb = Zeroed(SkbLayout.Size.Size);
        nint data = head + headroom;
        Marshal.Copy(tcp, 0, data + l3, tcp.Length);
        skb.Ptr(SkbLayout.Head, head);
        skb.Ptr(SkbLayout.Data, data);
        skb.U32(SkbLayout.Len, (uint)(l3 + tcp.Length));
        skb.U32(SkbLayout.Tail, (uint)(headroom + l3 + tcp.Length));
        skb.U32(SkbLayout.End, 256);
        skb.Bits(SkbLayout.IpSummed, (uint)SkbLayout.ChecksumPartial);
        skb.U16(SkbChecksumLayout.CsumStart, headroom + l3);
        skb.U16(SkbChecksumLayout.CsumOffset, 16);

        var help = (delegate* unmanaged[Cdecl]<nint, int>)&SkBuff.SkbChecksumHelp;
        Assert.Equal(0, help(skb));
        Assert.Equal((uint)SkbChecksumLayout.ChecksumNone, skb.Bits(SkbLayout.IpSummed));
        var segment = new byte[tcp.Length];
        Marshal.Copy(data + l3, segment, 0, segment.Length);
        Assert.NotEqual(seed, BitConverter.ToUInt16(segment, 16));
        Assert.Equal(0xffff, Fold((ulong)KernelLib.CsumPartial(segment, 0) + KernelLib.CsumPartial(pseudo, 0)));

        skb.Bits(SkbLayout.IpSummed, (uint)SkbLayout.ChecksumPartial);
        skb.U16(SkbChecksumLayout.CsumOffset, (ushort)tcp.Length); // past the linear data: refused
        Assert.Equal(-22, help(skb));
    }

    [Fact]
    public void WakeupCanBeDisabledOnlyOnADeviceThatCanWake()
    {
        nint dev = Zeroed(DeviceLayout.Size.Size);
        var disable = (delegate* unmanaged[Cdecl]<nint, int>)&PowerManagement.DeviceWakeupDisable;
        Assert.Equal(-22, disable(dev));
        ((delegate* unmanaged[Cdecl]<nint, byte, void>)&PowerManagement.DeviceSetWakeupCapable)(dev, 1);
        Assert.Equal(1u, dev.Bits(DevicePmLayout.CanWakeup));
        Assert.Equal(0, disable(dev));
        ((delegate* unmanaged[Cdecl]<nint, byte, void>)&PowerManagement.DeviceSetWakeupCapable)(dev, 0);
        Assert.Equal(-22, disable(dev));
    }

    [Fact]
    public void TaskletUnlockWaitWaitsWhileItRuns()
    {
        nint t = Zeroed(64 + TaskletLayout.State.Offset);
        t.SetBit(TaskletLayout.State, 1); // TASKLET_STATE_RUN
        Thread? done = null;
        Cpu.Run(() =>
        {
            // Started while this context holds the CPU, it can clear the bit only once the waiter gives the CPU
            // up: had tasklet_unlock_wait returned without waiting, the bit would still be set below.
            done = new Thread(() => Cpu.Run(() => { t.ClearBit(TaskletLayout.State, 1); Cpu.WakeAll(); }));
            done.Start();
            ((delegate* unmanaged[Cdecl]<nint, void>)&Softirq.TaskletUnlockWait)(t);
            Assert.False(t.TestBit(TaskletLayout.State, 1));
        });
        Assert.True(done!.Join(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public void ATimerShutDownHasNoFunction()
    {
        nint timer = Zeroed(TimerLayout.Function.Offset + 64);
        timer.Ptr(TimerLayout.Function, 0x1234);
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, int>)&Time.TimerShutdownSync)(timer)); // was not pending
        Assert.Equal(0, timer.Ptr(TimerLayout.Function));
    }

    [Fact]
    public void NoRomIsMapped()
    {
        nuint size = 99;
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, nuint*, nint>)&PciRom.PciMapRom)(0x1000, &size));
        Assert.Equal(0u, size);
    }
}
