namespace ReplicatedKv.Consensus;

/// <summary>
/// Everything one batch of inputs asks the host to do. The host handles a Ready in this order, then calls
/// <see cref="PaxosReplica.Advance"/>:
/// <list type="number">
/// <item><see cref="Messages"/> may be sent at once, even before persisting: none depends on this Ready's state.</item>
/// <item>Write <see cref="Entries"/>, then <see cref="HardState"/>, in that order; when <see cref="MustSync"/> is
/// set, fsync before going on. A crash may keep any prefix of these writes, never a later write without an earlier one.</item>
/// <item>Only then send <see cref="MessagesAfterPersist"/> (Promise and Accepted): they vouch for the state just written.</item>
/// <item>Apply <see cref="Decided"/> to the state machine, in order.</item>
/// <item>Answer clients: <see cref="ReadStates"/>, <see cref="DroppedProposals"/>, <see cref="DroppedReads"/>; start
/// snapshot transfers for <see cref="SnapshotRequests"/>.</item>
/// </list>
/// </summary>
public sealed class Ready
{
    internal Ready()
    {
    }

    /// <summary>The acceptor's new durable scalars, or null when unchanged since the last Ready.</summary>
    public HardState? HardState { get; internal set; }

    /// <summary>Accepted entries to append to the log, in order; a later entry for a slot supersedes an earlier one.</summary>
    /// <summary>
    /// The whole incarnation table (DESIGN.md, "Incarnations") when it changed, else null. Write it with the HardState
    /// (MustSync is set): a Promise or Accepted in this Ready may rely on it.
    /// </summary>
    public IncarnationTable? Incarnations { get; internal set; }

    public IReadOnlyList<LogEntry> Entries { get; internal set; } = Array.Empty<LogEntry>();

    /// <summary>True when the writes must reach stable storage before <see cref="MessagesAfterPersist"/> leave.</summary>
    public bool MustSync { get; internal set; }

    /// <summary>Messages that may leave immediately.</summary>
    public IReadOnlyList<PeerMessage> Messages { get; internal set; } = Array.Empty<PeerMessage>();

    /// <summary>Messages that may leave only after this Ready's writes are durable.</summary>
    public IReadOnlyList<PeerMessage> MessagesAfterPersist { get; internal set; } = Array.Empty<PeerMessage>();

    /// <summary>
    /// Decided slots to apply: a contiguous run starting right after the last slot handed out before,
    /// each slot exactly once. Apply only after this Ready's writes are done.
    /// </summary>
    public IReadOnlyList<LogEntry> Decided { get; internal set; } = Array.Empty<LogEntry>();

    /// <summary>Role, leader or ballot changed to this; null when unchanged.</summary>
    public SoftState? SoftState { get; internal set; }

    /// <summary>Linearizable reads that may be served once the host has applied through their index.</summary>
    public IReadOnlyList<ReadState> ReadStates { get; internal set; } = Array.Empty<ReadState>();

    /// <summary>
    /// Commands this replica will no longer drive: it lost leadership or an election. Their outcome is unknown
    /// (a later leader may still decide them), so the host must treat them as "retry", never as "failed".
    /// </summary>
    public IReadOnlyList<DroppedProposals> DroppedProposals { get; internal set; } = Array.Empty<DroppedProposals>();

    /// <summary>Read requests this replica can no longer serve, with the leader it knows.</summary>
    public IReadOnlyList<DroppedReads> DroppedReads { get; internal set; } = Array.Empty<DroppedReads>();

    /// <summary>
    /// Peers that need a snapshot, because they asked for slots this replica has compacted away. The host
    /// sends its newest snapshot and need not start a second transfer to a peer while one is running.
    /// </summary>
    public IReadOnlyList<int> SnapshotRequests { get; internal set; } = Array.Empty<int>();
}

/// <summary>Reads registered under <see cref="RequestIds"/> are linearizable once the applied slot reaches <see cref="Index"/>.</summary>
public sealed record ReadState(IReadOnlyList<long> RequestIds, long Index);

/// <summary>
/// Commands given up on, and the leader to retry them at (null when none is known). With
/// <see cref="MaybeDecided"/> they had reached slots and may still be decided; without it they never will be.
/// </summary>
public sealed record DroppedProposals(IReadOnlyList<ReadOnlyMemory<byte>> Commands, int? LeaderHint, bool MaybeDecided = false);

/// <summary>Read requests given up on, and the leader to retry them at (null when none is known).</summary>
public sealed record DroppedReads(IReadOnlyList<long> RequestIds, int? LeaderHint);

/// <summary>What <c>PaxosReplica.Propose</c> and <see cref="PaxosReplica.ReadIndex"/> did with a request.</summary>
public enum RequestOutcome
{
    /// <summary>Taken: its result will come through a Ready.</summary>
    Accepted,

    /// <summary>This replica is not the leader; forward to <see cref="PaxosReplica.LeaderId"/> if known.</summary>
    NotLeader,

    /// <summary>The leader's queue is full: shed load.</summary>
    Overloaded,
}
