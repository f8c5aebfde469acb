// SPDX-License-Identifier: MIT
// Managed side. Reachability, continued: functions GCC optimizes for size. One declared cold is (__cold, and
// __init and __exit, which are cold); so is a static function whose every call comes from such a function and
// whose address is never taken (GCC's ipa-profile lowers a local function's frequency when all its callers are
// unlikely executed; a recursive one keeps its own). What differs there, with the kernel's flags: memcpy and
// memset expand inline whatever their size (rep movs, rep stos), and a printed literal (sprintf(d, "text")) is a
// strcpy call. Whether a static function is cold is known only once every call of it has been walked, so what
// depends on it is decided at the end of the walk.
namespace LinuxShim.Import.Analysis;

internal sealed partial class Reachability
{
    /// <summary>What a library call emits in a function optimized for speed, and in one optimized for size.</summary>
    private readonly record struct SizeDecision(string? Speed, string? Size, Symbol? Target);

    /// <summary>A decision made in a static function whose coldness was not yet known.</summary>
    private readonly record struct DeferredDecision(Symbol Emitted, Symbol? Current, SizeDecision Decision);

    private readonly List<DeferredDecision> _deferred = [];

    /// <summary>Function → the emitted functions whose surviving code calls it directly.</summary>
    private readonly Dictionary<Symbol, HashSet<Symbol>> _calledFrom = [];

    /// <summary>Function → every call site of it walked (the emitted function, and the call, when known).</summary>
    private readonly Dictionary<Symbol, HashSet<(Symbol Caller, IrNode? Call)>> _callSites = [];

    /// <summary>
    /// A static function GCC inlines into its one caller (called once, its address never taken, not noinline): its own
    /// entry block is then the caller's block (gcc-12: soc-topology's manifest_new_ver, whose entry leads only to
    /// dev_warn calls, keeps its memcpy a call, inlined into soc_tplg_manifest_load). Called only from blocks that never
    /// run it is still optimized for size (sb_edac's sbridge_mce_output_error, its sprintf lines strcpy calls); a small
    /// one GCC inlines before it estimates the profile is not, which the importer does not tell apart.
    /// </summary>
    private bool CalledOnceInline(Symbol function) =>
        Inlinable(function) && _callSites.TryGetValue(function, out var sites) && sites.Count == 1;

    /// <summary>A function GCC may inline: static, not noinline, its address never taken.</summary>
    private bool Inlinable(Symbol function) => function.IsStatic && !function.IsNoInline && !_notLocal.Contains(function);

    /// <summary>Functions referenced other than by a direct call (address taken, a root): never local to GCC.</summary>
    private readonly HashSet<Symbol> _notLocal = [];

    /// <summary>What an inline function's walk in one context decided by its caller's coldness (a library call) or
    /// told of its caller (a direct call): replayed for each caller that reuses the walk.</summary>
    private readonly record struct CallerDependent(SizeDecision Decision, Symbol? Callee, bool Unlikely = false);

    private readonly Dictionary<(Symbol, string), List<CallerDependent>> _inlineReplays = [];

    /// <summary>For each inline function being walked, what its walk has made so far that depends on the caller.</summary>
    private readonly Stack<List<CallerDependent>> _capturing = new();

    /// <summary>Replays, for the caller now walked, what a reused inline walk made (see <see cref="CallerDependent"/>).</summary>
    private void Replay(List<CallerDependent> made)
    {
        foreach (var (decision, callee, unlikely) in made)
        {
            if (callee is not null)
                NoteDirectCall(callee, unlikely);
            else if (unlikely && IsBlockLevel(decision))
                Emit(decision.Size, decision.Target); // unlikely by the inline function's own code (Reachability.Likelihood)
            else
                EmitLibraryCall(decision.Speed, decision.Size, decision.Target);
        }
    }

    /// <summary>
    /// Emits what a library call becomes: <paramref name="speed"/> in a function GCC optimizes for speed,
    /// <paramref name="size"/> in one it optimizes for size (null: nothing, the call is expanded inline or folds).
    /// </summary>
    private void EmitLibraryCall(string? speed, string? size, Symbol? target)
    {
        if (speed == size)
        {
            Emit(speed, target);
            return;
        }
        var decision = new SizeDecision(speed, size, target);
        foreach (var made in _capturing)
            made.Add(new CallerDependent(decision, null, _unlikely));
        // memcmp's equality expansion follows the block (size in one that never runs; else once the block's first call
        // and the branch's verdict are known); what else differs follows the function (Reachability.Likelihood).
        bool block = IsBlockLevel(decision);
        if (block && Unlikely)
            Emit(size, target);
        else if (_emitted is null)
            Emit(speed, target);
        else if (block)
            Decide(new DeferredDecision(_emitted, _current, decision));
        else
            DecideForFunction(new DeferredDecision(_emitted, _current, decision));
    }

    private void Emit(string? name, Symbol? target)
    {
        if (name is null)
            return;
        if (target is not null && name == target.Name)
            AddExternal(target);
        else
            AddNamed(name);
    }

    /// <summary>A direct call of <paramref name="callee"/> from the code being walked (from a block that never runs,
    /// as a reused inline walk found, when <paramref name="unlikely"/>).</summary>
    private void NoteDirectCall(Symbol callee, bool unlikely = false, IrNode? call = null)
    {
        if (_quiet > 0 || _emitted is null)
            return;
        foreach (var made in _capturing)
            made.Add(new CallerDependent(default, callee, unlikely || _unlikely));
        NoteCaller(callee, unlikely || Unlikely);
        if (!_callSites.TryGetValue(callee, out var sites))
            _callSites[callee] = sites = [];
        // A reused inline walk's call is another copy of it (no node: a site of its own unless one is recorded here).
        sites.Add((_emitted, call));
    }

    // A call from a block GCC's guessed profile says never runs is no reason to optimize the callee for speed (gcc-12's
    // ipa-profile: a static called only from such blocks is optimized for size); one from a branch it only predicts is.
    private void NoteCaller(Symbol callee, bool unlikelySite)
    {
        if (!_calledFrom.TryGetValue(callee, out var callers))
            _calledFrom[callee] = callers = [];
        if (!unlikelySite)
            callers.Add(_emitted!);

    }

    /// <summary>Decides what was deferred, once every call has been walked.</summary>
    private void DecideDeferred()
    {
        if (_deferred.Count == 0)
            return;
        // The least fixpoint, as GCC propagates: a cycle of statics (recursion) is not cold by itself. Functions whose
        // entry never runs are cold from the start.
        var cold = new HashSet<Symbol>(_entryNeverRuns.Where(e => e.Value && !CalledOnceInline(e.Key)).Select(e => e.Key));
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (var (callee, callers) in _calledFrom)
                if (callee.IsStatic && !callee.IsCold && !_notLocal.Contains(callee) && !cold.Contains(callee)
                    && callers.All(c => c.IsCold || cold.Contains(c)))
                    changed |= cold.Add(callee);
        }
        var (current, emitted) = (_current, _emitted);
        foreach (var (function, at, decision) in _deferred)
        {
            (_current, _emitted) = (at, function);
            Emit(function.IsCold || cold.Contains(function) ? decision.Size : decision.Speed, decision.Target);
        }
        (_current, _emitted) = (current, emitted);
        _deferred.Clear();
    }
}
