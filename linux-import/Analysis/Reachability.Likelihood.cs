// SPDX-License-Identifier: MIT
// Managed side. Reachability, continued: code GCC's guessed profile says is never executed, which it then
// optimizes for size (memcpy and memset inline, memcmp and printed literals calls: Reachability.SizeOptimized)
// in a function it otherwise optimizes for speed. Two rules of gcc-12's predict.cc, with the kernel's printk
// family (_printk, _dev_info, netdev_err…) declared __cold:
//  - a basic block whose first call is to a cold function is unlikely, and so is everything reachable only
//    through unlikely blocks (determine_unlikely_bbs): pr_info("…") at a function's start makes all of it so,
//    and the join of two such branches is unlikely too;
//  - a branch every path of which calls a cold function is predicted not taken (predict_paths_leading_to), so
//    the whole branch is cold, code before the call included: if (n) { copy; dev_err(…); }.
// The walk follows the structure: an if's arms, a loop's body and a switch's cases are branches; a block ends
// where they join, at a label, and after a branch that returned. Calls of GCC builtins (memcpy, strlen…) and
// of nothing (a const or pure function) do not start a block's calls; inline assembly does not either, unless
// volatile (checked with gcc-12: asm volatile before pr_info keeps the code after it hot).
namespace LinuxShim.Import.Analysis;

internal sealed partial class Reachability
{
    /// <summary>Unlikely code in the caller of the inline function being walked (an inline callee is as unlikely as its call).</summary>
    private bool _unlikelyOuter;

    /// <summary>The code being walked is in a block GCC predicts is never executed (this function's own reasons).</summary>
    private bool _unlikely;

    /// <summary>The current basic block has made a call already (so a cold call after it does not make it unlikely).</summary>
    private bool _blockCalled;

    /// <summary>In the current branch, a cold function has certainly been called (no path left the branch before).</summary>
    private bool _certainCold;

    /// <summary>In the current branch, some path has left it (returned) already.</summary>
    private bool _escaped;

    /// <summary>Library calls decided in the branches being walked, each pending its branch's verdict (cold or not).</summary>
    private readonly Stack<List<DeferredDecision>> _arms = new();

    /// <summary>Library calls decided in the current block before any call: its first call says whether the whole
    /// block is unlikely (the code before a cold call included).</summary>
    private readonly List<DeferredDecision> _blockPending = [];

    /// <summary>Calls that stay calls, walked so far (a branch that made one is its own block).</summary>
    private long _callsMade;

    /// <summary>What an inline function's walk did to the caller's blocks, for a caller that reuses the walk.</summary>
    private sealed class WalkEffects(int armDepth)
    {
        public readonly int ArmDepth = armDepth;
        public bool FirstSeen, ColdFirst, Called, CertainCold, EndsUnlikely;
    }

    private readonly Stack<WalkEffects> _effects = new();
    private readonly Dictionary<(Symbol, string), WalkEffects> _inlineEffects = [];

    private bool Unlikely => _unlikelyOuter || _unlikely;

    /// <summary>In the definition being walked, some path from its entry made a call or returned in a block that may run.</summary>
    private bool _entryEscaped;

    /// <summary>Definitions walked → whether every walk found their entry block never runs (gcc-12 then optimizes all
    /// of the function for size: memcpy inline, a printed literal strcpy…).</summary>
    private readonly Dictionary<Symbol, bool> _entryNeverRuns = [];

    /// <summary>Decisions GCC makes by the block rather than by the function: memcmp's equality expansion. Checked
    /// with gcc-12: in a branch predicted not taken, or a block after a cold call, memcmp(p, q, 6) == 0 is a call
    /// while memcpy, memset and sprintf(d, "literal") are as in the rest of the function.</summary>
    private static bool IsBlockLevel(SizeDecision decision) => (decision.Speed ?? decision.Size) is "memcmp" or "bcmp";

    private readonly record struct ArmState(bool Unlikely, bool BlockCalled, bool CertainCold, bool Escaped);

    /// <summary>Starts walking a walk of its own (a queued definition): its entry block, nothing pending.</summary>
    private void StartFunctionWalk()
    {
        _unlikelyOuter = _unlikely = _blockCalled = _certainCold = _escaped = _entryEscaped = false;
        _arms.Clear();
        _effects.Clear();
        _blockPending.Clear();
    }

