namespace ReplicatedKv.Benchmarks.HotPaths;

/// <summary>
/// One hot path, set up once and run one operation at a time: by <see cref="HotPathBenchmarks"/> (BenchmarkDotNet,
/// memory diagnoser) and by the allocation-budget tests (<see cref="AllocationMeter"/> against allocation-budgets.json).
/// Every operation must be synchronous, on the calling thread, so the thread's allocation counter sees all of it.
/// </summary>
public interface IHotPathWorkload : IDisposable
{
    /// <summary>The path's key in allocation-budgets.json.</summary>
    string Name { get; }

    void RunOnce();
}

/// <summary>Every hot path with a budget, by name.</summary>
public static class HotPathWorkloads
{
    public static IReadOnlyList<string> Names { get; } =
        [CommandCodecWorkload.PathName, StateMachineApplyWorkload.PathName, WalAppendWorkload.PathName, ConsensusRoundWorkload.PathName, NodeCoreWriteWorkload.PathName];

    public static IHotPathWorkload Create(string name) => name switch
    {
        CommandCodecWorkload.PathName => new CommandCodecWorkload(),
        StateMachineApplyWorkload.PathName => new StateMachineApplyWorkload(),
        WalAppendWorkload.PathName => new WalAppendWorkload(),
        ConsensusRoundWorkload.PathName => new ConsensusRoundWorkload(),
        NodeCoreWriteWorkload.PathName => new NodeCoreWriteWorkload(),
        _ => throw new ArgumentException($"no hot path named '{name}'", nameof(name)),
    };
}
