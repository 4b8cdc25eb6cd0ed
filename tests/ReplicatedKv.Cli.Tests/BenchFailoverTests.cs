using System.Text.Json;
using ReplicatedKv.Server.Tests;

namespace ReplicatedKv.Cli.Tests;

/// <summary>A bench run keeps going when the leader dies under it: errors are counted, not fatal.</summary>
public sealed class BenchFailoverTests
{
    [Fact]
    public async Task A_bench_run_survives_the_leader_being_killed()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var endpoints = string.Join(',', cluster.Settings.Select(s => s.AdvertiseClientUrl));

        var bench = CliRun.RunAsync("--endpoints", endpoints, "--timeout", "3s", "bench", "--op", "mixed", "--clients", "8",
            "--duration", "6s", "--key-space", "100", "-o", "json");
        await Task.Delay(1500);
        await cluster.StopNodeAsync(leader);
        var run = await bench;

        run.ExitCode.Should().Be(0, run.Error);
        var root = JsonDocument.Parse(run.Out).RootElement;
        root.GetProperty("ok").GetInt64().Should().BeGreaterThan(0);
        root.GetProperty("throughput").GetDouble().Should().BePositive();

        // Requests before and after the failover succeeded: the run carried on through the leader change.
        var after = await CliRun.RunAsync("--endpoints", endpoints, "set", "after", "bench");
        after.ExitCode.Should().Be(0, after.Error);
    }
}
