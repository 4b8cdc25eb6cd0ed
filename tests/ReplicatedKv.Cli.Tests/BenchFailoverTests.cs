using System.Text.Json;
using ReplicatedKv.Testing.Clusters;

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
            "--duration", "12s", "--key-space", "100", "-o", "json");

        // Kill the leader once the bench is writing, then watch the survivors decide many more of its writes.
        var survivor = (leader + 1) % 3;
        await WaitForDecidedAsync(cluster, survivor, 50);
        await cluster.StopNodeAsync(leader);
        var atKill = (await StatusAsync(cluster, survivor)).DecidedSlot;
        await WaitForDecidedAsync(cluster, survivor, atKill + 50);
        bench.IsCompleted.Should().BeFalse("the run was still going after the failover");
        var run = await bench;

        run.ExitCode.Should().Be(0, run.Error);
        var root = JsonDocument.Parse(run.Out).RootElement;
        root.GetProperty("ok").GetInt64().Should().BeGreaterThan(0);
        root.GetProperty("throughput").GetDouble().Should().BePositive();

        var after = await CliRun.RunAsync("--endpoints", endpoints, "set", "after", "bench");
        after.ExitCode.Should().Be(0, after.Error);
    }

    private static async Task<ReplicatedKv.Protos.V1.StatusResponse> StatusAsync(TestCluster cluster, int node) =>
        await cluster.Ops(node).StatusAsync(new ReplicatedKv.Protos.V1.StatusRequest(), TestCluster.Deadline());

    private static async Task WaitForDecidedAsync(TestCluster cluster, int node, long slot)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await StatusAsync(cluster, node)).DecidedSlot < slot)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, $"node {node} should decide slot {slot} while the bench runs");
            await Task.Delay(20);
        }
    }
}
