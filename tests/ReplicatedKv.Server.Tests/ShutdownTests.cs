using Google.Protobuf;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Tests;

public sealed class ShutdownTests
{
    [Fact]
    public async Task A_graceful_stop_lets_requests_in_flight_finish()
    {
        await using var cluster = await TestCluster.StartAsync(3, s => s with { ShutdownTimeout = TimeSpan.FromSeconds(20), RequestTimeout = TimeSpan.FromSeconds(15) }, inMemoryPeers: true);
        var leader = await cluster.WaitForLeaderAsync();
        // Hold writes in flight: the leader cannot reach a quorum, so nothing it takes can finish yet.
        var node = cluster.Host(leader).Node;
        cluster.Network.Isolate(cluster.MemberId(leader));

        var client = cluster.Client(leader);
        var writes = Enumerable.Range(0, 20).Select(i => client.SetAsync(new SetRequest
        {
            Key = $"inflight-{i}",
            Value = ByteString.CopyFromUtf8("v"),
            // One client id per write: the state machine remembers only each client's latest request, so one
            // client's concurrent writes, reordered by the leader change, would turn the older ones away.
            RequestId = new RequestId { ClientId = $"drain-{i}", Sequence = 1 },
        }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync).ToArray();
        while (node.PendingRequests < writes.Length)
        {
            await Task.Delay(10);
        }

        var stopping = cluster.Host(leader).StopAsync();
        await Task.Delay(300);
        stopping.IsCompleted.Should().BeFalse("requests are still in flight");

        // The partition heals while the node drains: its writes reach a quorum and are answered before it exits.
        cluster.Network.Heal();

        var results = await Task.WhenAll(writes);
        results.Should().OnlyContain(r => r.Revision > 0);
        await stopping;
        await cluster.StopNodeAsync(leader);
        (await cluster.Client((leader + 1) % 3).GetAsync("inflight-19")).Should().Be("v");
    }

    [Fact]
    public async Task A_stopping_leader_hands_leadership_to_a_follower_before_it_exits()
    {
        // A long election timeout: without a hand-over, nobody else could lead yet when the old leader's stop returns.
        await using var cluster = await TestCluster.StartAsync(3, s => s with { ElectionTicks = 100 });
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        await cluster.Client(leader).SetAsync(new SetRequest { Key = "before-stop", Value = ByteString.CopyFromUtf8("v") }, TestCluster.Deadline());

        await cluster.Host(leader).StopAsync();

        var others = Enumerable.Range(0, 3).Where(n => n != leader).ToArray();
        var statuses = await Task.WhenAll(others.Select(n => cluster.StatusAsync(n)));
        statuses.Should().ContainSingle(s => s.Role == NodeRole.Leader, "the old leader handed over before its stop returned");
        var successor = others[Array.FindIndex(statuses, s => s.Role == NodeRole.Leader)];
        await cluster.StopNodeAsync(leader);
        await cluster.Client(successor).SetAsync(new SetRequest { Key = "after-stop", Value = ByteString.CopyFromUtf8("w") }, TestCluster.Deadline());
        (await cluster.Client(successor).GetAsync("before-stop")).Should().Be("v");
    }
}
