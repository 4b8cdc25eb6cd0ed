using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Running;

namespace ReplicatedKv.Benchmarks;

/// <summary>
/// What every disk benchmark class adds to the run: the throughput columns, and the filter that pairs each
/// BatchSize parameter value with the method whose OperationsPerInvoke equals it. The job comes from the
/// command line (<c>--job short</c> and friends) or, when none is given there, from <see cref="Program.IoJob"/>.
/// </summary>
public sealed class DiskThroughputConfig : ManualConfig
{
    public DiskThroughputConfig()
    {
        AddColumn(ThroughputColumn.All.ToArray());
        AddFilter(new SimpleFilter(MatchesBatchSize));
    }

    /// <summary>
    /// True unless the case has a BatchSize parameter that differs from its method's OperationsPerInvoke
    /// (OperationsPerInvoke cannot come from a parameter, so each batch size has its own method).
    /// </summary>
    public static bool MatchesBatchSize(BenchmarkCase benchmarkCase)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        return WorkloadShape.Parameter(benchmarkCase, "BatchSize") is not { } batchSize
            || batchSize == benchmarkCase.Descriptor.OperationsPerInvoke;
    }
}
