using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>A whole run: the machine, the command, every row; written as JSON and as a markdown table.</summary>
internal sealed record SuiteReport(DateTime StartedUtc, string Command, MachineInfo Machine, IReadOnlyList<SuiteRow> Rows, IReadOnlyList<string> Notes)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# ReplicatedKv benchmark suite, {StartedUtc:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine();
        var etcd = Machine.Etcd ?? "etcd not measured";
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine.Cores} cores ({Machine.Cpu}), {Machine.Os}, {Machine.Dotnet}, {etcd}.");
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Disk: fdatasync after a 4 KiB append p50 {Machine.FdatasyncP50Ms:F3} ms, p99 {Machine.FdatasyncP99Ms:F3} ms (one-client set target through the leader: p50 at most {Machine.FdatasyncP50Ms + 0.5:F3} ms).");
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: `{Command}`");
        md.AppendLine();
        md.AppendLine("| store | workload | clients | conns | ops/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors | RSS MiB per member | CPU ms/1k ops per member | CPU total | cmds/slot | cmds/fsync | ops ×ceiling | ops ×etcd | p99 ×etcd |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in Rows.OrderBy(r => WorkloadNames.Parse(r.Workload)).ThenBy(r => r.Clients).ThenBy(r => r.LabelWithVia, StringComparer.Ordinal))
        {
            var rss = string.Join(" / ", r.RssMb.Select(m => m is { } v ? v.ToString("F0", CultureInfo.InvariantCulture) : "?"));
            var cpu = string.Join(" / ", r.CpuMsPer1kOps.Select(m => m is { } v ? v.ToString("F0", CultureInfo.InvariantCulture) : "?"));
            var cpuTotal = r.CpuMsPer1kOpsTotal is { } t ? t.ToString("F0", CultureInfo.InvariantCulture) : "";
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.LabelWithVia} | {r.Workload} | {r.Clients} | {r.Connections} | {r.OpsPerSecond:F0} | {r.P50Ms:F2} | {r.P90Ms:F2} | {r.P99Ms:F2} | {r.P999Ms:F2} | {r.Errors} | {rss} | {cpu} | {cpuTotal} | {Batch(r.CommandsPerSlot)} | {Batch(r.CommandsPerSync)} | {Ratio(r.OpsVsCeiling)} | {Ratio(r.OpsVsEtcd)} | {Ratio(r.P99VsEtcd)} |");
        }

        if (Notes.Count > 0)
        {
            md.AppendLine();
            foreach (var note in Notes)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            }
        }

        return md.ToString();
    }

    private static string Batch(double? perUnit) => perUnit is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) : "";

    private static string Ratio(double? ratio) => ratio is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) : "";
}
