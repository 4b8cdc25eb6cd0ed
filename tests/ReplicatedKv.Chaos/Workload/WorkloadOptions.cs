namespace ReplicatedKv.Chaos.Workload;

/// <summary>How many logical clients, how long each call may take, and the seed their choices come from.</summary>
internal sealed record WorkloadOptions(int Clients, int Seed)
{
    /// <summary>Short, so calls that will never be answered become "unknown" fast rather than piling up.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(1.5);
}
