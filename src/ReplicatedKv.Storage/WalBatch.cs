using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage;

/// <summary>
/// Records appended together: usually everything one Ready asks to persist. A batch is used once: its pooled
/// buffer goes back to the pool when <see cref="WriteAheadLog.Append"/> returns (or throws).
/// </summary>
public sealed class WalBatch
{
    private readonly PooledBufferWriter _buffer;

    /// <summary>Creates a batch; <paramref name="capacity"/> (see <see cref="WalFormat.EntryFrameSize"/>) avoids regrowing.</summary>
    public WalBatch(int capacity = 4096)
    {
        _buffer = new PooledBufferWriter(capacity);
    }

    internal ReadOnlyMemory<byte> Bytes => _buffer.WrittenMemory;

    internal long MaxSlot { get; private set; }

    internal HardState? HardState { get; private set; }

    /// <summary>The incarnation table written with <see cref="HardState"/> (empty when none was given).</summary>
    internal IncarnationTable Incarnations { get; private set; } = IncarnationTable.Empty;

    internal long SnapshotMarker { get; private set; }

    public int Length => _buffer.WrittenCount;

    public int RecordCount { get; private set; }

    /// <summary>Client commands in the entries added so far: what a sync of this batch makes durable.</summary>
    public int CommandCount { get; private set; }

    public void AddEntry(LogEntry entry)
    {
        WalFormat.WriteEntry(_buffer, entry);
        MaxSlot = Math.Max(MaxSlot, entry.Slot);
        RecordCount++;
        CommandCount += entry.Value.Commands.Count;
    }

    /// <summary>
    /// Adds a hard state record carrying <paramref name="incarnations"/> (null: no records). The latest record is the
    /// whole durable acceptor state, so pass the current table, not only a change.
    /// </summary>
    public void AddHardState(HardState state, IncarnationTable? incarnations = null)
    {
        WalFormat.WriteHardState(_buffer, state, incarnations);
        HardState = state;
        Incarnations = incarnations ?? IncarnationTable.Empty;
        RecordCount++;
    }

    internal void Release() => _buffer.Release();

    public void AddSnapshotMarker(long slot)
    {
        WalFormat.WriteSnapshotMarker(_buffer, slot);
        SnapshotMarker = Math.Max(SnapshotMarker, slot);
        RecordCount++;
    }
}
