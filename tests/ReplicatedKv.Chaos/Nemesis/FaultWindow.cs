namespace ReplicatedKv.Chaos.Nemesis;

/// <summary>
/// One fault as it was in force: from just before its injection to the end of its heal, in the history's nanoseconds.
/// <see cref="BoundsWritePause"/> marks the faults under which writes must keep flowing: partitions whose shape leaves
/// a node linked to a majority (issue 21).
/// </summary>
internal sealed record FaultWindow(int Number, string Fault, long StartNanos, long EndNanos, bool BoundsWritePause)
{
    /// <summary>Whether the plan aimed the fault at the leader (a leader fault costs an election; a follower's should cost nothing).</summary>
    public bool AtLeader { get; init; }

    /// <summary>The fault's kind without its partition shape: kill, pause, partition, fsync-crash, restart-all.</summary>
    public string Kind => Fault.Split(' ')[0];

    public static FaultWindow Of(FaultPlan plan, long startNanos, long endNanos, bool partitioned)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var isPartition = plan.Kind == FaultKind.Partition;
        var fault = isPartition ? "partition " + plan.Shape : FaultCounts.Key(plan.Kind);

        // A partition on a network that cannot cut links injected nothing, so it bounds nothing either.
        return new FaultWindow(plan.Number, fault, startNanos, endNanos,
            isPartition && partitioned && PartitionShapes.LeavesANodeLinkedToAMajority(plan.Shape))
        {
            AtLeader = plan.AtLeader,
        };
    }
}
