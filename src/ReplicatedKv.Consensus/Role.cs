namespace ReplicatedKv.Consensus;

/// <summary>What a replica is doing in the protocol right now.</summary>
public enum Role
{
    /// <summary>Accepts values from the leader it knows, if any.</summary>
    Follower,

    /// <summary>Asks peers whether they would promise, without raising any ballot (like Raft's pre-vote).</summary>
    PreCandidate,

    /// <summary>Runs phase 1 (prepare/promise) with its own ballot.</summary>
    Candidate,

    /// <summary>Finished phase 1: proposes values in phase 2 under its ballot.</summary>
    Leader,
}

/// <summary>
/// Volatile facts the host shows to operators and routes by; reported in a Ready when they change.
/// <see cref="RejoinState"/> says whether this replica votes (see <see cref="PaxosReplica.IsVoter"/>).
/// </summary>
public readonly record struct SoftState(Role Role, int? LeaderId, Ballot Ballot, RejoinState RejoinState = RejoinState.Voter);
