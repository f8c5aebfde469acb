// SPDX-License-Identifier: MIT
// Tests of the services a platform driver asks for that this machine provides with nothing behind them, and of
// the small library routines phylib and stmmac call: the one always-on clock, the absent reset lines and
// GPIOs (what Linux answers without a provider), runtime PM's bookkeeping, lib/bitmap.c, strcasecmp(),
// refcount_dec_and_mutex_lock(), over structures laid out as Debian 6.1's headers lay them out.
using System.Runtime.InteropServices;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Tests.Kernel;

[Collection(KernelCollection.Name)]
public sealed unsafe class AbsentProvidersTests
{
    public AbsentProvidersTests(KernelFixture kernel) => InProcessMachine.Boot(kernel);

    private static nint Zeroed(int size) => (nint)NativeMemory.AllocZeroed((nuint)size);

    private static nint Text(string s) => Marshal.StringToCoTaskMemUTF8(s);

    [Fact]
    public void EveryClockIsTheOneAlwaysOnClockWithItsOwnCountsAndANullClockIsAccepted()
    {
        nint dev = Zeroed(4096);
        nint csr = ((delegate* unmanaged[Cdecl]<nint, nint, nint>)&Clock.DevmClkGet)(dev, Text("stmmaceth"));
        nint ptp = ((delegate* unmanaged[Cdecl]<nint, nint, nint>)&Clock.DevmClkGet)(dev, Text("ptp_ref"));
        Assert.True(csr != 0 && ptp != 0 && csr != ptp);
        Assert.Equal(125_000_000UL, ((delegate* unmanaged[Cdecl]<nint, ulong>)&Clock.ClkGetRate)(csr));
        Assert.Equal(0UL, ((delegate* unmanaged[Cdecl]<nint, ulong>)&Clock.ClkGetRate)(0));
        Assert.Equal(-108, ((delegate* unmanaged[Cdecl]<nint, int>)&Clock.ClkEnable)(csr)); // not prepared: -ESHUTDOWN
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, int>)&Clock.ClkPrepare)(csr));
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, int>)&Clock.ClkEnable)(csr));
        Assert.Equal((1, 1), Clock.Counts(csr));
        Assert.Equal((0, 0), Clock.Counts(ptp));
        ((delegate* unmanaged[Cdecl]<nint, void>)&Clock.ClkDisable)(csr);
        ((delegate* unmanaged[Cdecl]<nint, void>)&Clock.ClkUnprepare)(csr);
        Assert.Equal((0, 0), Clock.Counts(csr));
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, int>)&Clock.ClkPrepare)(0)); // clk_prepare_enable(NULL)
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, int>)&Clock.ClkEnable)(0));

        // clk_bulk_get_optional(): each id its clock; clk_bulk_put() clears them.
        int size = ClockLayout.BulkSize.Size;
        nint bulk = Zeroed(2 * size);
        bulk.Ptr(ClockLayout.BulkId, Text("core"));
        (bulk + size).Ptr(ClockLayout.BulkId, Text("pad"));
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, int, nint, int>)&Clock.ClkBulkGet)(dev, 2, bulk));
        nint core = bulk.Ptr(ClockLayout.BulkClk), pad = (bulk + size).Ptr(ClockLayout.BulkClk);
        Assert.True(core != 0 && pad != 0 && core != pad);
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<int, nint, int>)&Clock.ClkBulkPrepare)(2, bulk));
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<int, nint, int>)&Clock.ClkBulkEnable)(2, bulk));
        Assert.Equal((1, 1), Clock.Counts(pad));
        ((delegate* unmanaged[Cdecl]<int, nint, void>)&Clock.ClkBulkDisable)(2, bulk);
        ((delegate* unmanaged[Cdecl]<int, nint, void>)&Clock.ClkBulkUnprepare)(2, bulk);
        ((delegate* unmanaged[Cdecl]<int, nint, void>)&Clock.ClkBulkPut)(2, bulk);
        Assert.Equal(0L, bulk.Ptr(ClockLayout.BulkClk));

        Devres.ReleaseAll(dev); // devm_clk_get()'s handles are put with the driver
        Assert.Equal((0, 0), Clock.Counts(csr));
    }

    [Fact]
    public void AnAbsentOptionalResetLineNeedsNothingAndAnErrorPointerIsRefused()
    {
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, int>)&ResetControl.ResetControlAssert)(0));
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, int>)&ResetControl.ResetControlDeassert)(0));
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, int>)&ResetControl.ResetControlReset)(0));
        Assert.Equal(-22, ((delegate* unmanaged[Cdecl]<nint, int>)&ResetControl.ResetControlAssert)(-2));
        ((delegate* unmanaged[Cdecl]<nint, void>)&ResetControl.ResetControlPut)(0);
    }

    [Fact]
    public void NoGpiosOptionalGetsAreNullOthersENOENTAndANullDescriptorIsANoOp()
    {
        Assert.Equal(0L, (long)((delegate* unmanaged[Cdecl]<nint, nint, uint, nint>)&Gpio.GpiodGetOptional)(Zeroed(64), Text("reset"), 0));
        Assert.Equal(-2L, (long)((delegate* unmanaged[Cdecl]<nint, nint, uint, nint>)&Gpio.GpiodGet)(Zeroed(64), Text("reset"), 0));
        Assert.Equal(-2L, (long)((delegate* unmanaged[Cdecl]<nint, nint, int, uint, nint, nint>)&Gpio.FwnodeGpiodGetIndex)(Zeroed(64), Text("link"), 0, 0, 0));
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, int>)&Gpio.GpiodGetValueCansleep)(0));
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, nint, int>)&Gpio.GpiodSetConsumerName)(0, Text("PHY reset")));
        Assert.Equal(-2, ((delegate* unmanaged[Cdecl]<nint, nint, int>)&Gpio.GpiodSetConsumerName)(-2, Text("PHY reset")));
        Assert.Equal(-22, ((delegate* unmanaged[Cdecl]<nint, int>)&Gpio.GpiodToIrq)(0));
        ((delegate* unmanaged[Cdecl]<nint, void>)&Gpio.GpiodPut)(0);
    }

    [Fact]
    public void RuntimePmKeepsDisableDepthAndStatusAsTheInlineHelpersReadThem()
    {
        nint dev = Zeroed(4096); // zeroed: enabled and active
        Assert.Equal(-11, PowerManagement.SetStatus(dev, RuntimePmLayout.Suspended)); // enabled: -EAGAIN
        ((delegate* unmanaged[Cdecl]<nint, byte, void>)&PowerManagement.PmRuntimeDisable)(dev, 1);
        Assert.Equal(1u, dev.Bits(RuntimePmLayout.DisableDepth)); // pm_runtime_enabled() false
        Assert.Equal(0, PowerManagement.SetStatus(dev, RuntimePmLayout.Suspended));
        Assert.Equal(RuntimePmLayout.Suspended, dev.I32(RuntimePmLayout.RuntimeStatus));
        Assert.Equal(-22, PowerManagement.SetStatus(dev, 7));
        Assert.Equal(0, PowerManagement.SetStatus(dev, RuntimePmLayout.Active));
        ((delegate* unmanaged[Cdecl]<nint, void>)&PowerManagement.PmRuntimeEnable)(dev);
        Assert.Equal(0u, dev.Bits(RuntimePmLayout.DisableDepth));
        ((delegate* unmanaged[Cdecl]<nint, void>)&PowerManagement.PmRuntimeEnable)(dev); // unbalanced: stays 0
        Assert.Equal(0u, dev.Bits(RuntimePmLayout.DisableDepth));

        // force_suspend/resume: disabled and suspended, then active and enabled again (no driver: no callbacks).
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, int>)&PowerManagement.PmRuntimeForceSuspend)(dev));
        Assert.Equal((1u, RuntimePmLayout.Suspended), (dev.Bits(RuntimePmLayout.DisableDepth), dev.I32(RuntimePmLayout.RuntimeStatus)));
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, int>)&PowerManagement.PmRuntimeForceResume)(dev));
        Assert.Equal((0u, RuntimePmLayout.Active), (dev.Bits(RuntimePmLayout.DisableDepth), dev.I32(RuntimePmLayout.RuntimeStatus)));

        Assert.Equal(0, PowerManagement.SetIrqWake(4000, true));
        Assert.Equal(1, PowerManagement.IrqWakeDepth(4000));
        PowerManagement.SetIrqWake(4000, false);
        PowerManagement.SetIrqWake(4000, false); // unbalanced: warned
        Assert.Equal(0, PowerManagement.IrqWakeDepth(4000));
    }

    [Fact]
    public void BitmapOperationsIgnoreTheBitsPastTheLengthAsLibBitmapDoes()
    {
        ulong[] a = [ulong.MaxValue, 0b1011 | 1UL << 40], b = [1UL << 63, 0b0110 | 1UL << 40], dst = new ulong[2];
        fixed (ulong* pa = a, pb = b, pd = dst)
        {
            Assert.True(Bitmap.And(pd, pa, pb, 68));
            Assert.Equal(1UL << 63, dst[0]);
            Assert.Equal(0b0010UL, dst[1]); // bit 40 of the second word is past 68 bits: cleared
            Assert.False(Bitmap.And(pd, pa + 1, pb + 1, 1)); // 0b1 & 0b0
            Bitmap.Or(pd, pa, pb, 68);
            Assert.Equal(0b1111UL | 1UL << 40, dst[1]); // or copies whole words
            Assert.False(Bitmap.Equal(pa, pb, 68));
            Assert.False(Bitmap.Equal(pa + 1, pb + 1, 1));
            ulong[] c = [5, 0xf0], d = [5, 0xf1];
            fixed (ulong* pc = c, pdd = d)
            {
                Assert.True(Bitmap.Equal(pc, pdd, 64)); // the differing word is past the length
                Assert.False(Bitmap.Equal(pc, pdd, 65));
                Assert.True(Bitmap.Subset(pc, pdd, 72));
                Assert.False(Bitmap.Subset(pdd, pc, 72));
                Assert.True(Bitmap.Subset(pdd, pc, 64));
                Assert.True(Bitmap.Intersects(pc, pdd, 1));
            }
        }
        nint map = ((delegate* unmanaged[Cdecl]<uint, uint, nint>)&Bitmap.BitmapZalloc)(130, 0);
        Assert.NotEqual(0, map);
        Assert.True(Machine.Heap.SizeOf(map) >= 24);
        Assert.Equal(0UL, ((ulong*)map)[2]);
        ((delegate* unmanaged[Cdecl]<nint, void>)&Bitmap.BitmapFree)(map);
    }

    [Fact]
    public void StrcasecmpComparesLoweredBytes()
    {
        var strcasecmp = (delegate* unmanaged[Cdecl]<byte*, byte*, int>)&StringLib.Strcasecmp;
        int cmp(nint a, nint b) => strcasecmp((byte*)a, (byte*)b);
        Assert.Equal(0, cmp(Text("RGMII-ID"), Text("rgmii-id")));
        Assert.True(cmp(Text("a"), Text("B")) < 0);
        Assert.True(cmp(Text("rgmii"), Text("RGMII-TXID")) < 0);
        nint upper = Zeroed(2), lower = Zeroed(2);
        *(byte*)upper = 0xc9; // Latin-1 capital E with acute lowers too, as lib/ctype.c has it
        *(byte*)lower = 0xe9;
        Assert.Equal(0, cmp(upper, lower));
        *(byte*)upper = 0xd7; // the multiplication sign is no letter
        Assert.NotEqual(0, cmp(upper, Text("\u00f7")));
    }

    [Fact]
    public void RefcountDecAndMutexLockTakesTheMutexOnlyForTheLastReference()
    {
        int* count = (int*)Zeroed(8);
        nint mutex = Zeroed(64);
        *count = 2;
        Cpu.Run(() =>
        {
            Assert.False(Locking.DecAndLock(count, mutex));
            Assert.Equal(1, *count);
            Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, byte>)&Locking.MutexIsLocked)(mutex));
            Assert.True(Locking.DecAndLock(count, mutex));
            Assert.Equal(0, *count);
            Assert.Equal(1, ((delegate* unmanaged[Cdecl]<nint, byte>)&Locking.MutexIsLocked)(mutex));
            Locking.UnlockMutex(mutex);
        });
    }
}
