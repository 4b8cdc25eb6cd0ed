namespace ReplicatedKv.Consensus;

/// <summary>Everything a replica is told at construction. Timeouts are in ticks; the host decides how long a tick is.</summary>
public sealed record ReplicaConfig
{
    /// <summary>This replica's id; must be one of <see cref="Members"/>.</summary>
    public required int NodeId { get; init; }

    /// <summary>
    /// Every voting member of the bootstrap configuration, this one included (at most 64): the configuration of a
    /// brand-new cluster. Once the log or a snapshot holds a configuration, that one wins (see "Membership changes" in
    /// DESIGN.md); a node joining an existing cluster lists the members it knows, and learns the real configuration
    /// from the snapshot or log it catches up from.
    /// </summary>
    public required IReadOnlyList<int> Members { get; init; }

    /// <summary>
    /// A follower that hears nothing from a leader for a random number of ticks in
    /// [ElectionTicks, 1.5*ElectionTicks) (at least two ticks wide) starts an election; a leader that heard from no
    /// majority within ElectionTicks steps down.
    /// </summary>
    public int ElectionTicks { get; init; } = 10;

    /// <summary>Ticks between leader heartbeats; also the period at which unanswered accepts are sent again.</summary>
    public int HeartbeatTicks { get; init; } = 2;

    /// <summary>Most undecided slots a leader keeps in flight at once.</summary>
    public int Window { get; init; } = 64;

    /// <summary>
    /// Slots between the slot that decides a configuration and the first slot it governs (<see cref="Configuration.Delay"/>),
    /// for the bootstrap configuration; every later configuration copies it. It must be the same on every member of a
    /// cluster for its whole life, so the host should not expose it as a per-node flag. Null: <see cref="Window"/>.
    /// A leader keeps at most min(Window, delay) slots in flight.
    /// </summary>
    public int? ConfigurationDelay { get; init; }

    /// <summary>
    /// The most slots a non-voting member may lag the leader's decided index and still be promoted to voter, so
    /// that a promotion never makes a quorum wait for a member still catching up.
    /// </summary>
    public long MaxPromotionLag { get; init; } = 1000;

    internal int EffectiveConfigurationDelay => ConfigurationDelay ?? Window;

    /// <summary>Most client commands batched into one slot.</summary>
    public int MaxBatchCommands { get; init; } = 1024;

    /// <summary>Most payload bytes batched into one slot (a single larger command still gets a slot of its own).</summary>
    public long MaxBatchBytes { get; init; } = 1 << 20;

    /// <summary>
    /// Most entries in one Accept or CatchUp message, and how far behind (in decided slots) a candidate may be
    /// and still get a promise. A Promise itself carries every value the acceptor accepted above the prepare
    /// point (at most MaxSlotsAhead): leaving any out could let the new leader overwrite a chosen value, so the
    /// transport must carry large promises.
    /// </summary>
    public int MaxEntriesPerMessage { get; init; } = 256;

    /// <summary>Most commands a leader queues for free window slots before it refuses more (back-pressure).</summary>
    public int MaxQueuedCommands { get; init; } = 100_000;

    /// <summary>
    /// How far past its decided index an acceptor stores values. Guards memory against absurd slot numbers;
    /// a follower further behind catches up first.
    /// </summary>
    public long MaxSlotsAhead { get; init; } = 1 << 20;

    /// <summary>Seed of the election-timeout jitter; give each node its own.</summary>
    public ulong RandomSeed { get; init; }

    /// <summary>
    /// What an empty persisted state means (see <see cref="RejoinMode"/>). The default keeps the replica a
    /// voter, as a brand-new cluster needs; a host that may restart a node on a lost data directory should
    /// use <see cref="RejoinMode.Probe"/>.
    /// </summary>
    public RejoinMode RejoinMode { get; init; } = RejoinMode.Bootstrap;

    /// <summary>
    /// Ticks a replica that starts without trustworthy state waits before any answer counts towards its vote. It must
    /// be at least twice the longest a message can take between being sent and being delivered: the rule it serves
    /// assumes every message sent before the restart, and every reply to one, has been delivered or lost by then (see
    /// DESIGN.md). The transport must make that true, for example by dropping messages older than half of this.
    /// It applies only where that assumption is still used (DESIGN.md, "What is left of the age rule"): to a probing
    /// replica, and to a replica whose <see cref="HardState.Incarnation"/> is 0. A rejoining learner with an
    /// incarnation does not wait for it: the fence its leader gives after a challenge needs no timing bound (only an
    /// unchallenged fence, from a leader that does not challenge, still waits for it).
    /// </summary>
    public int RejoinQuarantineTicks { get; init; } = 20;

#if RKV_FAULT_INJECTION
    /// <summary>Deliberate protocol bugs, only for proving that the simulator's checkers can fail (never in Release).</summary>
    internal ReplicaFaults Faults { get; init; }
#endif

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (Members is null || Members.Count == 0 || Members.Count > 64)
        {
            throw new ArgumentException("Members must list 1 to 64 node ids.", nameof(Members));
        }

