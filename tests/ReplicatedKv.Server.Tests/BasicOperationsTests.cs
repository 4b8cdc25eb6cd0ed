using Google.Protobuf;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Tests;

public sealed class BasicOperationsTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public async Task Every_node_serves_set_get_remove_and_contains(int size)
    {
        await using var cluster = await TestCluster.StartAsync(size);
        await cluster.WaitForLeaderAsync();
        for (var node = 0; node < size; node++)
        {
            var client = cluster.Client(node);
            var key = $"key-from-n{node + 1}";
            var set = await TestCluster.RetryAsync(() => client.SetAsync(new SetRequest { Key = key, Value = ByteString.CopyFromUtf8("v" + node) }, TestCluster.Deadline()).ResponseAsync);
            set.Revision.Should().BeGreaterThan(0);

            // Every node answers a linearizable read with the write just acknowledged, whoever took it.
            for (var reader = 0; reader < size; reader++)
            {
                var got = await TestCluster.RetryAsync(() => cluster.Client(reader).GetAsync(new GetRequest { Key = key }, TestCluster.Deadline()).ResponseAsync);
                got.Found.Should().BeTrue();
                got.Value.ToStringUtf8().Should().Be("v" + node);
                got.Revision.Should().Be(set.Revision);
                (await TestCluster.RetryAsync(() => cluster.Client(reader).ContainsAsync(new ContainsRequest { Key = key }, TestCluster.Deadline()).ResponseAsync)).Found.Should().BeTrue();
            }

            var removed = await client.RemoveAsync(key);
            removed.Removed.Should().BeTrue();
            removed.Revision.Should().BeGreaterThan(set.Revision);
            (await client.GetAsync(key)).Should().BeNull();
            (await client.RemoveAsync(key)).Removed.Should().BeFalse();
        }
    }

    [Fact]
    public async Task A_follower_answers_a_linearizable_read_in_a_cluster_that_has_decided_nothing_yet()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = (leader + 1) % 3;

        // A single attempt: the leader's read index is 0 here, which must read as "nothing to wait for".
        var response = await cluster.Client(follower).GetAsync(new GetRequest { Key = "nothing" }, TestCluster.Deadline(3));
        response.Found.Should().BeFalse();
    }
}
