namespace ReplicatedKv.Consensus.Tests.Interaction;

/// <summary>
/// One simulated host: the replica (absent while crashed), its disk, and a state machine that records
/// every applied slot. The state machine is volatile: a restart rebuilds it from the disk's snapshot and
/// the replica then hands the decided slots after it out again.
/// </summary>
internal sealed class InteractionNode
{
    private readonly List<AppliedSlot> _applied = [];

    public InteractionNode(ReplicaConfig config)
    {
        Config = config;
        Replica = new PaxosReplica(config);
    }

    public int Id => Config.NodeId;

    public ReplicaConfig Config { get; private set; }

    public NodeDisk Disk { get; private set; } = new();

    /// <summary>The running replica, or null while the node is crashed.</summary>
    public PaxosReplica? Replica { get; private set; }

    public bool IsUp => Replica is not null;

    public PaxosReplica RunningReplica =>
        Replica ?? throw new InvalidOperationException($"node {Id} is down");

    public IReadOnlyList<AppliedSlot> Applied => _applied;

    public long AppliedIndex { get; private set; }

    public void Apply(AppliedSlot slot)
    {
        if (slot.Slot != AppliedIndex + 1)
        {
            throw new InvalidOperationException(
                $"node {Id} was handed slot {slot.Slot} to apply but has applied through {AppliedIndex}");
        }

        _applied.Add(slot);
        AppliedIndex = slot.Slot;
    }

    /// <summary>Replaces the state machine with <paramref name="snapshot"/>, after a restart or a snapshot install.</summary>
    public void RestoreStateMachine(StateSnapshot snapshot)
    {
        _applied.Clear();
        _applied.AddRange(snapshot.AppliedSlots);
        AppliedIndex = snapshot.Slot;
    }

    /// <summary>The state machine through <paramref name="slot"/>, for compaction.</summary>
    public StateSnapshot SnapshotThrough(long slot) =>
        new(slot, _applied.Where(applied => applied.Slot <= slot).ToArray());

    public void Crash()
    {
        Replica = null;
        _applied.Clear();
        AppliedIndex = 0;
    }

    /// <summary>Restarts from the disk, optionally told another rejoin mode.</summary>
    public void Restart(RejoinMode? join = null)
    {
        if (join is { } mode)
        {
            Config = Config with { RejoinMode = mode };
        }

        RestoreStateMachine(Disk.Snapshot);
        Replica = new PaxosReplica(Config, Disk.ToPersistentState());
    }

    /// <summary>The data directory is lost: log, hard state and snapshots alike.</summary>
    public void WipeDisk() => Disk = new NodeDisk();
}
