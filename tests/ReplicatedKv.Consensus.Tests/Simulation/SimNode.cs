namespace ReplicatedKv.Consensus.Tests.Simulation;

/// <summary>One simulated host: the replica (null while crashed), its disk, and its state machine.</summary>
internal sealed class SimNode(int id, ReplicaConfig config)
{
    public int Id { get; } = id;

    /// <summary>Replaced when the node restarts on a wiped disk with another join mode.</summary>
    public ReplicaConfig Config { get; set; } = config;

    public PaxosReplica? Replica { get; set; }

    /// <summary>Replaced by an empty one when a crash loses the whole data directory.</summary>
    public SimDisk Disk { get; set; } = new();

    /// <summary>A Ready whose immediate messages went out but whose writes are not yet durable.</summary>
    public Ready? Pending { get; set; }

    /// <summary>The state machine: the value applied for each slot, in order (index 0 is slot 1).</summary>
    public List<SlotValue> Applied { get; set; } = [];

    public bool IsUp => Replica is not null;

    /// <summary>Up and not waiting on its disk: the host loop would be taking input now.</summary>
    public bool IsIdle => Replica is not null && Pending is null;
}
