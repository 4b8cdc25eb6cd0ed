using Grpc.Core;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Tests;

public sealed class MinorityTests
{
    [Fact]
    public async Task A_node_cut_off_from_the_others_decides_nothing_and_serves_no_stale_linearizable_read()
    {
        await using var cluster = await TestCluster.StartAsync(3, s => s with { RequestTimeout = TimeSpan.FromSeconds(1) }, inMemoryPeers: true);
        var leader = await cluster.WaitForLeaderAsync();
        await TestCluster.RetryAsync(() => cluster.Client(0).SetAsync("x", "before"));

        // Cut the leader off: it is now the minority of one; the other two are the majority.
        var minority = leader;
        var majority = Enumerable.Range(0, 3).Where(n => n != minority).ToArray();
        foreach (var n in majority)
        {
            cluster.Network.Cut(cluster.MemberId(minority), cluster.MemberId(n));
        }

        var decidedBefore = (await cluster.StatusAsync(minority)).DecidedSlot;

        // The majority elects a leader of its own and moves on.
        await TestCluster.RetryAsync(() => cluster.Client(majority[0]).SetAsync("x", "after"));

        // Single attempts, not the retrying helpers: each must fail on its own, within the 1 s request timeout.
        var write = async () => await cluster.Client(minority).SetAsync(new SetRequest { Key = "y", Value = Google.Protobuf.ByteString.CopyFromUtf8("lost?") }, TestCluster.Deadline());
        (await write.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unavailable);
        var read = async () => await cluster.Client(minority).GetAsync(new GetRequest { Key = "x" }, TestCluster.Deadline());
        (await read.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unavailable);

        // A serializable read is allowed to be stale, and is: the minority still holds the old value.
        (await cluster.Client(minority).GetAsync("x", ReadConsistency.Serializable)).Should().Be("before");
        (await cluster.StatusAsync(minority)).DecidedSlot.Should().Be(decidedBefore);

        cluster.Network.Heal();

        await cluster.WaitConvergedAsync();
        (await TestCluster.RetryAsync(() => cluster.Client(minority).GetAsync("x"))).Should().Be("after");

        // The write the minority refused was never applied anywhere.
        (await cluster.Client(majority[0]).GetAsync("y")).Should().BeNull();
    }
}
