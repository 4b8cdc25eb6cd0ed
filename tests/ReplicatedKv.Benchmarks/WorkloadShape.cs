using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ReplicatedKv.Benchmarks;

/// <summary>
/// What one benchmark operation moves, read off a benchmark case: the throughput columns and the goal
/// report turn BenchmarkDotNet's time per operation into records/s, fdatasyncs/s and MB/s with it.
/// The disk benchmarks do one fdatasync per invocation, and an invocation is OperationsPerInvoke operations;
/// the encoding benchmarks do no I/O (no fdatasync/s, no disk MB/s).
/// </summary>
public sealed record WorkloadShape(bool IsRecord, int? OperationsPerSync, long PayloadBytes, long? DiskBytes)
{
    public const double BytesPerMegabyte = 1_000_000;

    public static WorkloadShape Of(BenchmarkCase benchmarkCase)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var type = benchmarkCase.Descriptor.Type;
        var perSync = benchmarkCase.Descriptor.OperationsPerInvoke;
        if (Parameter(benchmarkCase, "RecordSize") is { } recordSize)
        {
            return type == typeof(BatchEncodingBenchmarks) ? new WorkloadShape(true, null, recordSize, null)
                : type == typeof(WalAppendBenchmarks) ? new WorkloadShape(true, perSync, recordSize, WalAppendBenchmarks.FramedRecordBytes(recordSize))
                : new WorkloadShape(true, perSync, recordSize, recordSize);
        }

        var chunk = Parameter(benchmarkCase, "ChunkBytes") ?? 0;
        return new WorkloadShape(false, perSync, chunk, chunk);
    }

    public static int? Parameter(BenchmarkCase benchmarkCase, string name)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        return benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == name)?.Value as int?;
    }

    /// <summary>Operations per second from the mean time per operation, or null when the case did not run.</summary>
    public static double? OperationsPerSecond(Summary summary, BenchmarkCase benchmarkCase)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return mean is > 0 ? 1e9 / mean.Value : null;
    }

    public double? SyncsPerSecond(double operationsPerSecond) => operationsPerSecond / OperationsPerSync;

    public double PayloadMegabytesPerSecond(double operationsPerSecond) => operationsPerSecond * PayloadBytes / BytesPerMegabyte;

    public double? DiskMegabytesPerSecond(double operationsPerSecond) => operationsPerSecond * DiskBytes / BytesPerMegabyte;
}
