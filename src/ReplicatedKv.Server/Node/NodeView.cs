namespace ReplicatedKv.Server.Node;

/// <summary>
/// What the node loop last published about itself, for threads that must not touch the loop's state: the client
/// services (leader headers), health checks and /readyz.
/// </summary>
public sealed record NodeView(string? LeaderName, string? LeaderClientUrl, bool IsLeader, bool SeesLiveQuorum, bool IsVoter)
{
    public static NodeView Starting { get; } = new(null, null, false, false, false);

    /// <summary>Storage refusing writes or a stalled loop, with its reason; null while neither.</summary>
    public string? Problem { get; init; }

    /// <summary>True while storage refuses writes (the loop still answers Status and serializable reads).</summary>
    public bool StorageRefused { get; init; }

    /// <summary>Why health is NOT_SERVING, or null while it is SERVING.</summary>
    public string? NotServingReason => Problem ?? (SeesLiveQuorum ? null : "no leader with a live quorum");
}
