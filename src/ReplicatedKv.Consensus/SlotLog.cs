namespace ReplicatedKv.Consensus;

/// <summary>
/// The acceptor's values by slot, from <see cref="FirstSlot"/> (just after the last compacted slot) to
/// <see cref="LastSlot"/>. Cells may be empty: an acceptor can miss some accepts of a pipelined run.
/// </summary>
internal sealed class SlotLog
{
    private readonly List<LogEntry> _cells = [];

    public SlotLog(long firstSlot)
    {
        FirstSlot = firstSlot;
    }

    /// <summary>The lowest slot still held; every slot below it is compacted into a snapshot.</summary>
    public long FirstSlot { get; private set; }

    /// <summary>The highest slot holding a value, or FirstSlot-1 when none does.</summary>
    public long LastSlot => FirstSlot + _cells.Count - 1;

    public bool TryGet(long slot, out LogEntry entry)
    {
        var offset = slot - FirstSlot;
        if (offset < 0 || offset >= _cells.Count || _cells[(int)offset].IsEmpty)
        {
            entry = default;
            return false;
        }

        entry = _cells[(int)offset];
        return true;
    }

    public void Set(LogEntry entry)
    {
        var offset = entry.Slot - FirstSlot;
        if (offset < 0)
        {
            throw new InvariantViolationException($"slot {entry.Slot} is below the log start {FirstSlot}");
        }

        while (_cells.Count <= offset)
        {
            _cells.Add(default);
        }

        _cells[(int)offset] = entry;
    }

    /// <summary>Forgets every slot up to <paramref name="slot"/>; the log then starts at slot+1.</summary>
    public void CompactThrough(long slot)
    {
        if (slot < FirstSlot)
        {
            return;
        }

        var drop = (int)Math.Min(slot - FirstSlot + 1, _cells.Count);
        _cells.RemoveRange(0, drop);
        FirstSlot = slot + 1;
    }
}
