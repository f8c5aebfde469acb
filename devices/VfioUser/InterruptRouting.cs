// SPDX-License-Identifier: MIT
// Managed side. Where a device's interrupts go: the eventfds a client registered with
// VFIO_USER_DEVICE_SET_IRQS, per index and vector, for trigger, mask and unmask. INTx is
// level-triggered and automasked as in kernel VFIO: signalling masks the line until the client
// unmasks it, and an unmask with the line still asserted fires again. MSI/MSI-X vectors keep a
// pending bit while masked and fire on unmask (PCI Local Bus 3.0, 6.8.3.4). Every eventfd was checked
// to be one and made non-blocking (EventFd.AdoptForSignalling), so no write here can block.
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.VfioUser;

internal sealed class InterruptRouting : IDisposable
{
    private const int Trigger = 0, Mask = 1, Unmask = 2;

    private readonly object sync = new();
    // fds[index][action][vector]: the eventfd signalled when the server triggers, masks or unmasks.
    private readonly EventFd?[][][] fds;
    private readonly bool[][] masked, pending;
    private bool intxLevel;

    public InterruptRouting(Func<int, int> irqCount)
    {
        fds = new EventFd?[VfioAbi.PciIrqCount][][];
        masked = new bool[VfioAbi.PciIrqCount][];
        pending = new bool[VfioAbi.PciIrqCount][];
        for (int i = 0; i < fds.Length; i++)
        {
            int n = irqCount(i);
            fds[i] = [new EventFd?[n], new EventFd?[n], new EventFd?[n]];
            masked[i] = new bool[n];
            pending[i] = new bool[n];
        }
    }

    /// <summary>
    /// A device whose INTx is resampled (QEMU's): on unmask the line counts as deasserted and the device is
    /// asked to assert it again if it still holds it, instead of the last level firing again here.
    /// </summary>
    public IIntxResampler? Resampler { get; set; }

    /// <summary>How many times an interrupt was delivered to an eventfd (for tests and statistics).</summary>
    public long Delivered { get; private set; }

    public int Count(int index) => masked[index].Length;

    public bool IntxMasked
    {
        get { lock (sync) return masked[VfioAbi.IrqIntx].Length > 0 && masked[VfioAbi.IrqIntx][0]; }
    }

    public void SetIntx(bool asserted)
    {
        lock (sync)
        {
            intxLevel = asserted;
            FireIntxIfDue();
        }
    }

    public void SignalMsi(int vector)
    {
        lock (sync)
        {
            if ((uint)vector < (uint)masked[VfioAbi.IrqMsi].Length)
                Raise(VfioAbi.IrqMsi, vector);
        }
    }

    /// <summary>
    /// Applies one SET_IRQS request whose header was decoded and whose range was checked. For DATA_EVENTFD,
    /// <paramref name="eventFds"/> holds exactly <paramref name="count"/> adopted eventfds (taken over here)
    /// or none (de-assign). Returns 0 or an errno.
    /// </summary>
    public int Apply(int index, uint action, uint dataType, int start, int count, ReadOnlySpan<byte> selected, EventFd[] eventFds)
    {
        int slot = action switch
        {
            VfioAbi.IrqSetActionTrigger => Trigger,
            VfioAbi.IrqSetActionMask => Mask,
            _ => Unmask,
        };
        lock (sync)
        {
            if (dataType == VfioAbi.IrqSetDataEventFd)
            {
                var slots = fds[index][slot];
                for (int i = 0; i < count; i++)
                {
                    slots[start + i]?.Dispose();
                    slots[start + i] = eventFds.Length == 0 ? null : eventFds[i];
                }
                if (index == VfioAbi.IrqIntx && slot == Trigger)
                {
                    masked[index][0] = false;
                    FireIntxIfDue();
                }
                return 0;
            }
            if (count == 0)
            {
                DisableAll(index);
                return 0;
            }
            for (int i = 0; i < count; i++)
            {
                if (dataType == VfioAbi.IrqSetDataBool && selected[i] == 0)
                    continue;
                int v = start + i;
                switch (slot)
                {
                    case Trigger:
                        if (index == VfioAbi.IrqIntx)
                            Fire(fds[index][Trigger][v]);
                        else
                            Raise(index, v);
                        break;
                    case Mask:
                        SetMasked(index, v, true);
                        break;
                    default:
                        SetMasked(index, v, false);
                        if (index == VfioAbi.IrqIntx && Resampler is { } resampler)
                        {
                            intxLevel = false;
                            resampler.IntxUnmasked();
                        }
                        else if (index == VfioAbi.IrqIntx)
                            FireIntxIfDue();
                        else if (pending[index][v])
                            Raise(index, v);
                        break;
                }
            }
            return 0;
        }
    }

    /// <summary>Forgets every eventfd and mask (client gone); the device's line level is kept.</summary>
    public void Clear()
    {
        lock (sync)
        {
            for (int i = 0; i < fds.Length; i++)
            {
                DisableAll(i);
                Array.Clear(masked[i]);
                Array.Clear(pending[i]);
            }
        }
    }

    private void DisableAll(int index)
    {
        foreach (var slots in fds[index])
        {
            for (int i = 0; i < slots.Length; i++)
            {
                slots[i]?.Dispose();
                slots[i] = null;
            }
        }
    }

    private void SetMasked(int index, int vector, bool value)
    {
        if (masked[index][vector] == value)
            return;
        masked[index][vector] = value;
        Fire(fds[index][value ? Mask : Unmask][vector]);
    }

    // An edge-triggered vector (MSI/MSI-X): delivered now, or remembered while masked.
    private void Raise(int index, int vector)
    {
        if (masked[index][vector])
        {
            pending[index][vector] = true;
            return;
        }
        pending[index][vector] = false;
        Fire(fds[index][Trigger][vector]);
    }

    private void FireIntxIfDue()
    {
        var m = masked[VfioAbi.IrqIntx];
        var t = fds[VfioAbi.IrqIntx][Trigger];
        if (intxLevel && m.Length > 0 && !m[0] && t[0] is not null)
        {
            SetMasked(VfioAbi.IrqIntx, 0, true);
            Fire(t[0]);
        }
    }

    private void Fire(EventFd? target)
    {
        if (target is null)
            return;
        target.Signal();
        Delivered++;
    }

    public void Dispose() => Clear();
}
