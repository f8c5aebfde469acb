// SPDX-License-Identifier: MIT
// Managed side. Linux interrupt handling (kernel/irq): a handler registered for a device's line
// runs in hard interrupt context when the function signals it, then pending softirqs (NAPI) run,
// then the line is unmasked. Threaded handlers run on their own thread in process context.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Pci;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Irq
{
    private const int IrqNone = 0, IrqHandled = 1, IrqWakeThread = 2;

    private sealed class Action(nint handler, nint threadFn, nint devId, nint name)
    {
        public readonly nint Handler = handler, ThreadFn = threadFn, DevId = devId, Name = name;
        public bool ThreadPending;
    }

    private sealed class Line(int irq, IPciFunction function)
    {
        public readonly int Number = irq;
        public readonly IPciFunction Function = function;
        public readonly List<Action> Actions = [];
        public int DisableDepth;
        public bool Pending, Freed;
        public Thread? Thread;
        public long Count;
        public long WindowStart, WindowCount, WindowUnhandled;
    }

    // Spurious-interrupt detection, as Linux's note_interrupt: a line that fires this often in one
    // second with (nearly) nobody handling it is a storm. Linux disables the line ("nobody cared");
    // here the driver cannot work without it either, so the host ends itself and its supervisor
    // starts a fresh one.
    private const int StormMinimum = 2000;
    private const double StormUnhandledShare = 0.99;

    private static readonly Dictionary<int, Line> Lines = [];

    /// <summary>The function whose line is Linux interrupt <paramref name="irq"/>: a PCI function's INTx (PciCore),
    /// or a platform device's first line (Platform); null for a number no device has.</summary>
    private static IPciFunction? Source(uint irq) =>
        PciCore.All.FirstOrDefault(d => d.Irq == (int)irq)?.Function ?? Platform.LineOf((int)irq);

    /// <summary>Interrupts delivered per line (for statistics and tests).</summary>
    public static long CountOf(int irq) => Lines.TryGetValue(irq, out var l) ? l.Count : 0;

    [KernelSymbol("request_threaded_irq"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int RequestThreadedIrq(uint irq, nint handler, nint threadFn, ulong flags, nint name, nint devId)
    {
        var function = Source(irq);
        if (function is null)
            return -22; // -EINVAL
        if (FaultInjection.Fail("request_irq"))
            return -16; // -EBUSY, as a line another device holds exclusively
        if (!Lines.TryGetValue((int)irq, out var line))
        {
            line = new Line((int)irq, function);
            Lines[(int)irq] = line;
        }
        line.Actions.Add(new Action(handler, threadFn, devId, name));
        if (line.Actions.Count == 1)
            function.SetIrqHandler(PciIrqKind.Intx, 0, () => Deliver(line));
        if (threadFn != 0 && line.Thread is null)
        {
            line.Thread = new Thread(() => IrqThread(line)) { IsBackground = true, Name = $"irq/{irq}" };
            line.Thread.Start();
        }
        return 0;
    }

    // kernel/irq/manage.c: the hint is only shown to user space (/proc/irq/N/affinity_hint), which a host has
    // not; with setaffinity the mask must hold an online CPU, and the one CPU handles every interrupt anyway.
    [KernelSymbol("__irq_apply_affinity_hint"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int IrqApplyAffinityHint(uint irq, ulong* mask, byte setAffinity)
    {
        if (Source(irq) is null)
            return -22; // no descriptor for this interrupt
        if (setAffinity != 0 && mask != null && (mask[0] & 1) == 0)
            return -22; // no online CPU in the mask
        return 0;
    }

    [KernelSymbol("free_irq"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint FreeIrq(uint irq, nint devId)
    {
        if (!Lines.TryGetValue((int)irq, out var line))
            return 0;
        var action = line.Actions.FirstOrDefault(a => a.DevId == devId);
        if (action is null)
            return 0;
        line.Actions.Remove(action);
        if (line.Actions.Count == 0)
        {
            // The function's interrupt thread is not waited for: it may be blocked on this very CPU
            // to deliver one more interrupt, which Deliver then drops (Freed).
            line.Freed = true;
            Lines.Remove((int)irq);
            line.Function.SetIrqHandler(PciIrqKind.Intx, 0, null);
        }
        return action.Name;
    }

    private static void Deliver(Line line)
    {
        Cpu.Run(() =>
        {
            if (line.Freed)
                return; // signalled before free_irq, delivered after it: as Linux, no handler runs late
            if (line.DisableDepth > 0)
            {
                line.Pending = true; // replayed by enable_irq, as Linux's lazy disable does
                return;
            }
            Handle(line);
        });
    }

    private static void Handle(Line line)
    {
        line.Count++;
        bool wake = false, handled = false;
        Cpu.AddPreempt(Cpu.HardirqOffset);
        try
        {
            foreach (var a in line.Actions.ToArray())
            {
                int r = ((delegate* unmanaged<int, nint, int>)a.Handler)(line.Number, a.DevId);
                handled |= r != IrqNone;
                if (r == IrqWakeThread && a.ThreadFn != 0)
                {
                    a.ThreadPending = true;
                    wake = true;
                }
            }
            Progress.HardirqReturned();
        }
        finally
        {
            Cpu.AddPreempt(-Cpu.HardirqOffset);
        }
        Softirq.RunPending();
        if (wake)
            Cpu.WakeAll();
        if (NoteInterrupt(line, handled))
            return; // the line stays masked
        line.Function.UnmaskIntx();
    }

    /// <summary>Counts one interrupt; true when the line is storming (the host is then ending).</summary>
    private static bool NoteInterrupt(Line line, bool handled)
    {
        long now = Environment.TickCount64;
        if (now - line.WindowStart >= 1000)
        {
            line.WindowStart = now;
            line.WindowCount = line.WindowUnhandled = 0;
        }
        line.WindowCount++;
        if (!handled)
            line.WindowUnhandled++;
        if (line.WindowCount < StormMinimum || line.WindowUnhandled < StormUnhandledShare * line.WindowCount)
            return false;
        Machine.Abort($"irq {line.Number}: interrupt storm, {line.WindowUnhandled} of {line.WindowCount} interrupts in {now - line.WindowStart} ms unhandled (nobody cared); line disabled", Machine.ExitInterruptStorm);
        return true;
    }

    private static void IrqThread(Line line)
    {
        Cpu.Run(() =>
        {
            while (Lines.ContainsKey(line.Number))
            {
                Cpu.WaitUntil(() => line.Actions.Any(a => a.ThreadPending), 1000);
                foreach (var a in line.Actions.Where(a => a.ThreadPending).ToArray())
                {
                    a.ThreadPending = false;
                    ((delegate* unmanaged<int, nint, int>)a.ThreadFn)(line.Number, a.DevId);
                    Progress.HardirqReturned();
                }
            }
        });
    }

    [KernelSymbol("disable_irq"), KernelSymbol("disable_irq_nosync"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DisableIrq(uint irq) => Disable(irq);

    [KernelSymbol("disable_hardirq"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte DisableHardirq(uint irq)
    {
        Disable(irq);
        return 1;
    }

    private static void Disable(uint irq)
    {
        if (Lines.TryGetValue((int)irq, out var line))
            line.DisableDepth++;
    }

    [KernelSymbol("enable_irq"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void EnableIrq(uint irq)
    {
        if (!Lines.TryGetValue((int)irq, out var line) || line.DisableDepth == 0)
            return;
        if (--line.DisableDepth == 0 && line.Pending)
        {
            line.Pending = false;
            Handle(line);
        }
    }

    // The handler runs only while its caller does not hold the CPU, so it has finished by now (and one
    // already signalled waits for the CPU and finds its line as the caller leaves it).
    [KernelSymbol("synchronize_irq"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SynchronizeIrq(uint irq) { }

    // Interrupt autoprobing (kernel/irq/autoprobe.c) finds a legacy ISA device's line by arming every
    // unassigned interrupt. A driver host has only the interrupts of the functions it was given, each
    // already assigned: none is free to probe, so probe_irq_on() arms none (mask 0) and probe_irq_off()
    // finds that none fired (0).
    [KernelSymbol("probe_irq_on"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong ProbeIrqOn() => 0;

    [KernelSymbol("probe_irq_off"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ProbeIrqOff(ulong mask) => 0;
}
