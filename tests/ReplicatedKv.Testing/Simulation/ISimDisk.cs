using ReplicatedKv.Consensus;

namespace ReplicatedKv.Testing.Simulation;

/// <summary>
/// A simulated node's disk as the simulator drives it: the model (<see cref="SimDisk"/>) or the real storage code
/// over the page-losing file twin (<see cref="RealStorageDisk"/>). Both keep the newest snapshot's decided values,
/// which stand in for the state machine and travel to peers.
/// </summary>
internal interface ISimDisk : IDiskTwin, IDisposable
{
    long SnapshotSlot { get; }

    /// <summary>The decided value of every slot 1..SnapshotSlot (index 0 is slot 1).</summary>
    IReadOnlyList<SlotValue> SnapshotValues { get; }

    /// <summary>
    /// What a restart would start from now: the state recovered from the disk when the node is down, what it made
    /// durable when it is up. Null while the storage refuses to start (the node is down for good).
    /// </summary>
    PersistentState? DurableState { get; }

    /// <summary>True when the last recovery found durable records lost (the node restarts Rejoining).</summary>
    bool RecoveredFromLoss { get; }

    /// <summary>The configurations the newest snapshot carries (null when there is none).</summary>
    MembershipSnapshot? SnapshotMembership { get; }

    /// <summary>Makes the log durable, then a snapshot through <paramref name="slot"/> with its configurations, and drops the log below it.</summary>
    void SaveSnapshot(long slot, IReadOnlyList<SlotValue> values, MembershipSnapshot? membership);

    /// <summary>
    /// A power cut: <paramref name="pending"/> (a Ready the host was persisting, or null) was written, unsynced
    /// writes are partly lost as the disk's model allows, and the disk is read back as a restart would.
    /// <paramref name="mayLoseDurable"/> allows damage to what was synced (the cluster's failure budget has room).
    /// </summary>
    void Crash(Ready? pending, SimRandom random, bool mayLoseDurable);

    /// <summary>Before the first start: the node has durably promised this (see <see cref="SimulationOptions.StartRound"/>).</summary>
    void Promise(HardState hardState);
}
