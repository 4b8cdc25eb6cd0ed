namespace ReplicatedKv.Server.Tests;

public sealed class FailoverTests
{
    [Fact]
    public async Task Killing_the_leader_elects_another_and_loses_no_acknowledged_write()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var acknowledged = new List<(string Key, string Value)>();
        for (var i = 0; i < 20; i++)
        {
            await TestCluster.RetryAsync(() => cluster.Client(i % 3).SetAsync($"k{i}", $"v{i}"));
            acknowledged.Add(($"k{i}", $"v{i}"));
        }

        await cluster.StopNodeAsync(leader);
        var newLeader = await cluster.WaitForLeaderAsync();
        newLeader.Should().NotBe(leader);

        // Clients that retry through the change succeed, through either survivor.
        var survivor = Enumerable.Range(0, 3).First(n => n != leader && n != newLeader);
        await TestCluster.RetryAsync(() => cluster.Client(survivor).SetAsync("after", "failover"));
        foreach (var (key, value) in acknowledged)
        {
            (await cluster.Client(survivor).GetAsync(key)).Should().Be(value);
            (await cluster.Client(newLeader).GetAsync(key)).Should().Be(value);
        }

        // The old leader comes back as a follower and catches up on what it missed.
        await cluster.StartNodeAsync(leader);
        await cluster.WaitConvergedAsync();
        (await TestCluster.RetryAsync(() => cluster.Client(leader).GetAsync("after"))).Should().Be("failover");
    }
}
