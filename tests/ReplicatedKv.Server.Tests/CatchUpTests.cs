namespace ReplicatedKv.Server.Tests;

public sealed class CatchUpTests
{
    [Fact]
    public async Task A_restarted_follower_catches_up_from_the_log()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = (leader + 1) % 3;
        await cluster.StopNodeAsync(follower);
        for (var i = 0; i < 50; i++)
        {
            await TestCluster.RetryAsync(() => cluster.Client(leader).SetAsync($"k{i}", $"v{i}"));
        }

        await cluster.StartNodeAsync(follower);
        await cluster.WaitConvergedAsync();
        (await cluster.Client(follower).GetAsync("k49")).Should().Be("v49");
        (await cluster.StatusAsync(follower)).FirstSlot.Should().Be(1, "nothing was compacted, so the log itself carried the missed slots");
    }

    [Fact]
    public async Task A_follower_behind_the_compacted_log_catches_up_from_a_snapshot()
    {
        // Snapshot every 20 entries and keep no slots behind a snapshot, so what the follower misses is gone from every log.
        await using var cluster = await TestCluster.StartAsync(3, s => s with { SnapshotEveryEntries = 20, CatchUpEntries = 0 });
        var leader = await cluster.WaitForLeaderAsync();
        var follower = (leader + 1) % 3;
        await cluster.StopNodeAsync(follower);
        var writes = 0;
        while ((await cluster.StatusAsync(leader)).FirstSlot <= 1 || writes < 200)
        {
            await Task.WhenAll(Enumerable.Range(0, 50).Select(i => TestCluster.RetryAsync(() => cluster.Client(leader).SetAsync($"k{writes + i}", $"v{writes + i}"))));
            writes += 50;
            writes.Should().BeLessThan(5_000, "the leader should have compacted its log by now");
        }

        await cluster.StartNodeAsync(follower);
        await cluster.WaitConvergedAsync(TimeSpan.FromSeconds(60));
        var status = await cluster.StatusAsync(follower);
        status.FirstSlot.Should().BeGreaterThan(1, "the follower restarted from a snapshot it was sent, not from the log");
        (await cluster.Client(follower).GetAsync($"k{writes - 1}")).Should().Be($"v{writes - 1}");
    }
}
