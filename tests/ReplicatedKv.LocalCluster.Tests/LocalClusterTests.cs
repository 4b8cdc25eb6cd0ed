using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using ReplicatedKv.Testing.Ports;

namespace ReplicatedKv.LocalCluster.Tests;

/// <summary>README's first command, run for real: rkv-local, three rkv-server processes, a signal, and nothing left behind.</summary>
public sealed partial class LocalClusterTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "rkv-local-test-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Starts_three_ready_nodes_and_on_SIGINT_stops_them_all_and_exits_0()
    {
        var basePort = FreePorts.BaseFor(nodes: 3);
        using var launcher = LauncherProcess.Start("--base-port", basePort.ToString(CultureInfo.InvariantCulture), "--data-dir", _dataDir);

        // The table ends with this line; it is written in one block, so every row is there once it is.
        var ready = await launcher.WaitForLineAsync(line => line.StartsWith("rkv-local: Ctrl-C stops all nodes", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
        ready.Should().BeTrue("the launcher reports a ready cluster within 90 s; it said:\n" + launcher.Transcript);
        launcher.Lines().Should().Contain(line => line.StartsWith("rkv-local: all 3 nodes ready", StringComparison.Ordinal));

        var rows = launcher.Lines().Select(line => TableRow().Match(line)).Where(m => m.Success).ToArray();
        launcher.NodePids.AddRange(rows.Select(r => int.Parse(r.Groups["pid"].Value, CultureInfo.InvariantCulture)));
        rows.Select(r => r.Groups["node"].Value).Should().Equal(["n1", "n2", "n3"], launcher.Transcript);
        rows.Select(r => r.Groups["admin"].Value).Should().Equal(
            Enumerable.Range(0, 3).Select(i => $"http://127.0.0.1:{basePort + 200 + i}"), "admin ports are the base port + 200 + i");
        rows.Where(r => r.Groups["role"].Value == "leader").Should().ContainSingle("exactly one node leads:\n" + launcher.Transcript);
        launcher.NodePids.Should().OnlyContain(pid => ServerProcesses.IsRunning(pid), "each row's PID is a running rkv-server");

        // A brand-new data folder: the launcher tells the nodes the cluster is new, so none waits out the
        // empty-disk quarantine (3 x max-message-age) before it votes.
        launcher.NodePids.Should().OnlyContain(pid => File.ReadAllText($"/proc/{pid}/cmdline").Contains("--initial-cluster-state\0new\0", StringComparison.Ordinal));

        using (var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version11, Timeout = TimeSpan.FromSeconds(5) })
        {
            foreach (var row in rows)
            {
                using var response = await http.GetAsync(new Uri(row.Groups["admin"].Value + "/readyz"));
                response.StatusCode.Should().Be(HttpStatusCode.OK, "{0} reported ready", row.Groups["node"].Value);
            }
        }

        await ThePrintedRkvctlExamplesWork(launcher, basePort);

        launcher.Interrupt();

        var exited = await launcher.WaitForExitAsync(TimeSpan.FromSeconds(30));
        exited.Should().BeTrue("the launcher stops its nodes and exits within 30 s of SIGINT; it said:\n" + launcher.Transcript);
        launcher.ExitCode.Should().Be(0, launcher.Transcript);
        launcher.NodePids.Where(ServerProcesses.IsRunning).Should().BeEmpty("no rkv-server outlives the launcher");

        // The nodes were asked to stop (SIGTERM) and each shut down cleanly in the grace period: exit 0, no SIGKILL.
        var stopped = launcher.Lines().Single(line => line.StartsWith("rkv-local: stopped: ", StringComparison.Ordinal));
        stopped.Should().Be("rkv-local: stopped: n1 exit 0, n2 exit 0, n3 exit 0", launcher.Transcript);
        launcher.Lines().Should().Contain(line => line.StartsWith("rkv-local: stopping: SIGTERM to n1", StringComparison.Ordinal));
    }

    /// <summary>The commands printed under the table are pasted as they are: here through rkvctl's own entry point.</summary>
    private static async Task ThePrintedRkvctlExamplesWork(LauncherProcess launcher, int basePort)
    {
        var endpoints = string.Join(',', Enumerable.Range(0, 3).Select(i => $"http://127.0.0.1:{basePort + i}"));
        var examples = launcher.Lines().Select(line => RkvctlExample().Match(line)).Where(m => m.Success).ToArray();
        examples.Select(m => m.Groups["args"].Value).Should().Equal(
            [$"--endpoints {endpoints} set greeting hello", $"--endpoints {endpoints} get greeting", $"--endpoints {endpoints} status"], launcher.Transcript);

        // The launcher ran in this test's folder, so the project path it printed is relative to it.
        var project = examples[0].Groups["project"].Value;
        File.Exists(Path.Combine(Directory.GetCurrentDirectory(), project, "ReplicatedKv.Cli.csproj")).Should().BeTrue("'{0}' is the rkvctl project", project);

        var outputs = new List<string>();
        foreach (var example in examples)
        {
            var (code, stdout, stderr) = await RunRkvctlAsync(example.Groups["args"].Value.Split(' '));
            code.Should().Be(0, "rkvctl {0} succeeds; it said: {1}", example.Groups["args"].Value, stderr);
            outputs.Add(stdout);
        }

        outputs[1].Trim().Should().Be("hello", "get reads back what set wrote");
        outputs[2].Should().Contain("leader");

        var metricsLine = launcher.Lines().Single(line => line.StartsWith("rkv-local: Prometheus metrics: ", StringComparison.Ordinal));
        metricsLine.Should().Contain($"http://127.0.0.1:{basePort + 200}/metrics");
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version11, Timeout = TimeSpan.FromSeconds(5) };
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{basePort + 200}/metrics"));
        metrics.Should().Contain("rkv_applied_commands_total", "the admin port serves the node's metrics");
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunRkvctlAsync(string[] args)
    {
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        var code = await ReplicatedKv.Cli.Program.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    // "  dotnet run --project src/ReplicatedKv.Cli -- --endpoints http://127.0.0.1:7001,... set greeting hello"
    [GeneratedRegex(@"^  dotnet run --project (?<project>\S+) -- (?<args>--endpoints .+)$")]
    private static partial Regex RkvctlExample();

    // "  n1    http://127.0.0.1:7001  http://127.0.0.1:7201  12345  leader    /path/n1"; node output lines start "n1 |".
    [GeneratedRegex(@"^\s+(?<node>n\d)\s+(?<client>http://127\.0\.0\.1:\d+)\s+(?<admin>http://127\.0\.0\.1:\d+)\s+(?<pid>\d+)\s+(?<role>\S+)\s+(?<data>.+)$")]
    private static partial Regex TableRow();
}
