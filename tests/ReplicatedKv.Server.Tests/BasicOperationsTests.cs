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
}
