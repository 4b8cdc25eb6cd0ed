using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ReplicatedKv.Testing.Ports;

namespace ReplicatedKv.LocalCluster.Tests;

/// <summary>
/// <c>add-node n4</c> typed into a running rkv-local: n4 is added through the leader, started empty with
/// --initial-cluster-state existing, catches up (the data written before it joined included), and is promoted to
/// voter; the launcher then stops four nodes cleanly.
/// </summary>
public sealed partial class AddNodeTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "rkv-local-add-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Add_node_grows_the_running_cluster_to_four_members_that_agree()
    {
        var basePort = FreePorts.BaseFor(nodes: 4);
        using var launcher = LauncherProcess.Start("--base-port", basePort.ToString(CultureInfo.InvariantCulture), "--data-dir", _dataDir);
        (await launcher.WaitForLineAsync(l => l.StartsWith("rkv-local: Ctrl-C stops all nodes", StringComparison.Ordinal), TimeSpan.FromSeconds(90)))
            .Should().BeTrue("the cluster gets ready; the launcher said:\n" + launcher.Transcript);
        launcher.NodePids.AddRange(launcher.Lines().Select(l => StartedPid().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups["pid"].Value, CultureInfo.InvariantCulture)));
        var endpoints = string.Join(',', Enumerable.Range(0, 3).Select(i => $"http://127.0.0.1:{basePort + i}"));
        (await Rkvctl("--endpoints", endpoints, "set", "before-n4", "yes")).Code.Should().Be(0);

        await launcher.TypeAsync("add-node n4");

        (await launcher.WaitForLineAsync(l => l.StartsWith("rkv-local: n4 is ready", StringComparison.Ordinal) || l.Contains("add-node:", StringComparison.Ordinal),
            TimeSpan.FromSeconds(90))).Should().BeTrue(launcher.Transcript);
        launcher.Transcript.Should().NotContain("add-node:", "the addition is not refused");
        var pid = int.Parse(AddedPid().Match(launcher.Transcript).Groups["pid"].Value, CultureInfo.InvariantCulture);
        launcher.NodePids.Add(pid);
        var commandLine = await File.ReadAllTextAsync($"/proc/{pid}/cmdline");
        commandLine.Should().Contain("--initial-cluster-state\0existing\0").And.Contain($"n4=http://127.0.0.1:{basePort + 103}");

        // Promoted once caught up (the launcher did not pass --learner), and holding what was written before it joined.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string role;
        do
        {
            var list = await Rkvctl("--endpoints", endpoints, "member", "list", "-o", "json");
            role = list.Code == 0
                ? JsonDocument.Parse(list.Out).RootElement.GetProperty("members").EnumerateArray()
                    .Where(m => m.GetProperty("id").GetString() == "n4").Select(m => m.GetProperty("role").GetString()!).SingleOrDefault() ?? "absent"
                : "no answer";
        }
        while (role != "voter" && DateTime.UtcNow < deadline && await Pause());

        role.Should().Be("voter", launcher.Transcript);
        var n4 = $"http://127.0.0.1:{basePort + 3}";
        (await Rkvctl("--endpoints", n4, "get", "before-n4", "--serializable")).Out.Trim().Should().Be("yes");
        (await Rkvctl("--endpoints", endpoints + "," + n4, "set", "after-n4", "yes")).Code.Should().Be(0);

        launcher.Interrupt();
        (await launcher.WaitForExitAsync(TimeSpan.FromSeconds(40))).Should().BeTrue(launcher.Transcript);
        launcher.ExitCode.Should().Be(0, launcher.Transcript);
        // The launcher stops the node it added with the others (how each one exits is LocalClusterTests' subject).
        launcher.Lines().Single(l => l.StartsWith("rkv-local: stopped: ", StringComparison.Ordinal))
            .Should().MatchRegex("^rkv-local: stopped: n1 exit -?[0-9]+, n2 exit -?[0-9]+, n3 exit -?[0-9]+, n4 exit -?[0-9]+$", launcher.Transcript);
        launcher.NodePids.Where(ServerProcesses.IsRunning).Should().BeEmpty("no rkv-server outlives the launcher");
    }

    private static async Task<bool> Pause()
    {
        await Task.Delay(500);
        return true;
    }

    private static async Task<(int Code, string Out, string Error)> Rkvctl(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await ReplicatedKv.Cli.Program.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    // "  n1    http://127.0.0.1:7001  http://127.0.0.1:7201  12345  leader ..."
    [GeneratedRegex(@"^\s+n\d\s+http://127\.0\.0\.1:\d+\s+http://127\.0\.0\.1:\d+\s+(?<pid>\d+)\s")]
    private static partial Regex StartedPid();

    // "rkv-local: n4 started (pid 12345); ..."
    [GeneratedRegex(@"rkv-local: n4 started \(pid (?<pid>\d+)\)")]
    private static partial Regex AddedPid();
}
