// SPDX-License-Identifier: MIT
// Managed side. Linux locking (kernel/locking, kernel/rcu): on the shim's one non-preemptive CPU a
// spinlock holder can never be interrupted by another context, so spinlocks only keep their API.
// Mutexes can be held across sleeps, so they are real; RCU readers never sleep, so a grace period
// has passed whenever the caller holds the CPU.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Locking
{
    private const ulong IrqEnabledFlags = 0x200; // X86_EFLAGS_IF, what irqsave returns with interrupts on
    private static readonly Dictionary<nint, Thread> MutexOwners = [];
    private static nint _rtnl;

    [KernelSymbol("_raw_spin_lock"), KernelSymbol("_raw_spin_unlock"), KernelSymbol("_raw_spin_lock_irq"), KernelSymbol("_raw_spin_unlock_irq"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SpinLock(nint lockp) { }

    [KernelSymbol("_raw_spin_lock_bh"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SpinLockBh(nint lockp) => Cpu.AddPreempt(Cpu.SoftirqDisableOffset);

    [KernelSymbol("_raw_spin_unlock_bh"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SpinUnlockBh(nint lockp)
    {
        Cpu.AddPreempt(-Cpu.SoftirqDisableOffset);
        if (!Cpu.InInterrupt)
            Softirq.RunPending();
    }

    [KernelSymbol("_raw_spin_lock_irqsave"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong SpinLockIrqsave(nint lockp) => IrqEnabledFlags;

    [KernelSymbol("_raw_spin_unlock_irqrestore"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SpinUnlockIrqrestore(nint lockp, ulong flags) { }

    // Reader-writer spinlocks with interrupts off: on one non-preemptive CPU, as plain spinlocks, nothing to do.
    [KernelSymbol("_raw_read_lock_irqsave"), KernelSymbol("_raw_write_lock_irqsave"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong RwLockIrqsave(nint lockp) => IrqEnabledFlags;

    [KernelSymbol("_raw_read_unlock_irqrestore"), KernelSymbol("_raw_write_unlock_irqrestore"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void RwUnlockIrqrestore(nint lockp, ulong flags) { }

    [KernelSymbol("_raw_spin_trylock"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SpinTrylock(nint lockp) => 1;

    [KernelSymbol("__mutex_init"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void MutexInit(nint mutex, nint name, nint key) => MutexOwners.Remove(mutex);

    public static void LockMutex(nint mutex)
    {
        var me = Thread.CurrentThread;
        if (MutexOwners.TryGetValue(mutex, out var owner) && owner == me)
            Machine.Fatal($"mutex 0x{mutex:x} locked twice by the same context (deadlock)");
        Cpu.WaitUntil(() => !MutexOwners.ContainsKey(mutex));
        MutexOwners[mutex] = me;
    }

    public static void UnlockMutex(nint mutex)
    {
        MutexOwners.Remove(mutex);
        Cpu.WakeAll();
    }

    [KernelSymbol("mutex_lock"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void MutexLock(nint mutex) => LockMutex(mutex);

    [KernelSymbol("mutex_lock_interruptible"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int MutexLockInterruptible(nint mutex)
    {
        LockMutex(mutex);
        return 0;
    }

    private static int TryLockMutex(nint mutex) => MutexOwners.TryAdd(mutex, Thread.CurrentThread) ? 1 : 0;

    [KernelSymbol("mutex_trylock"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int MutexTrylock(nint mutex) => TryLockMutex(mutex);

    [KernelSymbol("mutex_unlock"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void MutexUnlock(nint mutex) => UnlockMutex(mutex);

    [KernelSymbol("mutex_is_locked"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte MutexIsLocked(nint mutex) => (byte)(MutexOwners.ContainsKey(mutex) ? 1 : 0);

    /// <summary>
    /// refcount_dec_and_mutex_lock() (lib/refcount.c): drops a reference; when it was the last, returns true with
    /// <paramref name="mutex"/> held (the count reached 0 under it), else false without it.
    /// </summary>
    [KernelSymbol("refcount_dec_and_mutex_lock"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte RefcountDecAndMutexLock(int* r, nint mutex) => DecAndLock(r, mutex) ? (byte)1 : (byte)0;

    public static bool DecAndLock(int* r, nint mutex)
    {
        // refcount_dec_not_one(): a saturated count stays; above one it only drops.
        int old = Volatile.Read(ref *r);
        while (old != 1)
        {
            if (old == unchecked((int)0xc0000000) || old == 0)
                return false; // saturated or already zero (Linux warns of the latter): nothing to release
            int seen = Interlocked.CompareExchange(ref *r, old - 1, old);
            if (seen == old)
                return false;
            old = seen;
        }
        LockMutex(mutex);
        if (Interlocked.Decrement(ref *r) != 0)
        {
            UnlockMutex(mutex);
            return false;
        }
        return true;
    }

    private static nint Rtnl => _rtnl != 0 ? _rtnl : _rtnl = (nint)NativeMemory.AllocZeroed(64);

    /// <summary>The RTNL mutex (net core configuration lock).</summary>
    public static void RtnlLock() => LockMutex(Rtnl);
    public static void RtnlUnlock() => UnlockMutex(Rtnl);

    [KernelSymbol("rtnl_lock"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void RtnlLockEntry() => RtnlLock();

    [KernelSymbol("rtnl_unlock"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void RtnlUnlockEntry() => RtnlUnlock();

    [KernelSymbol("rtnl_trylock"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int RtnlTrylock() => TryLockMutex(Rtnl);

    [KernelSymbol("rtnl_is_locked"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int RtnlIsLocked() => MutexOwners.ContainsKey(Rtnl) ? 1 : 0;

    // Grace periods pass at once; under CONFIG_PREEMPT_RCU rcu_read_lock() calls the __rcu_read_* pair,
    // and readers cannot be preempted here.
    [KernelSymbol("synchronize_rcu"), KernelSymbol("synchronize_net"), KernelSymbol("__rcu_read_lock"), KernelSymbol("__rcu_read_unlock"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SynchronizeRcu() { }

    /// <summary>call_rcu: the callback runs after the current readers, i.e. at the next softirq point.</summary>
    [KernelSymbol("call_rcu"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void CallRcu(nint head, nint func) =>
        Softirq.Raise(() => ((delegate* unmanaged<nint, void>)func)(head));

    [KernelSymbol("__SCT__might_resched"), KernelSymbol("__SCT__cond_resched"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int CondResched()
    {
        if (!Cpu.InInterrupt)
            Cpu.Yield();
        return 0;
    }
}