    /// <summary>Ends a queued definition's walk: what its last block decided before any call stands.</summary>
    private void FinishFunctionWalk(Symbol function, bool returned)
    {
        ReleaseBlock();
        if (!returned && !Unlikely)
            _entryEscaped = true; // the end, reached on a path that may run
        _entryNeverRuns[function] = !_entryEscaped && _entryNeverRuns.GetValueOrDefault(function, true);
    }

    /// <summary>A return from the definition being walked (not from an inline callee).</summary>
    private void NoteReturn()
    {
        if (_quiet == 0 && !Unlikely)
            _entryEscaped = true;
    }

    /// <summary>A library call's decision, in code not known to be unlikely: pending the block's first call, then the
    /// branch's verdict, then the function's.</summary>
    private void Decide(DeferredDecision decision)
    {
        if (!_blockCalled)
            _blockPending.Add(decision);
        else
            Route(decision);
    }

    private void Route(DeferredDecision decision)
    {
        if (_arms.Count > 0)
            _arms.Peek().Add(decision);
        else
            DecideForFunction(decision);
    }

    /// <summary>The block's first call was not cold (or the block ended without one): its pending decisions go on.</summary>
    private void ReleaseBlock()
    {
        foreach (var p in _blockPending)
            Route(p);
        _blockPending.Clear();
    }

    /// <summary>The block's first call: a cold one makes the whole block unlikely, what came before it included.</summary>
    private void FirstCallOfBlock(bool cold)
    {
        if (!cold)
        {
            ReleaseBlock();
            return;
        }
        _unlikely = true;
        foreach (var p in _blockPending)
            EmitIn(p, size: true);
        _blockPending.Clear();
    }

    /// <summary>A call that stays a call (not a builtin GCC expands or folds) to <paramref name="target"/>.</summary>
    private void NoteCallMade(Symbol target)
    {
        if (_quiet > 0)
            return;
        _callsMade++;
        NoteBlockCall(cold: target.IsCold && _emitted is { IsCold: false });
    }

    /// <summary>Volatile inline assembly: a block's first "call" as far as the cold rule goes.</summary>
    private void NoteVolatileAsm()
    {
        if (_quiet == 0)
            NoteBlockCall(cold: false);
    }

    // A statement that may end the block's run (a call, volatile assembly): the block's first one decides whether the
    // block never runs; a cold one makes the branch cold unless a path left it before.
    private void NoteBlockCall(bool cold)
    {
        if (!_blockCalled)
            FirstCallOfBlock(cold);
        if (cold && !_escaped)
            _certainCold = true;
        _blockCalled = true;
        if (!Unlikely)
            _entryEscaped = true;
        if (_effects.TryPeek(out var e) && e.ArmDepth == _arms.Count)
        {
            if (!e.FirstSeen)
                (e.FirstSeen, e.ColdFirst) = (true, cold);
            e.Called = true;
            if (cold && !_escaped)
                e.CertainCold = true;
        }
    }

    /// <summary>A label: a block reached from elsewhere.</summary>
    private void NoteLabel()
    {
        if (_quiet > 0)
            return;
        ReleaseBlock();
        _unlikely = _blockCalled = false;
    }

    private ArmState BeginArm()
    {
        ReleaseBlock(); // the block before the branch ends at its condition
        var before = new ArmState(_unlikely, _blockCalled, _certainCold, _escaped);
        _arms.Push([]);
        (_blockCalled, _certainCold, _escaped) = (false, false, false);
        return before;
    }

    /// <summary>Ends a branch: its pending decisions are made (all for size when every path of it called a cold
    /// function); whether it was cold, and whether its end was unlikely. The state is as before it.</summary>
    private (bool Cold, bool EndsUnlikely) EndArm(ArmState before)
    {
        ReleaseBlock();
        bool cold = _certainCold;
        var pending = _arms.Pop();
        foreach (var p in pending)
        {
            if (cold)
                EmitIn(p, size: true);
            else
                Route(p);
        }
        // A branch predicted not taken is not a block that never runs: what joins it may run.
        var result = (cold, _unlikely);
        (_unlikely, _blockCalled, _certainCold, _escaped) = (before.Unlikely, before.BlockCalled, before.CertainCold, before.Escaped);
        return result;
    }