        if (Members.Distinct().Count() != Members.Count)
        {
            throw new ArgumentException("Members must not repeat a node id.", nameof(Members));
        }

        if (!Members.Contains(NodeId))
        {
            throw new ArgumentException($"NodeId {NodeId} is not one of the members.", nameof(NodeId));
        }

        Positive(ElectionTicks, nameof(ElectionTicks));
        Positive(HeartbeatTicks, nameof(HeartbeatTicks));
        Positive(Window, nameof(Window));
        Positive(MaxBatchCommands, nameof(MaxBatchCommands));
        Positive(MaxBatchBytes, nameof(MaxBatchBytes));
        Positive(MaxEntriesPerMessage, nameof(MaxEntriesPerMessage));
        Positive(MaxQueuedCommands, nameof(MaxQueuedCommands));
        Positive(MaxSlotsAhead, nameof(MaxSlotsAhead));
        Positive(EffectiveConfigurationDelay, nameof(ConfigurationDelay));
        if (MaxPromotionLag < 0)
        {
            throw new ArgumentException("MaxPromotionLag must not be negative.", nameof(MaxPromotionLag));
        }

        if (Members.Any(id => id < 1))
        {
            throw new ArgumentException("Member ids start at 1.", nameof(Members));
        }
        if (RejoinQuarantineTicks < 0)
        {
            throw new ArgumentException("RejoinQuarantineTicks must not be negative.", nameof(RejoinQuarantineTicks));
        }

        if (!Enum.IsDefined(RejoinMode))
        {
            throw new ArgumentException($"RejoinMode {RejoinMode} is not a RejoinMode.", nameof(RejoinMode));
        }

        if (RejoinMode == RejoinMode.Probe && Members.Count == 1)
        {
            throw new ArgumentException(
                "RejoinMode.Probe needs other members to ask; a single-member cluster must say Bootstrap or Rejoin.", nameof(RejoinMode));
        }

        if (HeartbeatTicks >= ElectionTicks)
        {
            throw new ArgumentException("HeartbeatTicks must be below ElectionTicks.", nameof(HeartbeatTicks));
        }

        if (MaxSlotsAhead < Window)
        {
            throw new ArgumentException("MaxSlotsAhead must be at least Window.", nameof(MaxSlotsAhead));
        }
    }

    private static void Positive(long value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"{name} must be positive.", name);
        }
    }
}

#if RKV_FAULT_INJECTION
/// <summary>
/// Protocol bugs the simulator injects on purpose to show that its checkers catch them.
/// <see cref="AcceptBelowPromise"/>: the acceptor ignores its promise, accepting and acknowledging lower ballots.
/// <see cref="SkipRecoveredValues"/>: a new leader fills every slot with a no-op instead of the values phase 1 found.
/// <see cref="VoteAfterStateLoss"/>: a replica that starts empty, or with the Rejoining flag, votes at once
/// (no learner phase), whatever <see cref="ReplicaConfig.RejoinMode"/> says.
/// <see cref="TrustProbeAnswers"/>: a learner regains its vote once it has decided past the highest slot, and
/// promised at least the highest ballot, that n-q+1 other members report, without waiting for a fence slot
/// from the leader (the answers may lag the leader).
/// The election faults break liveness under partial connectivity, not safety (the liveness shapes catch them):
/// <see cref="NoPreVote"/>: a replica whose election timer fires prepares at once, without a pre-vote round.
/// <see cref="PromiseDespiteLiveLeader"/>: a replica grants pre-votes and promises while it hears from a live leader.
/// <see cref="RefuseShorterLog"/>: Raft's vote rule; an acceptor refuses a prepare from a candidate that knows fewer
/// decided slots than it does, and sends it nothing to catch up with either.
/// The membership faults break the one-configuration-per-slot rule (DESIGN.md, "Membership changes"):
/// <see cref="ConfigurationAtOnce"/>: a decided configuration governs from the very next slot, although the leader has
/// later slots in flight counted under the old one, and a change may be proposed while another is in flight.
/// <see cref="NonVoterCounts"/>: a non-voting member's acceptances, promises and acknowledgements count towards quorums.
/// <see cref="IgnoreIncarnation"/>: incarnations are carried and learnt but never refuse anything: a candidate counts a
/// promise from any incarnation, an acceptor promises a stale candidacy, and replies to a lost incarnation are taken.
/// <see cref="FenceWithoutChallenge"/>: the leader records a learner's incarnation and gives it a fence slot on its
/// request, without the challenge that proves the incarnation is alive: a late request of a lost incarnation gets a fence
/// (and a record) above the one of the incarnation that replaced it.
/// </summary>
internal readonly record struct ReplicaFaults(
    bool AcceptBelowPromise, bool SkipRecoveredValues, bool VoteAfterStateLoss = false, bool TrustProbeAnswers = false,
    bool NoPreVote = false, bool PromiseDespiteLiveLeader = false, bool RefuseShorterLog = false,
    bool ConfigurationAtOnce = false, bool NonVoterCounts = false, bool IgnoreIncarnation = false, bool FenceWithoutChallenge = false);
#endif
