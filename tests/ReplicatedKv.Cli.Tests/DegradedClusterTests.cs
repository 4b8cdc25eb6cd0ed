using ReplicatedKv.Server.Tests;

namespace ReplicatedKv.Cli.Tests;

/// <summary>Runs against a cluster of its own that it takes down node by node.</summary>
public sealed class DegradedClusterTests
{
    [Fact]
    public async Task Cluster_down_exits_4_with_one_stderr_line()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WaitForLeaderAsync();
        var endpoints = string.Join(',', cluster.Settings.Select(s => s.AdvertiseClientUrl));
        (await CliRun.RunAsync("--endpoints", endpoints, "set", "k", "v")).ExitCode.Should().Be(0);

        for (var i = 0; i < cluster.Size; i++)
        {
            await cluster.StopNodeAsync(i);
        }

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
