namespace ReplicatedKv.Consensus.Tests.Simulation;

/// <summary>
/// What survives a crash of one simulated node: the writes of every Ready confirmed durable, and the newest
/// snapshot (its slot and the decided values it reflects, standing in for the state machine).
/// </summary>
internal sealed class SimDisk
{
    public HardState HardState { get; set; }

    public List<LogEntry> Entries { get; } = [];

    public long SnapshotSlot { get; set; }

    /// <summary>The decided value of every slot 1..SnapshotSlot (index 0 is slot 1).</summary>
    public IReadOnlyList<SlotValue> SnapshotValues { get; set; } = [];

    /// <summary>
    /// Writes a Ready's records in their order (entries, then hard state), or only the first
    /// <paramref name="limit"/> of them: a crash may keep any prefix of unconfirmed writes.
    /// </summary>
    public void Write(Ready ready, int limit = int.MaxValue)
    {
        var written = 0;
        foreach (var entry in ready.Entries)
        {
            if (written++ >= limit)
            {
                return;
            }

            Entries.Add(entry);
        }

        if (ready.HardState is { } hardState && written < limit)
        {
            HardState = hardState;
        }
    }

    public static int RecordCount(Ready ready) => ready.Entries.Count + (ready.HardState is null ? 0 : 1);

    public PersistentState ToPersistentState() => new(HardState, SnapshotSlot, Entries.ToArray());

    /// <summary>Drops log records the snapshot covers, as the storage layer's compaction will.</summary>
    public void TrimBelowSnapshot() => Entries.RemoveAll(e => e.Slot <= SnapshotSlot);
}
