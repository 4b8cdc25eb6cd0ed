namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// The required operations' call and return entries in time order, as a doubly linked list (Porcupine's): an
/// operation's two entries are lifted out when it is linearized and put back, in reverse, when the search backtracks.
/// Entry <c>2i</c> is operation i's call and <c>2i + 1</c> its return; the head is a sentinel after the last entry.
/// </summary>
internal sealed class CallReturnList
{
    public const int End = -1;

    private readonly CompiledKey _key;
    private readonly int _head;
    private readonly int[] _next;
    private readonly int[] _previous;

    public CallReturnList(CompiledKey key)
    {
        _key = key;
        _head = 2 * key.RequiredCount;
        _next = new int[_head + 1];
        _previous = new int[_head + 1];
        var entries = new int[_head];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = i;
        }

        // Equal times put calls first: operations that merely touch are concurrent, which never invents a violation.
        Array.Sort(entries, (a, b) =>
        {
            var byTime = TimeOf(a).CompareTo(TimeOf(b));
            return byTime != 0 ? byTime : (a & 1) != (b & 1) ? (a & 1) - (b & 1) : a - b;
        });

        var previous = _head;
        foreach (var entry in entries)
        {
            _next[previous] = entry;
            _previous[entry] = previous;
            previous = entry;
        }

        _next[previous] = End;
    }

    public int First => _next[_head];

    public static bool IsCall(int entry) => (entry & 1) == 0;

    public static int OperationOf(int entry) => entry >> 1;

    public static int CallOf(int operation) => operation * 2;

    public int Next(int entry) => _next[entry];

    /// <summary>The time of the first return still in the list (the boundary for candidates), or +infinity.</summary>
    public long FirstReturnNanos()
    {
        var entry = First;
        while (entry != End && IsCall(entry))
        {
            entry = _next[entry];
        }

        return entry == End ? long.MaxValue : _key.ReturnNanos[OperationOf(entry)];
    }

    public void Lift(int operation)
    {
        Unlink(CallOf(operation));
        Unlink(CallOf(operation) + 1);
    }

    /// <summary>Relinks in the reverse order of <see cref="Lift"/>: each entry still knows its old neighbours.</summary>
    public void Unlift(int operation)
    {
        Relink(CallOf(operation) + 1);
        Relink(CallOf(operation));
    }

    private long TimeOf(int entry) =>
        IsCall(entry) ? _key.InvokeNanos[OperationOf(entry)] : _key.ReturnNanos[OperationOf(entry)];

    private void Unlink(int entry)
    {
        var previous = _previous[entry];
        var next = _next[entry];
        _next[previous] = next;
        if (next != End)
        {
            _previous[next] = previous;
        }
    }

    private void Relink(int entry)
    {
        var previous = _previous[entry];
        var next = _next[entry];
        _next[previous] = entry;
        if (next != End)
        {
            _previous[next] = entry;
        }
    }
}
