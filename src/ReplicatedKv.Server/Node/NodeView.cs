namespace ReplicatedKv.Server.Node;

/// <summary>
/// What the node loop last published about itself, for threads that must not touch the loop's state: the client
/// services (leader headers), health checks and /readyz.
/// </summary>
public sealed record NodeView(string? LeaderName, string? LeaderClientUrl, bool IsLeader, bool SeesLiveQuorum, bool IsVoter)
{
    public static NodeView Starting { get; } = new(null, null, false, false, false);
}
