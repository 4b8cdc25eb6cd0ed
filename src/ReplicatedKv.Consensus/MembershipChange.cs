namespace ReplicatedKv.Consensus;

/// <summary>What an operator asks of the membership. Replacing a member is a removal, then an addition, one change at a time.</summary>
public enum MembershipChangeKind
{
    /// <summary>Adds a non-voting member: it receives everything, counts in no quorum. A new node always starts so.</summary>
    AddNonVoter,

    /// <summary>Makes a non-voting member a voter, once its lag is within <see cref="ReplicaConfig.MaxPromotionLag"/>.</summary>
    Promote,

    /// <summary>Removes a member (voter or not), the leader included: a removed leader steps down once the change governs.</summary>
    Remove,
}

/// <summary>One change to the membership; <see cref="Payload"/> (the host's URLs) only for <see cref="MembershipChangeKind.AddNonVoter"/>.</summary>
public sealed record MembershipChange(MembershipChangeKind Kind, int NodeId, string Payload = "")
{
    public static MembershipChange AddNonVoter(int nodeId, string payload = "") => new(MembershipChangeKind.AddNonVoter, nodeId, payload);

    public static MembershipChange Promote(int nodeId) => new(MembershipChangeKind.Promote, nodeId);

    public static MembershipChange Remove(int nodeId) => new(MembershipChangeKind.Remove, nodeId);
}

/// <summary>
/// What <see cref="PaxosReplica.ProposeMembershipChange"/> did. When <see cref="Accepted"/>, <see cref="Configuration"/> is
/// the configuration proposed (it reaches the host like any value, in <see cref="Ready.Decided"/>); otherwise
/// <see cref="Reason"/> says, in one line, why nothing was proposed.
/// </summary>
public sealed record MembershipProposal(bool Accepted, Configuration? Configuration, string? Reason)
{
    internal static MembershipProposal Refused(string reason) => new(false, null, reason);
}
