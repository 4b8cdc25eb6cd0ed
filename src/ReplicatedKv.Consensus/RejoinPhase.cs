namespace ReplicatedKv.Consensus;

/// <summary>
/// Where a replica stands on the way from "started without trustworthy state" back to voting: the single source
/// of the Rejoining and Bootstrapped flags of <see cref="HardState"/>, of <see cref="RejoinState"/>, and of whether
/// the Rejoining flag is known durable. <see cref="RejoinPhases.IsLegal"/> lists every legal move.
/// </summary>
internal enum RejoinPhase
{
    /// <summary>Votes; Rejoining clear.</summary>
    Voter,

    /// <summary>Votes, having taken its vote by probing a brand-new cluster (HardState.Bootstrapped).</summary>
    BootstrappedVoter,

    /// <summary>Started empty under Probe and asks the members; Rejoining set but not yet known durable.</summary>
    Probing,

    /// <summary>Probing, with Rejoining durable.</summary>
    ProbingDurable,

    /// <summary>A learner whose Rejoining flag is not yet durable: it stores nothing it learns.</summary>
    Learner,

    /// <summary>A learner with Rejoining durable: it learns, and asks the leader for its fence.</summary>
    LearnerDurable,

    /// <summary>
    /// A probing replica found the cluster brand new: Rejoining cleared and Bootstrapped set in the next HardState.
    /// It keeps behaving as a probing non-voter until the host confirms that HardState (Advance).
    /// </summary>
    Bootstrapping,

    /// <summary>
    /// A learner met the fence rule: Rejoining cleared in the next HardState. It keeps behaving as a learner
    /// until the host confirms that HardState (Advance).
    /// </summary>
    Regaining,
}

/// <summary>The legal moves between <see cref="RejoinPhase"/> values, and what each phase means outside.</summary>
internal static class RejoinPhases
{
    /// <summary>
    /// Start: any phase (from the persisted state and <see cref="ReplicaConfig.RejoinMode"/>). Then: a flag write becomes
    /// durable (Probing -> ProbingDurable, Learner -> LearnerDurable); a probing replica sees an existing cluster
    /// (-> the learner phase of the same durability) or enough empty members (-> Bootstrapping); a durable learner
    /// meets the fence (-> Regaining); the cleared flag becomes durable (Bootstrapping -> BootstrappedVoter,
    /// Regaining -> Voter). A voter never goes back: only a restart on lost state makes a non-voter.
    /// </summary>
    public static bool IsLegal(RejoinPhase from, RejoinPhase to) => (from, to) switch
    {
        (RejoinPhase.Probing, RejoinPhase.ProbingDurable or RejoinPhase.Learner or RejoinPhase.Bootstrapping) => true,
        (RejoinPhase.ProbingDurable, RejoinPhase.LearnerDurable or RejoinPhase.Bootstrapping) => true,
        (RejoinPhase.Learner, RejoinPhase.LearnerDurable) => true,
        (RejoinPhase.LearnerDurable, RejoinPhase.Regaining) => true,
        (RejoinPhase.Bootstrapping, RejoinPhase.BootstrappedVoter) => true,
        (RejoinPhase.Regaining, RejoinPhase.Voter) => true,
        _ => false,
    };

    /// <summary>What operators see (<see cref="SoftState"/>): a replica waiting for its vote to be durable still reports its old state.</summary>
    public static RejoinState ToRejoinState(this RejoinPhase phase) => phase switch
    {
        RejoinPhase.Voter or RejoinPhase.BootstrappedVoter => RejoinState.Voter,
        RejoinPhase.Probing or RejoinPhase.ProbingDurable or RejoinPhase.Bootstrapping => RejoinState.Probing,
        _ => RejoinState.Learner,
    };

    /// <summary>HardState.Rejoining: set from the start without trustworthy state until the replica decides to vote.</summary>
    public static bool Rejoining(this RejoinPhase phase) =>
        phase is RejoinPhase.Probing or RejoinPhase.ProbingDurable or RejoinPhase.Learner or RejoinPhase.LearnerDurable;

    /// <summary>HardState.Bootstrapped.</summary>
    public static bool Bootstrapped(this RejoinPhase phase) => phase is RejoinPhase.Bootstrapping or RejoinPhase.BootstrappedVoter;

    /// <summary>A learner that may store what it learns: its Rejoining flag is durable.</summary>
    public static bool LearnsDurably(this RejoinPhase phase) => phase is RejoinPhase.LearnerDurable or RejoinPhase.Regaining;

    /// <summary>A probing replica that has not yet decided to vote: a sign of an existing cluster makes it a learner.</summary>
    public static bool IsUndecidedProbe(this RejoinPhase phase) => phase is RejoinPhase.Probing or RejoinPhase.ProbingDurable;
}
