namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// Wing &amp; Gong's search with Lowe's memoization, as Porcupine does it, over one key. The candidates to take
/// effect next are the calls before the first remaining return in a <see cref="CallReturnList"/>; linearizing one
/// lifts it out of the list and pushes it on a stack; when no candidate works the search pops and tries the next
/// candidate after it. Configurations already shown hopeless are skipped (<see cref="FailedConfigurations"/>).
/// </summary>
/// <remarks>
/// <para>
/// Unknown outcomes that may never have happened are optional: they have no return entry (it would be at
/// +infinity), may be linearized while their invoke is not after the first remaining return, and the search
/// succeeds once every required operation is linearized. Required candidates are tried first, so histories
/// explained without the unknowns, the common case, never explore them.
/// </para>
/// <para>
/// Beyond Porcupine, shortcuts keep a key with many clients and unknowns tractable, each dropping only choices
/// that some explored choice covers: a read-only candidate that fits is taken alone (reads commute); writes with
/// known versions go in version order; of interchangeable unknowns only the earliest unused is tried, and a guarded
/// one before an unguarded one that would do the same; an unknown is not tried where it brings back a state seen
/// since the last required operation or makes the unknown before it pointless.
/// </para>
/// </remarks>
internal sealed class LinearizationSearch
{
    private const int StepsBetweenDeadlineChecks = 16;

    private readonly CompiledKey _key;
    private readonly KeyModel _model;
    private readonly int _requiredCount;
    private readonly CallReturnList _list;
    private readonly ulong[] _optionalBits;
    private readonly UInt128[] _zobristKeys;
    private readonly FailedConfigurations _failed;
    private readonly SearchFrame[] _stack;
    private readonly InterchangeableUnknowns _unknowns;
    private readonly int[] _versionRank;
    private readonly DeepestConfiguration _deepest;
    private int _nextVersionRank;
    private int _depth;
    private KeyState _state = KeyState.Initial;
    private UInt128 _requiredFingerprint;
    private int _requiredLeft;

    public LinearizationSearch(CompiledKey key)
    {
        _key = key;
        _model = new KeyModel(key.VersionsOfWrites);
        _requiredCount = key.RequiredCount;
        _requiredLeft = key.RequiredCount;
        _list = new CallReturnList(key);
        _optionalBits = new ulong[WordsFor(key.OptionalCount)];
        _zobristKeys = SearchTables.ZobristKeys(_requiredCount);
        _failed = new FailedConfigurations(_optionalBits.Length);
        _stack = new SearchFrame[key.Operations.Length];
        _unknowns = new InterchangeableUnknowns(key);
        _versionRank = SearchTables.RankByVersion(key);
        _deepest = new DeepestConfiguration(key);
    }

    private enum Forcing
    {
        None,
        Lifted,
        Hopeless,
    }

    /// <summary>Set when <see cref="Run"/> says <see cref="SearchVerdict.NotLinearizable"/>.</summary>
    public SearchFailure? Failure { get; private set; }

