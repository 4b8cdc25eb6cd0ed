using ReplicatedKv.Consensus;
using ReplicatedKv.NodeCore;

namespace ReplicatedKv.Testing.Simulation;

/// <summary>One simulated host: the node core and its Ready processor (null while crashed), its disk, what it applied.</summary>
internal sealed class SimNode(int id, NodeCoreConfig config, ISimDisk disk)
{
    public int Id { get; } = id;

    /// <summary>Replaced when the node restarts on a wiped disk with another rejoin mode, and on every restart (incarnation).</summary>
    public NodeCoreConfig Config { get; set; } = config;

    public NodeCore.NodeCore? Core { get; set; }

    public ReadyProcessor? Processor { get; set; }

    /// <summary>
    /// The id a host draws when it finds the data directory empty (HardState.Incarnation), as if kept in a file beside
    /// the data: 0 for the original directory, a new value after every loss.
    /// </summary>
    public ulong DataIncarnation { get; set; }

    /// <summary>Replaced by an empty one when a crash loses the whole data directory.</summary>
    public ISimDisk Disk { get; set; } = disk;

    /// <summary>A Ready whose immediate messages went out but whose writes are not yet durable.</summary>
    public NodeReady? Pending { get; set; }

    /// <summary>The value applied for each slot, in order (index 0 is slot 1): what agreement is checked on.</summary>
    public List<SlotValue> Applied { get; set; } = [];

    public bool IsUp => Core is not null;

    /// <summary>Up and not waiting on its disk: the host loop would be taking input now.</summary>
    public bool IsIdle => Core is not null && Pending is null;
}
