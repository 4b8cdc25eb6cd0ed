namespace ReplicatedKv.Chaos.Nemesis;

internal enum FaultKind
{
    /// <summary>SIGKILL, restarted on the same data directory when the fault ends.</summary>
    Kill,

    /// <summary>SIGSTOP, SIGCONT when the fault ends: a node that stalls (GC, VM steal, swapped out) and comes back.</summary>
    Pause,

    /// <summary>nftables rules in the node namespaces, or cut link proxies; healed when the fault ends.</summary>
    Partition,

    /// <summary>The wal-crash-mid-batch failpoint: the node SIGKILLs itself inside a log write, before its fsync.</summary>
    FsyncCrash,

    /// <summary>
    /// SIGKILL of every node at once (a power cut), all restarted together when the fault ends; the fault lasts until
    /// every node answers ready again, so its write stall is how long the whole cluster took to be writable.
    /// </summary>
    RestartAll,
}

internal enum PartitionShape
{
    /// <summary>A random minority cut off from the majority.</summary>
    MajorityMinority,

    /// <summary>The leader alone on one side.</summary>
    IsolateLeader,

    /// <summary>Two halves that cannot see each other and one node that sees both.</summary>
    Bridge,

    /// <summary>Everything one node sends is lost; it still hears everyone.</summary>
    OneWay,

    /// <summary>Every link cut except those of one follower, so only that follower reaches a majority (5 nodes, issue 21).</summary>
    QuorumLoss,

    /// <summary>
    /// A follower cut off for the first half of the fault, falling behind under load; then every other link is cut, the
    /// old leader losing all of its, and the follower's links come back: the only node that reaches a majority has the
    /// oldest log (5 nodes, issue 21).
    /// </summary>
    ConstrainedElection,
}