    public SearchVerdict Run(Deadline deadline)
    {
        var entry = CallReturnList.End;
        var optionalCursor = -1; // -1 while scanning required calls; then the next optional operation to try
        var boundary = 0L;
        var fresh = true;
        var exhausted = false;
        var steps = 0;
        while (_requiredLeft > 0)
        {
            if (++steps == StepsBetweenDeadlineChecks)
            {
                steps = 0;
                if (deadline.IsExpired)
                {
                    return SearchVerdict.TimedOut;
                }
            }

            if (fresh)
            {
                fresh = false;
                switch (TryForceReadOnlyCandidate())
                {
                    case Forcing.Lifted:
                        fresh = true;
                        continue;
                    case Forcing.Hopeless:
                        exhausted = true;
                        break;
                    default:
                        entry = _list.First;
                        optionalCursor = -1;
                        break;
                }
            }

            if (!exhausted)
            {
                if (optionalCursor < 0)
                {
                    if (entry != CallReturnList.End && CallReturnList.IsCall(entry))
                    {
                        fresh = TryLinearize(CallReturnList.OperationOf(entry), forced: false);
                        entry = _list.Next(entry);
                        continue;
                    }

                    // The first remaining return: no operation invoked after it can come next.
                    boundary = entry == CallReturnList.End ? long.MaxValue : _key.ReturnNanos[CallReturnList.OperationOf(entry)];
                    optionalCursor = 0;

                    // Remembered before trying unknowns, so the explanation does not drag in one it did not need.
                    _deepest.RememberIfNew(_stack.AsSpan(0, _depth), _state);
                }

                if (TryNextOptional(ref optionalCursor, boundary))
                {
                    fresh = true;
                    continue;
                }
            }

            // Every candidate failed, so this configuration does.
            _deepest.RememberIfNew(_stack.AsSpan(0, _depth), _state);
            if (_depth == 0)
            {
                Failure = _deepest.Describe();
                return SearchVerdict.NotLinearizable;
            }

            var undone = Backtrack();

            // A forced step was the only way on from the configuration we are back at, so that one fails too.
            exhausted = undone.Forced;
            if (exhausted)
            {
                continue;
            }

            if (undone.Operation < _requiredCount)
            {
                optionalCursor = -1;
                entry = _list.Next(CallReturnList.CallOf(undone.Operation));
            }
            else
            {
                optionalCursor = undone.Operation - _requiredCount + 1;
                boundary = _list.FirstReturnNanos();
            }
        }

        return SearchVerdict.Linearizable;
    }

    /// <summary>
    /// Linearizes a candidate that only looks (a read, a remove of nothing, a mismatch) and fits the state without
    /// changing it, if there is one. Such an operation can be moved to the front of any linearization from here
    /// (taking it out of the middle changes no state and only relaxes the others' real-time bounds), so this
    /// configuration succeeds exactly when the one after it does and no other candidate needs trying. Concurrent
    /// reads would otherwise be tried in every subset before each write.
    /// </summary>
    private Forcing TryForceReadOnlyCandidate()
    {
        for (var entry = _list.First; entry != CallReturnList.End && CallReturnList.IsCall(entry); entry = _list.Next(entry))
        {
            var operation = CallReturnList.OperationOf(entry);
            if (_key.Operations[operation].Kind is ModelOperationKind.Set or ModelOperationKind.Remove
                || _model.Step(_key.Operations[operation], _state, out var next) != Refusal.None
                || next != _state)
            {
                continue;
            }

            return TryLinearize(operation, forced: true) ? Forcing.Lifted : Forcing.Hopeless;
        }

        return Forcing.None;
    }

