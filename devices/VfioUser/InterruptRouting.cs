// SPDX-License-Identifier: MIT
// Managed side. Where a device's interrupts go: the eventfds a client registered with
// VFIO_USER_DEVICE_SET_IRQS. INTx is level-triggered and automasked as in kernel VFIO: signalling
// masks the line until the client unmasks it, and an unmask with the line still asserted fires again.
using LinuxShim.Shim.Vfio;
using LinuxShim.Shim.Vfio.Interop;

namespace LinuxShim.Devices.VfioUser;

internal sealed class InterruptRouting : IDisposable
{
    private readonly object sync = new();
    private readonly EventFd?[][] triggers;
    private bool intxLevel;
    private bool intxMasked;

    public InterruptRouting(Func<int, int> irqCount)
    {
        triggers = new EventFd?[VfioAbi.PciIrqCount][];
        for (int i = 0; i < triggers.Length; i++)
            triggers[i] = new EventFd?[irqCount(i)];
    }

    /// <summary>How many times an interrupt was delivered to an eventfd (for tests and statistics).</summary>
    public long Delivered { get; private set; }

    public int Count(int index) => triggers[index].Length;

    public bool IntxMasked
    {
        get { lock (sync) return intxMasked; }
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
            if ((uint)vector < (uint)triggers[VfioAbi.IrqMsi].Length)
                Fire(triggers[VfioAbi.IrqMsi][vector]);
        }
    }

    /// <summary>
    /// Applies one validated SET_IRQS request. <paramref name="fds"/> holds exactly <paramref name="count"/>
    /// descriptors or none (de-assign); the ones it keeps it removes from the list. Returns 0 or an errno.
    /// </summary>
    public int Apply(int index, uint action, uint dataType, int start, int count, ReadOnlySpan<byte> selected, List<int> fds)
    {
        lock (sync)
        {
            var slots = triggers[index];
            if (dataType == VfioAbi.IrqSetDataEventFd)
            {
                if (action != VfioAbi.IrqSetActionTrigger)
                    return Libc.EINVAL;
                for (int i = 0; i < count; i++)
                {
                    slots[start + i]?.Dispose();
                    slots[start + i] = fds.Count == 0 ? null : new EventFd(fds[i]);
                }
                fds.Clear();
                if (index == VfioAbi.IrqIntx)
                {
                    intxMasked = false;
                    FireIntxIfDue();
                }
                return 0;
            }
            if (count == 0 && action == VfioAbi.IrqSetActionTrigger && dataType == VfioAbi.IrqSetDataNone)
            {
                DisableAll(index);
                return 0;
            }
            for (int i = 0; i < count; i++)
            {
                if (dataType == VfioAbi.IrqSetDataBool && selected[i] == 0)
                    continue;
                int v = start + i;
                switch (action)
                {
                    case VfioAbi.IrqSetActionTrigger:
                        Fire(slots[v]);
                        break;
                    case VfioAbi.IrqSetActionMask when index == VfioAbi.IrqIntx:
                        intxMasked = true;
                        break;
                    case VfioAbi.IrqSetActionUnmask when index == VfioAbi.IrqIntx:
                        intxMasked = false;
                        FireIntxIfDue();
                        break;
                    default:
                        return Libc.EINVAL; // only INTx is maskable
                }
            }
            return 0;
        }
    }

    /// <summary>Forgets every eventfd (client gone); the device's line level is kept.</summary>
    public void Clear()
    {
        lock (sync)
        {
            for (int i = 0; i < triggers.Length; i++)
                DisableAll(i);
            intxMasked = false;
        }
    }

    private void DisableAll(int index)
    {
        var slots = triggers[index];
        for (int i = 0; i < slots.Length; i++)
        {
            slots[i]?.Dispose();
            slots[i] = null;
        }
    }

    private void FireIntxIfDue()
    {
        var t = triggers[VfioAbi.IrqIntx];
        if (intxLevel && !intxMasked && t.Length > 0 && t[0] is not null)
        {
            intxMasked = true;
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
