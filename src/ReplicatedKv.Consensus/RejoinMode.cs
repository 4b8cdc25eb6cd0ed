namespace ReplicatedKv.Consensus;

/// <summary>
/// What a replica that finds an empty persisted state assumes about the cluster: the host's
/// <c>--initial-cluster-state new|existing|auto</c>. Only an empty state consults it; a replica with
/// persisted state resumes as it was (a learner if its <see cref="HardState.Rejoining"/> flag is set).
/// </summary>
public enum RejoinMode
{
    /// <summary>
    /// The operator asserts a brand-new cluster: an empty replica votes at once. Wrong for a node that lost
    /// its data directory, whose forgotten promises and acceptances could then be contradicted.
    /// </summary>
    Bootstrap,

    /// <summary>
    /// The operator asserts the cluster exists (etcd's <c>--initial-cluster-state existing</c>): an empty
    /// replica must have lost its data, so it rejoins as a non-voting learner until it regains its vote.
    /// </summary>
    Rejoin,

    /// <summary>
    /// Ask the other members first. An empty replica votes only once enough of them report an empty state
    /// that no phase 1 can have completed with its vote; any member with state makes it a learner instead.
    /// Needs at least two members: a lone replica has nobody to ask.
    /// </summary>
    Probe,
}

/// <summary>Whether this replica takes part in quorums; reported in <see cref="SoftState"/> for operators.</summary>
public enum RejoinState
{
    /// <summary>Promises, accepts and may lead: a full acceptor.</summary>
    Voter,

    /// <summary>
    /// Learns decisions (from accepts, heartbeats, catch-up and snapshots) but sends no pre-vote grant,
    /// promise, acceptance, refusal or heartbeat acknowledgement, and never campaigns.
    /// </summary>
    Learner,

    /// <summary>Started empty under <see cref="RejoinMode.Probe"/> and is asking the other members; does not vote.</summary>
    Probing,
}
