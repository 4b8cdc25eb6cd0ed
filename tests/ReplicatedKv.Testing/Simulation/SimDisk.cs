using ReplicatedKv.Consensus;
namespace ReplicatedKv.Testing.Simulation;

/// <summary>
/// What survives a crash of one simulated node: the writes of every Ready confirmed durable, and the newest
/// snapshot (its slot and the decided values it reflects, standing in for the state machine).
/// </summary>
internal sealed class SimDisk : ISimDisk
{
    public HardState HardState { get; set; }

    public List<LogEntry> Entries { get; } = [];

    public long SnapshotSlot { get; set; }

    /// <summary>The decided value of every slot 1..SnapshotSlot (index 0 is slot 1).</summary>
    public IReadOnlyList<SlotValue> SnapshotValues { get; set; } = [];

    /// <summary>
    /// Writes the host made but did not fsync, in order. A Ready without MustSync may skip the fsync; its
    /// writes reach the disk only with a later fsync, and a crash keeps just a prefix of them.
    /// </summary>
    private readonly List<(LogEntry? Entry, HardState? HardState, IncarnationTable? Incarnations)> _unsynced = [];

    /// <summary>The last incarnation table a durable Ready carried (null: none yet).</summary>
    public IncarnationTable? Incarnations { get; private set; }

    /// <summary>Handles a Ready's writes as the host does: written in order, fsynced only when MustSync.</summary>
    public void Persist(Ready ready)
    {
        Write(ready);
        if (ready.MustSync)
        {
            Sync();
        }
    }

    /// <summary>Queues a Ready's records (entries, then hard state) as written but not yet synced.</summary>
    public void Write(Ready ready)
    {
        foreach (var entry in ready.Entries)
        {
            _unsynced.Add((entry, null, null));
        }

        if (ready.Incarnations is { } incarnations)
        {
            _unsynced.Add((null, null, incarnations));
        }

        if (ready.HardState is { } hardState)
        {
            _unsynced.Add((null, hardState, null));
        }
    }

    /// <summary>An fsync: everything written so far becomes durable.</summary>
    public void Sync() => KeepUnsynced(_unsynced.Count);

    public int UnsyncedCount => _unsynced.Count;

    /// <summary>A crash: of the unsynced writes only the first <paramref name="count"/> reached the disk.</summary>
    public void KeepUnsynced(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var (entry, hardState, incarnations) = _unsynced[i];
            if (entry is { } e)
            {
                Entries.Add(e);
            }
            else if (incarnations is not null)
            {
                Incarnations = incarnations;
            }
            else
            {
                HardState = hardState!.Value;
            }
        }

        _unsynced.Clear();
    }

    public MembershipSnapshot? SnapshotMembership { get; private set; }

    public PersistentState ToPersistentState() => new(HardState, SnapshotSlot, Entries.ToArray(), SnapshotMembership, Incarnations);

    /// <summary>The model never refuses: it keeps exactly what was synced and a prefix of the rest.</summary>
    public PersistentState? DurableState => ToPersistentState();

    /// <summary>The model loses only unsynced writes, which is never a loss of durable records.</summary>
    public bool RecoveredFromLoss => false;

    /// <summary>Saving a snapshot fsyncs the log behind it (the storage layer's snapshot marker does).</summary>
    public void SaveSnapshot(long slot, IReadOnlyList<SlotValue> values, MembershipSnapshot? membership)
    {
        Sync();
        SnapshotSlot = slot;
        SnapshotValues = values;
        SnapshotMembership = membership;
        TrimBelowSnapshot();
    }

    /// <summary>Of the writes not yet fsynced, any prefix survives; the model has no medium to damage.</summary>
    public void Crash(Ready? pending, SimRandom random, bool mayLoseDurable)
    {
        if (pending is not null)
        {
            Write(pending);
        }

        KeepUnsynced(random.Next(0, UnsyncedCount + 1));
    }

    public void Promise(HardState hardState) => HardState = hardState;

    public void Dispose()
    {
    }

    /// <summary>Drops log records the snapshot covers, as the storage layer's compaction will.</summary>
    public void TrimBelowSnapshot() => Entries.RemoveAll(e => e.Slot <= SnapshotSlot);
}
