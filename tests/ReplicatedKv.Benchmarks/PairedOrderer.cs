using System.Collections.Immutable;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ReplicatedKv.Benchmarks;

/// <summary>
/// Execution: within each class (BenchmarkDotNet runs the classes one after another in name order:
/// BatchEncoding, RawDisk, WalAppend, WriteBandwidth), lightest case first: batch 1 before 16 before 256, 100 B
/// before 4 KiB. So the batch-256 × 4 KiB WAL case runs right before the sequential-bandwidth cases it is
/// compared with. Summary: the encoding rows, then each WAL row under its raw twin, then the bandwidth rows.
/// Logical groups and highlighting are BenchmarkDotNet's defaults.
/// </summary>
public sealed class PairedOrderer : IOrderer
{
    public static PairedOrderer Instance { get; } = new();

    public bool SeparateLogicalGroups => DefaultOrderer.Instance.SeparateLogicalGroups;

    public IEnumerable<BenchmarkCase> GetExecutionOrder(ImmutableArray<BenchmarkCase> benchmarksCase, IEnumerable<BenchmarkLogicalGroupRule>? order = null) =>
        benchmarksCase
            .OrderBy(c => Rank(c.Descriptor.Type))
            .ThenBy(c => WorkloadShape.Parameter(c, "BatchSize") ?? 0)
            .ThenBy(c => WorkloadShape.Parameter(c, "RecordSize") ?? 0)
            .ThenBy(c => WorkloadShape.Parameter(c, "ChunkBytes") ?? 0)
            .ThenBy(c => c.Descriptor.WorkloadMethodDisplayInfo, StringComparer.Ordinal)
            .ThenBy(c => c.Job.DisplayInfo, StringComparer.Ordinal);

    public IEnumerable<BenchmarkCase> GetSummaryOrder(ImmutableArray<BenchmarkCase> benchmarksCases, Summary summary) =>
        benchmarksCases
            .OrderBy(c => Rank(c.Descriptor.Type) switch { 0 => 0, 3 => 2, _ => 1 })
            .ThenBy(c => WorkloadShape.Parameter(c, "RecordSize") ?? 0)
            .ThenBy(c => WorkloadShape.Parameter(c, "BatchSize") ?? 0)
            .ThenBy(c => Rank(c.Descriptor.Type))
            .ThenBy(c => WorkloadShape.Parameter(c, "ChunkBytes") ?? 0)
            .ThenBy(c => c.Descriptor.WorkloadMethodDisplayInfo, StringComparer.Ordinal)
            .ThenBy(c => c.Job.DisplayInfo, StringComparer.Ordinal);

    public string? GetHighlightGroupKey(BenchmarkCase benchmarkCase) => DefaultOrderer.Instance.GetHighlightGroupKey(benchmarkCase);

    public string GetLogicalGroupKey(ImmutableArray<BenchmarkCase> allBenchmarksCases, BenchmarkCase benchmarkCase) =>
        DefaultOrderer.Instance.GetLogicalGroupKey(allBenchmarksCases, benchmarkCase) ?? string.Empty;

    public IEnumerable<IGrouping<string, BenchmarkCase>> GetLogicalGroupOrder(
        IEnumerable<IGrouping<string, BenchmarkCase>> logicalGroups, IEnumerable<BenchmarkLogicalGroupRule>? order = null) =>
        DefaultOrderer.Instance.GetLogicalGroupOrder(logicalGroups, order);

    private static int Rank(Type type) =>
        type == typeof(BatchEncodingBenchmarks) ? 0
        : type == typeof(RawDiskBenchmarks) ? 1
        : type == typeof(WalAppendBenchmarks) ? 2
        : 3;
}
