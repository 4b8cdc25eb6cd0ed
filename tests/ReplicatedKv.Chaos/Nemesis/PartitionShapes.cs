namespace ReplicatedKv.Chaos.Nemesis;

/// <summary>Which partition shapes a cluster size gets.</summary>
internal static class PartitionShapes
{
    private static readonly PartitionShape[] All = Enum.GetValues<PartitionShape>();

    private static readonly PartitionShape[] UpToFour =
        [PartitionShape.MajorityMinority, PartitionShape.IsolateLeader, PartitionShape.Bridge, PartitionShape.OneWay];

    /// <summary>
    /// Quorum loss around a follower and the constrained election need nodes that reach only one other: with 3 nodes
    /// they are the bridge and an isolated follower over again, so they are drawn from 5 nodes up.
    /// </summary>
    public static IReadOnlyList<PartitionShape> For(int nodes) => nodes >= 5 ? All : UpToFour;

    /// <summary>
    /// Whether the shape leaves some node linked, both ways, to a majority: every shape does (the bridge node, the
    /// majority side, the follower of quorum loss), so writes must not pause long under any (see WriteGaps).
    /// </summary>
    public static bool LeavesANodeLinkedToAMajority(PartitionShape shape) => shape switch
    {
        PartitionShape.MajorityMinority => true, // any node of the majority side
        PartitionShape.IsolateLeader => true, // any node but the old leader
        PartitionShape.Bridge => true, // the bridge node
        PartitionShape.OneWay => true, // any node but the one whose sends are lost
        PartitionShape.QuorumLoss => true, // the one follower that keeps its links
        PartitionShape.ConstrainedElection => true, // the follower that falls behind, once its links are back
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, "a new shape must say whether it leaves a node linked to a majority"),
    };
}
