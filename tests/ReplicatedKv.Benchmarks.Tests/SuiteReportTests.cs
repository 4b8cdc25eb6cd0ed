using ReplicatedKv.Benchmarks.Suite;

namespace ReplicatedKv.Benchmarks.Tests;

/// <summary>The ratios that are the point of the suite, and the table and JSON that carry them.</summary>
public sealed class SuiteReportTests
{
    private static readonly MachineInfo Machine = new(2, "test cpu", "test os", ".NET test", "etcd Version: 3.4.23", 2.0, 9.0);

    private static SuiteRow Row(string store, int members, string workload, int clients, double opsPerSecond, double p99, string via = "") => new()
    {
        Store = store, Members = members, Workload = workload, Clients = clients, Via = via, Connections = SuiteOptions.ConnectionsFor(clients),
        Operations = (long)opsPerSecond, Seconds = 1, OpsPerSecond = opsPerSecond, P50Ms = p99 / 2, P90Ms = p99, P99Ms = p99, P999Ms = p99,
        MaxMs = p99, Errors = 0, RssMb = [100.0],
    };

    [Fact]
    public void ReplicatedKv_rows_are_compared_with_the_ceiling_and_etcd_of_the_same_workload_clients_and_size()
    {
        var rkv3 = Row("replicatedkv", 3, "set", 256, 6000, 10);
        var rkv5 = Row("replicatedkv", 5, "set", 256, 4000, 20);
        var rows = new List<SuiteRow>
        {
            Row("ceiling", 1, "set", 256, 12000, 5), Row("ceiling", 1, "get", 256, 20000, 2),
            Row("etcd", 3, "set", 256, 3000, 40), Row("etcd", 5, "set", 256, 2000, 80), Row("etcd", 3, "set", 16, 1000, 1),
            rkv3, rkv5,
        };

        SuiteRow.FillRatios(rows);

        rkv3.OpsVsCeiling.Should().Be(0.5);
        rkv3.OpsVsEtcd.Should().Be(2.0);
        rkv3.P99VsEtcd.Should().Be(0.25);
        rkv5.OpsVsCeiling.Should().BeApproximately(0.333, 0.001);
        rkv5.OpsVsEtcd.Should().Be(2.0);
        rows.Where(r => r.Store != "replicatedkv").Should().OnlyContain(r => r.OpsVsCeiling == null && r.OpsVsEtcd == null);
    }

    [Fact]
    public void Without_etcd_the_etcd_ratios_stay_empty()
    {
        var rkv = Row("replicatedkv", 3, "get", 64, 9000, 3);
        SuiteRow.FillRatios([Row("ceiling", 1, "get", 64, 10000, 2), rkv]);

        rkv.OpsVsCeiling.Should().Be(0.9);
        rkv.OpsVsEtcd.Should().BeNull();
        rkv.P99VsEtcd.Should().BeNull();
    }

    [Fact]
    public void The_table_shows_the_machine_the_fdatasync_target_and_a_row_per_measurement()
    {
        var rows = new List<SuiteRow> { Row("ceiling", 1, "set", 1, 5000, 1), Row("replicatedkv", 3, "set", 1, 400, 4, via: "leader") };
        SuiteRow.FillRatios(rows);

        var markdown = new SuiteReport(new DateTime(2026, 12, 3, 17, 0, 0, DateTimeKind.Utc), "suite --quick", Machine, rows, ["a note"]).ToMarkdown();

        markdown.Should().Contain("2 cores (test cpu)").And.Contain("etcd Version: 3.4.23");
        markdown.Should().Contain("fdatasync after a 4 KiB append p50 2.000 ms").And.Contain("p50 at most 2.500 ms");
        markdown.Should().Contain("| replicatedkv-3 via leader | set | 1 | 1 | 400 |").And.Contain("| 0.08 |");
        markdown.Should().Contain("- a note");
    }

    [Fact]
    public void The_json_carries_every_row_with_its_ratios()
    {
        var rows = new List<SuiteRow> { Row("ceiling", 1, "get", 16, 5000, 1), Row("replicatedkv", 3, "get", 16, 2500, 4) };
        SuiteRow.FillRatios(rows);

        var json = System.Text.Json.JsonDocument.Parse(new SuiteReport(DateTime.UtcNow, "suite", Machine, rows, []).ToJson()).RootElement;

        json.GetProperty("machine").GetProperty("fdatasyncP50Ms").GetDouble().Should().Be(2.0);
        json.GetProperty("rows").GetArrayLength().Should().Be(2);
        json.GetProperty("rows")[1].GetProperty("opsVsCeiling").GetDouble().Should().Be(0.5);
    }
}
