namespace ReplicatedKv.Consensus.Tests.Simulation;

/// <summary>A client that keeps one unique command outstanding and retries it until some replica applies it.</summary>
internal sealed class SimClient(int id)
{
    public int Id { get; } = id;

    public long Sequence { get; set; }

    public string? Outstanding { get; set; }

    public long RetryAt { get; set; }

    public int? LeaderHint { get; set; }
}
