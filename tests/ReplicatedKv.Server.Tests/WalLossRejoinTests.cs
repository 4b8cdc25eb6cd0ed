using Grpc.Core;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// A node whose log lost records it had made durable comes back as a learner, under the same fence as a node
/// with an empty disk, and fetches what it lost from its peers: no acknowledged write is lost, nobody diverges.
/// </summary>
public sealed class WalLossRejoinTests
{
    [Fact]
    public async Task A_node_whose_newest_log_segment_was_emptied_rejoins_as_a_learner_and_keeps_every_acknowledged_write()
    {
        await using var cluster = await TestCluster.StartAsync(3, s => s with { SegmentBytes = 64 << 10 });
        var leader = await cluster.WaitForLeaderAsync();
        var value = new string('v', 2048);
        for (var i = 0; i < 80; i++)
        {
            await cluster.Client(leader).SetAsync($"k{i}", value + i);
        }

        var lost = (leader + 1) % 3;
        var other = (leader + 2) % 3;
        await cluster.StopNodeAsync(lost);
        var segments = Directory.GetFiles(Path.Combine(cluster.Settings[lost].DataDir, "wal"), "*.wal").Order(StringComparer.Ordinal).ToArray();
        segments.Length.Should().BeGreaterThan(1, "the older segments are what the node keeps");
        await File.WriteAllBytesAsync(segments[^1], []);

        await cluster.StartNodeAsync(lost);
        (await cluster.StatusAsync(lost)).Voting.Should().NotBe(VotingState.Voter);

        // With the other voter gone, the leader and the node that lost its tail are two of three, but only one votes.
        await cluster.StopNodeAsync(other);
        await NoWriteIsDecidedAsync(cluster.Client(leader));
        await cluster.StartNodeAsync(other);
        await cluster.WaitForLeaderAsync();
        await RegainsItsVoteAsync(cluster, lost);
        await cluster.WaitConvergedAsync();
        for (var i = 0; i < 80; i++)
        {
            (await cluster.Client(lost).GetAsync($"k{i}", ReadConsistency.Serializable)).Should().Be(value + i);
        }
    }

    private static async Task NoWriteIsDecidedAsync(KeyValue.KeyValueClient client)
    {
        var request = new SetRequest { Key = "no-quorum", Value = Google.Protobuf.ByteString.Empty };
        var failure = await FluentActions.Awaiting(async () => await client.SetAsync(request, deadline: DateTime.UtcNow.AddSeconds(2)))
            .Should().ThrowAsync<RpcException>();
        failure.Which.StatusCode.Should().BeOneOf(StatusCode.Unavailable, StatusCode.DeadlineExceeded);
    }

    private static async Task RegainsItsVoteAsync(TestCluster cluster, int node)
    {
        for (var started = DateTime.UtcNow; (await cluster.StatusAsync(node)).Voting != VotingState.Voter; await Task.Delay(100))
        {
            (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(30), "the node regains its vote once fenced");
        }
    }
}
