namespace ReplicatedKv.Consensus;

/// <summary>
/// What a replica restarts from: everything the host persisted from earlier Ready values, plus the slot of
/// the snapshot the host's state machine was restored to. Entries at or below <see cref="SnapshotSlot"/> are
/// ignored; where entries repeat a slot, the later one wins (the order they were persisted in).
/// <see cref="Membership"/> is what the snapshot carried (<see cref="PaxosReplica.MembershipAt"/> when it was taken);
/// null without a snapshot, or for one written before membership changes, means the bootstrap configuration.
/// The configurations decided after the snapshot are read from the entries: nothing else about membership is persisted.
/// </summary>
/// <see cref="Incarnations"/> is the last table a Ready handed out (<see cref="Ready.Incarnations"/>); null means no records.
public sealed record PersistentState(
    HardState HardState, long SnapshotSlot, IReadOnlyList<LogEntry> Entries, MembershipSnapshot? Membership = null,
    IncarnationTable? Incarnations = null)
{
    /// <summary>A node that has never run.</summary>
    public static PersistentState Empty { get; } = new(default, 0, Array.Empty<LogEntry>());
}
