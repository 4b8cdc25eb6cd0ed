namespace ReplicatedKv.Testing.Simulation;

/// <summary>
/// Partial-connectivity shapes (issue 21): single links cut in both directions while every other link stays up.
/// Each leaves exactly one node linked to a majority of the other members; the check is that the cluster keeps
/// deciding through that node.
/// </summary>
public enum LivenessShape
{
    /// <summary>3 nodes: the link between the leader and one follower is cut; the third node sees both.</summary>
    Chained,

    /// <summary>5 nodes: every link is cut except those of one follower, so only that follower reaches a majority.</summary>
    QuorumLoss,

    /// <summary>
    /// 5 nodes: a follower is cut off until it lags the leader by <see cref="LivenessRun.ConstrainedLag"/> slots; then
    /// every other link is cut, the old leader losing all of its, before the follower's links come back. The only
    /// node that reaches a majority has the oldest log, which Raft's vote rule would refuse.
    /// </summary>
    ConstrainedElection,
}

/// <summary>The bounds the liveness check holds each shape to, in election timeouts (the protocol's own time).</summary>
public static class LivenessRun
{
    /// <summary>How long each shape is held.</summary>
    public const int HoldTimeouts = 50;

    /// <summary>A command proposed through the node that reaches a majority is decided within this many, from the shape's start.</summary>
    public const int DecideTimeouts = 5;

    /// <summary>Once every link is back, a command proposed through any node is decided within this many.</summary>
    public const int HealedDecideTimeouts = 2;

    /// <summary>Most leader changes while a shape holds: more is flapping.</summary>
    public const int MaxLeaderChanges = 2;

    /// <summary>Slots the cut-off follower of <see cref="LivenessShape.ConstrainedElection"/> must lag before the shape starts.</summary>
    public const int ConstrainedLag = 100;

    /// <summary>The cluster size each shape is defined for.</summary>
    public static int Nodes(LivenessShape shape) => shape == LivenessShape.Chained ? 3 : 5;
}
