using Grpc.Core;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// A node restarted while the others take writes comes back and serves: it replays its small log, rejoins, and
/// answers reads and writes through itself. Not timed (figures go in the notes); it asserts that it serves at all.
/// </summary>
public sealed class FastRestartTests
{
    [Fact]
    public async Task A_node_restarted_under_load_serves_reads_and_writes_again()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        for (var i = 0; i < 50; i++)
        {
            await TestCluster.RetryAsync(() => cluster.Client(leader).SetAsync($"before{i}", $"v{i}"));
        }

        // Writers keep going through the two other nodes while the leader is stopped and started again.
        var restarted = leader;
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(w => WriteUntilStoppedAsync(cluster, (restarted + 1 + (w % 2)) % 3, w, stop.Token)).ToArray();
        await cluster.StopNodeAsync(restarted);
        await StartAgainAsync(cluster, restarted);

        (await TestCluster.RetryAsync(() => cluster.Client(restarted).SetAsync("after", "restart"))).Revision.Should().BeGreaterThan(50);
        (await TestCluster.RetryAsync(() => cluster.Client(restarted).GetAsync("after"))).Should().Be("restart");
        (await TestCluster.RetryAsync(() => cluster.Client(restarted).GetAsync("before49"))).Should().Be("v49");
        await stop.CancelAsync();
        (await Task.WhenAll(load)).Should().OnlyContain(written => written > 0, "every writer got writes in around the restart");

        ThreadPool.GetMinThreads(out var workers, out _);
        workers.Should().BeGreaterThanOrEqualTo(cluster.Settings[restarted].MinThreads, "the host raised the pool's minimum before it started");
    }

    /// <summary>
    /// Starts the node on its old ports. Between the stop and the start, the kernel may hand one of them to some
    /// process's outgoing connection as its local port (the test's ports come from the ephemeral range, and this
    /// machine is busy); the node cannot listen until that connection ends, so the start is tried again.
    /// </summary>
    private static async Task StartAgainAsync(TestCluster cluster, int node)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await cluster.StartNodeAsync(node);
                return;
            }
            catch (IOException ex) when (ex.Message.Contains("address already in use", StringComparison.Ordinal) && attempt < 20)
            {
                await Task.Delay(500);
            }
        }
    }

    private static async Task<int> WriteUntilStoppedAsync(TestCluster cluster, int node, int writer, CancellationToken stop)
    {
        var written = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await cluster.Client(node).SetAsync($"load{writer}", $"{written}");
                written++;
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                await Task.Delay(50, CancellationToken.None);
            }
        }

        return written;
    }
}
