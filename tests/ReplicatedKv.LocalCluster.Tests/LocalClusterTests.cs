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

        // It names its own pid, the one a SIGINT from elsewhere goes to.
        launcher.Lines().Should().Contain($"rkv-local: launcher pid {launcher.Pid}: Ctrl-C here, or kill -INT {launcher.Pid} from elsewhere, stops every node");

        var rkvctl = await ThePrintedRkvctlExamplesWork(launcher, basePort);
        await OneNodeStopsAndStartsWhileTheOthersRun(launcher, rkvctl);

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

    /// <summary>
    /// The lines printed under the table, pasted as they are into a second terminal: RKV_ENDPOINTS exported, the
    /// printed rkvctl (a built binary, no <c>dotnet run</c>) run with it. Returns that rkvctl and its environment.
    /// </summary>
    private static async Task<Rkvctl> ThePrintedRkvctlExamplesWork(LauncherProcess launcher, int basePort)
    {
        var endpoints = string.Join(',', Enumerable.Range(0, 3).Select(i => $"http://127.0.0.1:{basePort + i}"));
        var lines = launcher.Lines();
        lines.Should().Contain(l => l.StartsWith("rkv-local: in a second terminal", StringComparison.Ordinal), launcher.Transcript);
        lines.Should().Contain($"  export RKV_ENDPOINTS={endpoints}", launcher.Transcript);
        var alias = lines.Select(l => RkvctlAlias().Match(l)).Single(m => m.Success).Groups["path"].Value;
        File.Exists(alias).Should().BeTrue("'{0}' is a built rkvctl", alias);
        var rkvctl = new Rkvctl(alias, endpoints);

        var examples = lines.Select(line => RkvctlExample().Match(line)).Where(m => m.Success).Select(m => m.Groups["args"].Value).ToArray();
        examples.Should().Equal(["set greeting hello", "get greeting", "status"], launcher.Transcript);
        var outputs = new List<string>();
        foreach (var example in examples)
        {
            var (code, stdout, stderr) = await rkvctl.RunAsync(example.Split(' '));
            code.Should().Be(0, "rkvctl {0} succeeds; it said: {1}", example, stderr);
            outputs.Add(stdout);
        }

        outputs[1].Trim().Should().Be("hello", "get reads back what set wrote");
        outputs[2].Should().Contain("leader");

        var metricsLine = launcher.Lines().Single(line => line.StartsWith("rkv-local: Prometheus metrics: ", StringComparison.Ordinal));
        metricsLine.Should().Contain($"http://127.0.0.1:{basePort + 200}/metrics");
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version11, Timeout = TimeSpan.FromSeconds(5) };
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{basePort + 200}/metrics"));
        metrics.Should().Contain("rkv_applied_commands_total", "the admin port serves the node's metrics");
        return rkvctl;
    }

    /// <summary>
    /// "stop n3" typed into the launcher: n3 goes, is not reported as having exited on its own, the other two keep
    /// serving writes; "start n3" brings it back on its data and it catches up until every state hash agrees.
    /// </summary>
    private static async Task OneNodeStopsAndStartsWhileTheOthersRun(LauncherProcess launcher, Rkvctl rkvctl)
    {
        await launcher.TypeAsync("stop n3");
        (await launcher.WaitForLineAsync(l => l.StartsWith("rkv-local: n3 (pid ", StringComparison.Ordinal) && l.Contains("stopped as asked, exit 0", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30))).Should().BeTrue(launcher.Transcript);
        launcher.Transcript.Should().NotContain("exited on its own");

        var write = await rkvctl.RunAsync("set", "while-n3-is-down", "yes");
        write.Code.Should().Be(0, "two of three still make a quorum: {0}", write.Stderr);
        var status = await rkvctl.RunAsync("status");
        status.Stdout.Split('\n').Should().Contain(l => l.StartsWith("n3 ", StringComparison.Ordinal) && l.Contains("unreachable", StringComparison.Ordinal), status.Stdout);

        await launcher.TypeAsync("start n3");
        (await launcher.WaitForLineAsync(l => l.StartsWith("rkv-local: n3 started again (pid ", StringComparison.Ordinal), TimeSpan.FromSeconds(30)))
            .Should().BeTrue(launcher.Transcript);
        var newPid = int.Parse(RestartedPid().Match(launcher.Transcript).Groups["pid"].Value, CultureInfo.InvariantCulture);
        launcher.NodePids.Add(newPid);

        // Caught up: all three answer with the same state hash at the same applied slot.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        (int Code, string Stdout, string Stderr) hash;
        do
        {
            hash = await rkvctl.RunAsync("--timeout", "2s", "check", "hash");
        }
        while (hash.Code != 0 && DateTime.UtcNow < deadline);

        hash.Code.Should().Be(0, "n3 catches up after its restart: {0}{1}", hash.Stdout, hash.Stderr);
        hash.Stdout.Should().Contain("3 members agree");
        (await rkvctl.RunAsync("get", "while-n3-is-down", "--serializable", "--endpoints", rkvctl.Endpoints.Split(',')[2])).Stdout.Trim().Should().Be("yes");
        launcher.Transcript.Should().NotContain("exited on its own");
    }

    /// <summary>The printed rkvctl binary, run as a second terminal would run it: with RKV_ENDPOINTS exported.</summary>
    private sealed record Rkvctl(string Path, string Endpoints)
    {
        public async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
        {
            var start = new System.Diagnostics.ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.Environment["RKV_ENDPOINTS"] = Endpoints;
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using var process = System.Diagnostics.Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await stdout, await stderr);
        }
    }

    // "  alias rkvctl='/path/src/ReplicatedKv.Cli/bin/Debug/net10.0/rkvctl'"
    [GeneratedRegex(@"^  alias rkvctl='(?<path>[^']+)'$")]
    private static partial Regex RkvctlAlias();

    // "  rkvctl set greeting hello"
    [GeneratedRegex(@"^  rkvctl (?<args>.+)$")]
    private static partial Regex RkvctlExample();

    // "rkv-local: n3 started again (pid 12345); ..."
    [GeneratedRegex(@"rkv-local: n3 started again \(pid (?<pid>\d+)\)")]
    private static partial Regex RestartedPid();

    // "  n1    http://127.0.0.1:7001  http://127.0.0.1:7201  12345  leader    /path/n1"; node output lines start "n1 |".
    [GeneratedRegex(@"^\s+(?<node>n\d)\s+(?<client>http://127\.0\.0\.1:\d+)\s+(?<admin>http://127\.0\.0\.1:\d+)\s+(?<pid>\d+)\s+(?<role>\S+)\s+(?<data>.+)$")]
    private static partial Regex TableRow();
}
