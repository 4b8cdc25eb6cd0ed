using ReplicatedKv.Testing.Clusters;

namespace ReplicatedKv.Cli.Tests;

/// <summary>Runs against a cluster of its own that it takes down node by node.</summary>
public sealed class DegradedClusterTests
{
    [Fact]
    public async Task Losing_quorum_turns_health_to_1_and_cluster_down_exits_4_with_one_stderr_line()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WaitForLeaderAsync();
        var endpoints = string.Join(',', cluster.Settings.Select(s => s.AdvertiseClientUrl));
        (await CliRun.RunAsync("--endpoints", endpoints, "set", "k", "v")).ExitCode.Should().Be(0);
        var survivor = cluster.Settings[0].AdvertiseClientUrl;
        (await CliRun.RunAsync("--endpoints", survivor, "health", "--wait", "10s")).ExitCode.Should().Be(0);

        // One node of three: no quorum, so not serving, however long it is given.
        await cluster.StopNodeAsync(1);
        await cluster.StopNodeAsync(2);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await CliRun.RunAsync("--endpoints", survivor, "health")).ExitCode == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var health = await CliRun.RunAsync("--endpoints", survivor, "health", "--wait", "1s");
        health.ExitCode.Should().Be(1, health.Out);
        health.Out.Should().Contain("NOT_SERVING (").And.NotContain("()");

        var clusterHealth = await CliRun.RunAsync("--endpoints", endpoints, "--timeout", "1s", "health", "--cluster", "--wait", "500ms");
        clusterHealth.ExitCode.Should().Be(1);
        clusterHealth.Out.TrimEnd().Split('\n').Should().HaveCount(3);
        clusterHealth.Out.Should().Contain("unreachable");

        // The survivor answers but follows no leader: the table is printed and the exit code says no leader.
        foreach (var flags in new[] { new[] { "status" }, ["status", "--cluster"] })
        {
            var status = await CliRun.RunAsync(["--endpoints", survivor, "--timeout", "1s", .. flags]);
            status.ExitCode.Should().Be(4, status.Out + status.Error);
            status.Out.TrimEnd().Split('\n').Should().HaveCount(4);
            status.Out.Should().Contain("unreachable").And.Contain("no (");
            status.Error.Should().Contain("no leader known");
        }

        var hash = await CliRun.RunAsync("--endpoints", survivor, "--timeout", "1s", "check", "hash");
        hash.ExitCode.Should().Be(4, hash.Out + hash.Error);
        hash.Error.Should().Contain("did not answer");

        await cluster.StopNodeAsync(0);
        (await CliRun.RunAsync("--endpoints", endpoints, "--timeout", "1s", "status")).ExitCode.Should().Be(4);
        (await CliRun.RunAsync("--endpoints", endpoints, "--timeout", "1s", "status", "--cluster")).ExitCode.Should().Be(4);

        foreach (var args in new[] { new[] { "get", "k" }, ["set", "k", "v2"], ["remove", "k"], ["contains", "k"] })
        {
            var run = await CliRun.RunAsync(["--endpoints", endpoints, "--timeout", "1s", .. args]);
            run.ExitCode.Should().Be(4, string.Join(' ', args));
            run.Out.Should().BeEmpty();
            run.Error.Should().StartWith("rkvctl: ");
            run.Error.Should().MatchRegex("unavailable|unknown");
            run.Error.TrimEnd().Should().NotContain("\n");
        }
    }
}
