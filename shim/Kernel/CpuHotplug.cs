// SPDX-License-Identifier: MIT
// Managed side. CPU hotplug states (kernel/cpu.c) on a machine with one CPU that is online from boot and
// never goes: CPU 0 has reached every state up to CPUHP_ONLINE, so setting up a state with invoke runs its
// startup callback for CPU 0 at once, removing one with invoke runs its teardown for CPU 0, and a
// multi-instance state does the same per instance; dynamic states are handed out from their ranges as
// cpuhp_reserve_state() does. No CPU is ever plugged or unplugged, so the callbacks run only then.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

/// <summary>The hotplug state table of one online CPU (testable with any numbering of the states).</summary>
public sealed unsafe class CpuHotplugStates(int prepareDyn, int prepareDynEnd, int onlineDyn, int onlineDynEnd, int online)
{
    private const int EInval = -22, EBusy = -16, ENoSpc = -28;

    private sealed class Step(string name, nint startup, nint teardown, bool multi)
    {
        public string Name { get; } = name;
        public nint Startup { get; } = startup;
        public nint Teardown { get; } = teardown;
        public bool Multi { get; } = multi;
        public readonly List<nint> Instances = [];
    }

    private readonly Dictionary<int, Step> _steps = [];

    /// <summary>The state CPU 0 has reached: every one.</summary>
    private int CpuState => online;

    public int Online => online;

    public bool IsSetUp(int state) => _steps.ContainsKey(state);

    public int InstanceCount(int state) => _steps.TryGetValue(state, out var s) ? s.Instances.Count : 0;

    // Single callbacks take the CPU; multi-instance ones the CPU and the instance's hlist_node.
    private static int Call(nint fn, bool multi, uint cpu, nint node) =>
        multi ? ((delegate* unmanaged<uint, nint, int>)fn)(cpu, node) : ((delegate* unmanaged<uint, int>)fn)(cpu);

    /// <summary>__cpuhp_setup_state(): the state number for a dynamic request, 0 for a fixed one, or -errno.</summary>
    public int Setup(int state, string? name, bool invoke, nint startup, nint teardown, bool multi)
    {
        if (state <= 0 || state >= online || name is null)
            return EInval; // cpuhp_cb_check(), and a name is required
        bool dynamic = state == onlineDyn || state == prepareDyn;
        if (dynamic)
        {
            int end = state == onlineDyn ? onlineDynEnd : prepareDynEnd, free = -1;
            for (int i = state; i <= end && free < 0; i++)
                if (!_steps.ContainsKey(i))
                    free = i;
            if (free < 0)
                return ENoSpc;
            state = free;
        }
        else if (_steps.ContainsKey(state))
            return EBusy;
        var step = new Step(name, startup, teardown, multi);
        _steps[state] = step;
        // Single-instance states run startup for the online CPU now; a multi-instance state has no instances yet.
        if (invoke && startup != 0 && !multi && CpuState >= state)
        {
            int r = Call(startup, false, 0, 0);
            if (r != 0)
            {
                _steps.Remove(state);
                return r;
            }
        }
        return dynamic ? state : 0;
    }

    /// <summary>__cpuhp_remove_state(): teardown for CPU 0 with invoke (single-instance states); the state is freed.</summary>
    public void Remove(int state, bool invoke, Action<string> warn)
    {
        if (!_steps.Remove(state, out var step))
            return;
        if (step.Multi)
        {
            if (step.Instances.Count > 0)
                warn($"Error: Removing state {state} which has instances left.");
            return;
        }
        if (invoke && step.Teardown != 0 && CpuState >= state)
            Call(step.Teardown, false, 0, 0);
    }

    /// <summary>__cpuhp_state_add_instance(): with invoke, startup for CPU 0 with this instance; then it is listed.</summary>
    public int AddInstance(int state, nint node, bool invoke)
    {
        if (!_steps.TryGetValue(state, out var step) || !step.Multi)
            return EInval;
        if (invoke && step.Startup != 0 && CpuState >= state)
        {
            int r = Call(step.Startup, true, 0, node);
            if (r != 0)
                return r;
        }
        step.Instances.Insert(0, node); // hlist_add_head
        return 0;
    }

    /// <summary>__cpuhp_state_remove_instance(): with invoke, teardown for CPU 0 with this instance; then it is unlisted.</summary>
    public int RemoveInstance(int state, nint node, bool invoke)
    {
        if (!_steps.TryGetValue(state, out var step) || !step.Multi)
            return EInval;
        if (invoke && step.Teardown != 0 && CpuState >= state)
            Call(step.Teardown, true, 0, node);
        step.Instances.Remove(node);
        return 0;
    }
}

public static unsafe class CpuHotplug
{
    private static CpuHotplugStates? _states;

    private static CpuHotplugStates States => _states ??= new CpuHotplugStates(
        (int)CpuHotplugLayout.PrepareDyn.Value, (int)CpuHotplugLayout.PrepareDynEnd.Value,
        (int)CpuHotplugLayout.OnlineDyn.Value, (int)CpuHotplugLayout.OnlineDynEnd.Value, (int)CpuHotplugLayout.Online.Value);

    [KernelSymbol("__cpuhp_setup_state"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SetupState(int state, nint name, byte invoke, nint startup, nint teardown, byte multiInstance) =>
        States.Setup(state, Access.CString(name), invoke != 0, startup, teardown, multiInstance != 0);

    [KernelSymbol("__cpuhp_remove_state"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void RemoveState(int state, byte invoke) => States.Remove(state, invoke != 0, text => Machine.Log(4, text));

    [KernelSymbol("__cpuhp_state_add_instance"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int StateAddInstance(int state, nint node, byte invoke) => States.AddInstance(state, node, invoke != 0);

    [KernelSymbol("__cpuhp_state_remove_instance"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int StateRemoveInstance(int state, nint node, byte invoke) => States.RemoveInstance(state, node, invoke != 0);

    // The read side of the hotplug lock keeps CPUs from coming or going while held. None ever does here,
    // and the caller already holds the one CPU (DESIGN D5), so there is no writer to wait for or to hold off.
    [KernelSymbol("cpus_read_lock"), KernelSymbol("cpus_read_unlock"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void CpusReadLock() { }
}
