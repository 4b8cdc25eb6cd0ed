using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// deploy/monitoring: the Prometheus scrape config and alerting rules pass promtool (config, rules, and the rules'
/// own unit tests), and every rkv_* name they and the Grafana dashboard use is one the server exports.
/// </summary>
public sealed partial class MonitoringFilesTests
{
    private static readonly string Monitoring = Path.Combine(RepositoryRoot(), "deploy", "monitoring");

    [PromtoolFact]
    public async Task Promtool_accepts_the_scrape_config()
    {
        var (code, output) = await PromtoolAsync("check", "config", "prometheus.yml");
        code.Should().Be(0, output);
        output.Should().Contain("1 rule files found");
    }

    [PromtoolFact]
    public async Task Promtool_accepts_the_alerting_rules_and_their_unit_tests_pass()
    {
        var (code, output) = await PromtoolAsync("check", "rules", "rkv-alerts.yml");
        code.Should().Be(0, output);

        // The unit tests make each alert fire on the series it is about and a healthy cluster fire none.
        (code, output) = await PromtoolAsync("test", "rules", "rkv-alerts.test.yml");
        code.Should().Be(0, output);
        output.Should().Contain("SUCCESS");
    }

    [Fact]
    public void Every_metric_the_dashboard_and_the_rules_name_is_one_the_server_exports()
    {
        var exported = ExportedNames();
        foreach (var file in new[] { "grafana-dashboard.json", "rkv-alerts.yml", "rkv-alerts.test.yml" })
        {
            var text = File.ReadAllText(Path.Combine(Monitoring, file));
            Unknown(text, exported).Should().BeEmpty("{0} names only metrics the server exports", file);
        }

        // The dashboard covers what the alerts are about.
        var dashboard = File.ReadAllText(Path.Combine(Monitoring, "grafana-dashboard.json"));
        foreach (var name in new[] { "rkv_is_leader", "rkv_apply_lag", "rkv_wal_fsync_duration_seconds_bucket", "rkv_peer_reachable", "rkv_storage_refused" })
        {
            dashboard.Should().Contain(name);
        }
    }

    [Fact]
    public void A_name_the_server_does_not_export_is_caught()
    {
        var exported = ExportedNames();
        Unknown("rate(rkv_fsync_seconds_bucket[5m]) + rkv_apply_lag", exported).Should().Equal("rkv_fsync_seconds_bucket");
    }

    [Fact]
    public async Task The_names_derived_from_the_source_are_the_names_a_node_serves()
    {
        // The derivation (OpenTelemetry's Prometheus naming) checked against a real scrape: every rkv_* name a node
        // serves after a write is among the derived ones, and the derived set holds nothing the scrape disproves.
        await using var cluster = await TestCluster.StartAsync(1, withAdminPorts: true);
        await cluster.WaitForLeaderAsync();
        await cluster.Client(0).SetAsync("monitoring", "v");
        var scrape = await PrometheusScrape.FetchUntilAsync(cluster.AdminUrl(0), s => s.Text.Contains("rkv_applied_commands_total", StringComparison.Ordinal));
        // Sample lines only: a histogram's # TYPE comment names its family, not a series.
        var served = scrape.Text.Split('\n').Where(l => !l.StartsWith('#')).SelectMany(l => MetricName().Matches(l).Take(1)).Select(m => m.Value).ToHashSet();
        served.Should().NotBeEmpty();
        served.Should().BeSubsetOf(ExportedNames());
    }

    /// <summary>
    /// The Prometheus names of the instruments in src/ReplicatedKv.Server/Metrics, as the OpenTelemetry exporter
    /// writes them: dots to underscores, "_seconds" for the unit s, "_total" on counters, and a histogram's
    /// "_bucket", "_sum" and "_count" series.
    /// </summary>
    private static HashSet<string> ExportedNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var folder = Path.Combine(RepositoryRoot(), "src", "ReplicatedKv.Server", "Metrics");
        foreach (var file in Directory.EnumerateFiles(folder, "*.cs"))
        {
            foreach (Match m in Instrument().Matches(File.ReadAllText(file)))
            {
                var name = m.Groups["name"].Value.Replace('.', '_');
                if (m.Groups["unit"].Value == "s")
                {
                    name += "_seconds";
                }

                switch (m.Groups["kind"].Value)
                {
                    case "Counter" or "ObservableCounter":
                        names.Add(name + "_total");
                        break;
                    case "Histogram":
                        names.UnionWith([name + "_bucket", name + "_sum", name + "_count"]);
                        break;
                    default:
                        names.Add(name);
                        break;
                }
            }
        }

        names.Should().Contain("rkv_is_leader", "the source parse finds the instruments");
        return names;
    }

    private static string[] Unknown(string text, HashSet<string> exported) =>
        MetricName().Matches(text).Select(m => m.Value).Distinct().Where(n => !exported.Contains(n)).ToArray();

    private static async Task<(int Code, string Output)> PromtoolAsync(params string[] args)
    {
        var start = new ProcessStartInfo("promtool") { WorkingDirectory = Monitoring, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ReplicatedKv.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no ReplicatedKv.sln above {AppContext.BaseDirectory}");
    }

    // Meter.CreateCounter<long>("rkv.decided_slots", "{slot}", ...), CreateHistogram("rkv.wal.fsync.duration", "s", ...),
    // CreateObservableGauge("rkv.apply_lag", () => ..., "{slot}", ...): the kind, the name and, where it comes second, the unit.
    [GeneratedRegex(@"Create(?<kind>Counter|Histogram|UpDownCounter|Gauge|ObservableCounter|ObservableGauge|ObservableUpDownCounter)(<[^>]+>)?\(\s*""(?<name>rkv\.[a-z0-9_.]+)""(\s*,\s*""(?<unit>[^""]*)"")?")]
    private static partial Regex Instrument();

    [GeneratedRegex(@"\brkv_[a-z0-9_]+")]
    private static partial Regex MetricName();
}

/// <summary>
/// A fact that needs promtool (Debian package prometheus; .ci/run installs it when it runs as root). Skipped, with
/// the reason, only where promtool is not on PATH.
/// </summary>
public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, "promtool")));
        if (!onPath)
        {
            Skip = "promtool is not installed (Debian package prometheus); .ci/run installs it when run as root: sudo .ci/install-promtool.sh";
        }
    }
}
