namespace ReplicatedKv.Consensus;

/// <summary>
/// What a replica restarts from: everything the host persisted from earlier Ready values, plus the slot of
/// the snapshot the host's state machine was restored to. Entries at or below <see cref="SnapshotSlot"/> are
/// ignored; where entries repeat a slot, the later one wins (the order they were persisted in).
/// </summary>
public sealed record PersistentState(HardState HardState, long SnapshotSlot, IReadOnlyList<LogEntry> Entries)
{
    /// <summary>A node that has never run.</summary>
    public static PersistentState Empty { get; } = new(default, 0, Array.Empty<LogEntry>());
}
