using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ReplicatedKv.Benchmarks;

/// <summary>Records/s, fdatasyncs/s and MB/s (10^6 bytes) next to BenchmarkDotNet's time per operation.</summary>
public sealed class ThroughputColumn : IColumn
{
    private readonly Func<WorkloadShape, double, double?> _value;

    private ThroughputColumn(string name, string legend, int priority, Func<WorkloadShape, double, double?> value)
    {
        ColumnName = name;
        Legend = legend;
        PriorityInCategory = priority;
        _value = value;
    }

    public static IReadOnlyList<ThroughputColumn> All { get; } =
    [
        new("Records/s", "Durable records per second (1 s / Mean)", 0, (shape, ops) => shape.IsRecord ? ops : null),
        new("Fdatasync/s", "fdatasync calls per second: one per batch (or chunk)", 1, (shape, ops) => shape.SyncsPerSecond(ops)),
        new("Payload MB/s", "Payload bytes made durable per second, in 10^6 bytes", 2, (shape, ops) => shape.PayloadMegabytesPerSecond(ops)),
        new("Disk MB/s", "Bytes written to the file per second (payload plus WAL framing), in 10^6 bytes", 3, (shape, ops) => shape.DiskMegabytesPerSecond(ops)),
    ];

    public string Id => nameof(ThroughputColumn) + "." + ColumnName;

    public string ColumnName { get; }

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory { get; }

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend { get; }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var ops = WorkloadShape.OperationsPerSecond(summary, benchmarkCase);
        var value = ops is null ? null : _value(WorkloadShape.Of(benchmarkCase), ops.Value);
        return value is null ? "-" : value.Value.ToString(value.Value >= 100 ? "N0" : "N1", CultureInfo.InvariantCulture);
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public override string ToString() => ColumnName;
}
