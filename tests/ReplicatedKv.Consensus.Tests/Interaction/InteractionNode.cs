using ReplicatedKv.NodeCore;
using ReplicatedKv.Testing.Simulation;

namespace ReplicatedKv.Consensus.Tests.Interaction;

/// <summary>
/// One simulated host: the node core and its Ready processor (absent while crashed), its disk, and the value of
/// every slot it applied. The core's state machine is volatile: a restart rebuilds it from the disk's snapshot and
/// the replica then hands the decided slots after it out again.
/// </summary>
internal sealed class InteractionNode
{
    private readonly List<SlotValue> _applied = [];

    public InteractionNode(NodeCoreConfig config, INetworkTwin network)
    {
        Config = config;

        // A first start has no disk to recover from at all, unlike a restart on a wiped one.
        Start(network, state: null);
    }

    public int Id => Config.Replica.NodeId;

    public NodeCoreConfig Config { get; private set; }

    public NodeDisk Disk { get; private set; } = new();

    /// <summary>The running node core, or null while the node is crashed.</summary>
    public NodeCore.NodeCore? Core { get; private set; }

    /// <summary>The one Ready processor the server and the simulator use too, over this node's disk and the env's network.</summary>
    public ReadyProcessor? Processor { get; private set; }

    public bool IsUp => Core is not null;

    public NodeCore.NodeCore RunningCore =>
        Core ?? throw new InvalidOperationException($"node {Id} is down");

    /// <summary>The value applied at each slot, in order (index 0 is slot 1).</summary>
    public IReadOnlyList<SlotValue> Applied => _applied;

    public long AppliedIndex => _applied.Count;

    public void Apply(LogEntry entry)
    {
        if (entry.Slot != AppliedIndex + 1)
        {
            throw new InvalidOperationException(
                $"node {Id} was handed slot {entry.Slot} to apply but has applied through {AppliedIndex}");
        }

        _applied.Add(entry.Value);
    }

    /// <summary>Replaces what the node applied with <paramref name="snapshot"/>, after a restart or a snapshot install.</summary>
    public void RestoreApplied(StateSnapshot snapshot)
    {
        _applied.Clear();
        _applied.AddRange(snapshot.Values);
    }

    /// <summary>The state machine through <paramref name="slot"/>, for compaction.</summary>
    public StateSnapshot SnapshotThrough(long slot) => new(slot, _applied.Take((int)slot).ToArray());

    public void Crash()
    {
        Core = null;
        Processor = null;
        _applied.Clear();
    }

    /// <summary>
    /// Restarts from the disk as a new process, optionally told another rejoin mode. The incarnation counts
    /// restarts (from 0), so answers meant for an earlier run never match and read ids stay small on a first run.
    /// </summary>
    public void Restart(INetworkTwin network, RejoinMode? join = null)
    {
        var replica = join is { } mode ? Config.Replica with { RejoinMode = mode } : Config.Replica;
        Config = Config with { Replica = replica, Incarnation = Config.Incarnation + 1 };
        Start(network, Disk.ToPersistentState());
    }

    /// <summary>The data directory is lost: log, hard state and snapshots alike.</summary>
    public void WipeDisk() => Disk = new NodeDisk();

    private void Start(INetworkTwin network, PersistentState? state)
    {
        RestoreApplied(Disk.Snapshot);
        Core = new NodeCore.NodeCore(Config, state, EnvelopedCommands.RestoreTable(Disk.Snapshot.Values));
        Processor = new ReadyProcessor(Core, new TwinHost(Id, Disk, network));
    }
}
