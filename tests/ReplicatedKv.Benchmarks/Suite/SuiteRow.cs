namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>
/// One measured row of the matrix, as written to the JSON file. Latencies in milliseconds, memory in MiB; the ratios
/// compare this row's ops/s (and p99) with the ceiling's and etcd's rows of the same workload and client count.
/// </summary>
internal sealed record SuiteRow
{
    public required string Store { get; init; }

    public required int Members { get; init; }

    public required string Workload { get; init; }

    public required int Clients { get; init; }

    /// <summary>leader or follower for ReplicatedKv's one-client rows (which member the one connection goes to); empty: round-robin.</summary>
    public string Via { get; init; } = "";

    public required int Connections { get; init; }

    public required long Operations { get; init; }

    public required double Seconds { get; init; }

    public required double OpsPerSecond { get; init; }

    public required double P50Ms { get; init; }

    public required double P90Ms { get; init; }

    public required double P99Ms { get; init; }

    public required double P999Ms { get; init; }

    public required double MaxMs { get; init; }

    public required long Errors { get; init; }

    public string? FirstError { get; init; }

    /// <summary>Each member's resident memory at the end of the row (null: not readable).</summary>
    public required IReadOnlyList<double?> RssMb { get; init; }

    /// <summary>Each member's CPU milliseconds (user + system) per 1,000 operations answered in the measured window.</summary>
    public IReadOnlyList<double?> CpuMsPer1kOps { get; init; } = [];

    /// <summary>The members' CPU milliseconds per 1,000 operations, added up: what one operation costs the whole store.</summary>
    public double? CpuMsPer1kOpsTotal { get; init; }

    /// <summary>The load generator's own CPU per 1,000 operations (it shares the machine with the store).</summary>
    public double? ClientCpuMsPer1kOps { get; init; }

    /// <summary>ReplicatedKv: the leader's commands per log slot over the measured window (batching into slots).</summary>
    public double? CommandsPerSlot { get; init; }

    /// <summary>ReplicatedKv: the leader's commands per fdatasync of its log over the measured window.</summary>
    public double? CommandsPerSync { get; init; }

    /// <summary>This row's ops/s over the ceiling's (same workload and clients); null for the ceiling itself or when absent.</summary>
    public double? OpsVsCeiling { get; set; }

    /// <summary>This row's ops/s over etcd's with as many members; null when etcd was not measured.</summary>
    public double? OpsVsEtcd { get; set; }

    /// <summary>This row's p99 over etcd's (the write target is at most 0.5).</summary>
    public double? P99VsEtcd { get; set; }

    public string Label => Store == "ceiling" ? "ceiling" : $"{Store}-{Members}";

    public string LabelWithVia => Via.Length == 0 ? Label : $"{Label} via {Via}";

    public static SuiteRow From(LoadTarget target, Workload workload, int clients, int connections, string via, LoadMeasure measure)
    {
        // The last sampled process is the load generator itself; the others are the members, in order.
        var cpu = CpuTime.PerThousandOps(measure.CpuBefore, measure.CpuAfter, measure.Operations);
        var members = cpu[..^1];
        return new SuiteRow
        {
        Via = via,
        Store = target.Store,
        Members = target.Members,
        Workload = workload.Name(),
        Clients = clients,
        Connections = connections,
        Operations = measure.Operations,
        Seconds = measure.Seconds,
        OpsPerSecond = Math.Round(measure.OpsPerSecond, 1),
        P50Ms = Round(measure.Milliseconds(50)),
        P90Ms = Round(measure.Milliseconds(90)),
        P99Ms = Round(measure.Milliseconds(99)),
        P999Ms = Round(measure.Milliseconds(99.9)),
        MaxMs = Round(measure.Milliseconds(100)),
        Errors = measure.Errors,
        FirstError = measure.FirstError,
        RssMb = target.Pids.Select(pid => ResidentMemory.Megabytes(pid) is { } mb ? Math.Round(mb, 1) : (double?)null).ToArray(),
        CpuMsPer1kOps = members,
        CpuMsPer1kOpsTotal = members.All(m => m is not null) ? Math.Round(members.Sum(m => m!.Value), 1) : null,
        ClientCpuMsPer1kOps = cpu[^1],
        };
    }

    /// <summary>Fills the ratio columns of every ReplicatedKv row from the ceiling and etcd rows beside it.</summary>
    public static void FillRatios(IReadOnlyList<SuiteRow> rows)
    {
        foreach (var row in rows.Where(r => r.Store == "replicatedkv"))
        {
            var ceiling = rows.FirstOrDefault(r => r.Store == "ceiling" && r.Workload == row.Workload && r.Clients == row.Clients);
            var etcd = rows.FirstOrDefault(r => r.Store == "etcd" && r.Members == row.Members && r.Workload == row.Workload && r.Clients == row.Clients);
            row.OpsVsCeiling = Ratio(row.OpsPerSecond, ceiling?.OpsPerSecond);
            row.OpsVsEtcd = Ratio(row.OpsPerSecond, etcd?.OpsPerSecond);
            row.P99VsEtcd = Ratio(row.P99Ms, etcd?.P99Ms);
        }
    }

    private static double? Ratio(double value, double? baseline) =>
        baseline is > 0 && !double.IsNaN(value) ? Math.Round(value / baseline.Value, 3) : null;

    private static double Round(double ms) => double.IsNaN(ms) ? 0 : Math.Round(ms, 3);
}
