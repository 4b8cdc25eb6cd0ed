using System.Text.Json.Nodes;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Cli;

/// <summary>One member in <c>status</c> and <c>check hash</c>: its own answer, or null where nobody knows.</summary>
internal sealed record MemberRow(string Id, string ClientUrl, string Role, string? Leader, bool Answered, string? Error)
{
    public string? Voting { get; init; }

    public string? Ballot { get; init; }

    public long? Decided { get; init; }

    public long? Applied { get; init; }

    public long? Lag { get; init; }

    public ulong? Revision { get; init; }

    public long? Keys { get; init; }

    public string? StateHash { get; init; }

    public string? Version { get; init; }

    /// <summary>Why the member says it is not serving; empty while it serves, null if it did not answer.</summary>
    public string? NotServingReason { get; init; }

    public static MemberRow Self(StatusResponse status, string clientUrl, long? lag) =>
        new(status.NodeId, clientUrl, RoleName(status.Role), status.LeaderId is { Length: > 0 } leader ? leader : null, Answered: true, Error: null)
        {
            Voting = VotingName(status.Voting),
            Ballot = status.Ballot,
            Decided = status.DecidedSlot,
            Applied = status.AppliedSlot,
            Lag = lag,
            Revision = status.Revision,
            Keys = status.KeyCount,
            StateHash = status.StateHash is { Length: > 0 } hash ? hash : null,
            Version = status.Version is { Length: > 0 } version ? version : null,
            NotServingReason = status.NotServingReason,
        };

    /// <summary>A member that did not answer, as the answering node sees it.</summary>
    public static MemberRow Absent(PeerStatus peer, string leaderId, string error) =>
        new(peer.NodeId, Urls.Show(peer.ClientUrl), peer.NodeId == leaderId ? "leader" : "unreachable", leaderId.Length > 0 ? leaderId : null, Answered: false, error)
        {
            Decided = peer.DecidedSlot >= 0 ? peer.DecidedSlot : null,
            Version = peer.Version is { Length: > 0 } version ? version : null,
        };

    /// <summary>An endpoint given on the command line that did not answer and that no member's URL names.</summary>
    public static MemberRow Unknown(Uri endpoint, string error) => new("?", Urls.Show(endpoint), "unreachable", null, Answered: false, error);

    public JsonObject ToJson() => new()
    {
        ["node_id"] = Id,
        ["client_url"] = ClientUrl,
        ["role"] = Role,
        ["voting"] = Voting,
        ["leader_id"] = Leader,
        ["ballot"] = Ballot,
        ["decided_slot"] = Decided,
        ["applied_slot"] = Applied,
        ["lag"] = Lag,
        ["revision"] = Revision,
        ["key_count"] = Keys,
        ["state_hash"] = StateHash,
        ["version"] = Version,
        ["reachable"] = Answered,
        ["answered"] = Answered,
        ["not_serving_reason"] = NotServingReason,
        ["error"] = Error,
    };

    private static string RoleName(NodeRole role) => role switch
    {
        NodeRole.Leader => "leader",
        NodeRole.Candidate => "candidate",
        _ => "follower",
    };

    private static string VotingName(VotingState voting) => voting switch
    {
        VotingState.Probing => "probing",
        VotingState.Learner => "learner",
        _ => "voter",
    };
}