    /// <summary>Joins two branches (the second may be the empty else): unlikely after them when every one that
    /// continues ends unlikely; a new block unless neither called anything nor returned (GCC's early phiopt makes
    /// such a diamond straight code).</summary>
    private void JoinArms(ArmState before, (bool Cold, bool EndsUnlikely) first, bool firstReturned,
        (bool Cold, bool EndsUnlikely) second, bool secondReturned, bool called)
    {
        if (_quiet > 0)
            return;
        bool anyContinues = !firstReturned || !secondReturned;
        _unlikely = before.Unlikely
            || anyContinues && (firstReturned || first.EndsUnlikely) && (secondReturned || second.EndsUnlikely);
        _blockCalled = before.BlockCalled && !called && !firstReturned && !secondReturned;
        _certainCold = before.CertainCold;
        _escaped = before.Escaped || firstReturned || secondReturned;
    }

    /// <summary>The switches being walked: the state before each, and its current case's branch.</summary>
    private readonly Stack<(ArmState Before, ArmState Case, int Depth)> _switches = new();

    private int BeginSwitch()
    {
        var before = BeginArm();
        _switches.Push((before, before, _arms.Count));
        return _switches.Count;
    }

    /// <summary>A case label of the switch walked: the case before it ends, and a new one starts from the dispatch.</summary>
    private void NextCase()
    {
        if (!_switches.TryPeek(out var s) || s.Depth != _arms.Count)
            return;
        EndArm(s.Case);
        _switches.Pop();
        var before = BeginArm();
        _unlikely = s.Before.Unlikely;
        _switches.Push((s.Before, before, _arms.Count));
    }

    private void EndSwitch(int depth)
    {
        if (_switches.Count != depth)
            return;
        var s = _switches.Pop();
        EndArm(s.Case);
        JoinArms(s.Before, default, false, default, false, called: true);
    }

    /// <summary>Emits one decision as the code it was made in is optimized.</summary>
    private void EmitIn(DeferredDecision p, bool size)
    {
        var (current, emitted) = (_current, _emitted);
        (_current, _emitted) = (p.Current, p.Emitted);
        Emit(size ? p.Decision.Size : p.Decision.Speed, p.Decision.Target);
        (_current, _emitted) = (current, emitted);
    }

    /// <summary>A decision in code that may run: as its function is optimized. Only a function declared cold is known
    /// to be optimized for size before the walk ends: a static's coldness depends on its callers, and whether a
    /// function's entry never runs is known once its walks end, so the rest is decided then (DecideDeferred).</summary>
    private void DecideForFunction(DeferredDecision p)
    {
        if (p.Emitted.IsCold)
            EmitIn(p, size: true);
        else
            _deferred.Add(p);
    }

    /// <summary>Enters an inline function's walk in the caller's block: unlikely if its call is.</summary>
    private (bool Outer, bool Local, bool Escaped) EnterInline()
    {
        var saved = (_unlikelyOuter, _unlikely, _escaped);
        _unlikelyOuter |= _unlikely;
        _unlikely = false;
        _effects.Push(new WalkEffects(_arms.Count));
        return saved;
    }

    /// <summary>Leaves an inline function's walk: what it did to the block carries on in the caller (and is kept for
    /// callers that reuse the walk).</summary>
    private void LeaveInline((bool Outer, bool Local, bool Escaped) saved, (Symbol, string)? id)
    {
        var effects = _effects.Pop();
        effects.EndsUnlikely = _unlikely;
        if (id is { } key)
            _inlineEffects[key] = effects;
        (_unlikelyOuter, _unlikely, _escaped) = (saved.Outer, saved.Local || effects.EndsUnlikely, saved.Escaped);
        PassOn(effects);
    }

    /// <summary>A reused inline walk: what it did to the block, again in this caller.</summary>
    private void ReplayEffects((Symbol, string) id)
    {
        if (_quiet > 0 || !_inlineEffects.TryGetValue(id, out var effects))
            return;
        if (effects.FirstSeen && !_blockCalled)
            FirstCallOfBlock(effects.ColdFirst);
        if (effects.EndsUnlikely)
            _unlikely = true;
        if (effects.CertainCold && !_escaped)
            _certainCold = true;
        if (effects.Called)
        {
            _blockCalled = true;
            if (!Unlikely)
                _entryEscaped = true;
        }
        PassOn(effects);
    }

    // What an inline callee did at its top level counts as done at its caller's (when the caller is an inline walk too).
    private void PassOn(WalkEffects callee)
    {
        if (!_effects.TryPeek(out var e) || e.ArmDepth != _arms.Count || !callee.Called)
            return;
        if (!e.FirstSeen)
            (e.FirstSeen, e.ColdFirst) = (true, callee.ColdFirst);
        e.Called = true;
        e.CertainCold |= callee.CertainCold;
    }
}