    private bool TryNextOptional(ref int cursor, long boundary)
    {
        var optionalCount = _key.OptionalCount;
        while (cursor < optionalCount)
        {
            var operation = _requiredCount + cursor;
            if (_key.InvokeNanos[operation] > boundary)
            {
                cursor = optionalCount;
                return false;
            }

            cursor++;
            if (_unknowns.IsNextOfItsGroup(operation) && !HasAGuardedStandIn(operation, boundary) && TryLinearize(operation, forced: false))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether an unguarded unknown has a guarded twin that fits here without learning anything and leaves the
    /// same state. The guarded one can do less later (only while the key has its guard's version), so spending it
    /// now and keeping the unguarded one never loses an order; trying both would double the search at every point
    /// where some unknown must have taken effect.
    /// </summary>
    private bool HasAGuardedStandIn(int operation, long boundary)
    {
        var effect = _key.Operations[operation];
        if (effect.Guard is not null
            || (_state.IsPresent && _state.CurrentVersion == 0)
            || _model.Step(effect, _state, out var next) != Refusal.None)
        {
            return false;
        }

        var standIn = _unknowns.NextWithEffect(effect with { Guard = _state.IsPresent ? _state.CurrentVersion : 0 });
        return standIn >= 0
            && _key.InvokeNanos[standIn] <= boundary
            && _model.Step(_key.Operations[standIn], _state, out var standInNext) == Refusal.None
            && standInNext == next;
    }

    private bool TryLinearize(int operation, bool forced)
    {
        var required = operation < _requiredCount;
        if (required && _versionRank[operation] >= 0 && _versionRank[operation] != _nextVersionRank)
        {
            // Writes with known versions can only take effect in version order: taking a later one first would leave
            // the earlier one no place, as versions only grow.
            return false;
        }

        if (_model.Step(_key.Operations[operation], _state, out var next) != Refusal.None)
        {
            return false;
        }

        if (!required && (ReturnsToAnEarlierState(next) || MakesThePreviousUnknownPointless(operation, next)))
        {
            return false;
        }

        var fingerprint = required ? _requiredFingerprint ^ _zobristKeys[operation] : _requiredFingerprint;
        if (!required)
        {
            FlipOptional(operation);
        }

        if (_failed.Dominates(fingerprint, _optionalBits, next))
        {
            if (!required)
            {
                FlipOptional(operation);
            }

            return false;
        }

        _stack[_depth++] = new SearchFrame(operation, _state, forced);
        _state = next;
        _requiredFingerprint = fingerprint;
        if (required)
        {
            _list.Lift(operation);
            _requiredLeft--;
            _nextVersionRank += _versionRank[operation] >= 0 ? 1 : 0;
            _deepest.Reached(_requiredCount - _requiredLeft);
        }
        else
        {
            _unknowns.Use(operation);
        }

        return true;
    }

    /// <summary>
    /// Whether an unknown outcome would bring the key back to a state it had since the last required operation (or
    /// leave it unchanged). That configuration was or is being explored with fewer unknowns spent, so every way on
    /// from here is also a way on from there. Without this, unknown sets and removes could take turns forever
    /// (present, absent, present...), each order a different set of linearized operations.
    /// </summary>
    private bool ReturnsToAnEarlierState(in KeyState next)
    {
        if (next == _state)
        {
            return true;
        }

        for (var frame = _depth - 1; frame >= 0 && _stack[frame].Operation >= _requiredCount; frame--)
        {
            if (_stack[frame].StateBefore == next)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether an unknown outcome right after another one would leave the same state without it. Then the pair is
    /// no better than this one alone, which the search tries from the configuration before the pair.
    /// </summary>
    private bool MakesThePreviousUnknownPointless(int operation, in KeyState next)
    {
        if (_depth == 0 || _stack[_depth - 1].Operation < _requiredCount)
        {
            return false;
        }

        return _model.Step(_key.Operations[operation], _stack[_depth - 1].StateBefore, out var withoutPrevious) == Refusal.None
            && withoutPrevious == next;
    }

    /// <summary>Marks the current configuration hopeless and undoes the last linearization.</summary>
    private SearchFrame Backtrack()
    {
        _failed.Add(_requiredFingerprint, _optionalBits, _state);
        var frame = _stack[--_depth];
        _deepest.Popped(_depth);
        _state = frame.StateBefore;
        if (frame.Operation < _requiredCount)
        {
            _list.Unlift(frame.Operation);
            _requiredLeft++;
            _nextVersionRank -= _versionRank[frame.Operation] >= 0 ? 1 : 0;
            _requiredFingerprint ^= _zobristKeys[frame.Operation];
        }
        else
        {
            FlipOptional(frame.Operation);
            _unknowns.Unuse(frame.Operation);
        }

        return frame;
    }

    private void FlipOptional(int operation)
    {
        var optional = operation - _requiredCount;
        _optionalBits[optional >> 6] ^= 1UL << optional;
    }

    private static int WordsFor(int bits) => (bits + 63) / 64;
}
