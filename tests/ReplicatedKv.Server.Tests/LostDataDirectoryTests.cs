using Grpc.Core;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Settings;

namespace ReplicatedKv.Server.Tests;

public sealed class LostDataDirectoryTests
{
    [Fact]
    public async Task A_node_restarted_on_an_empty_disk_does_not_vote_until_it_is_safe_then_catches_up_and_votes()
    {
        await using var cluster = await TestCluster.StartAsync(3, s => s with { SnapshotEveryEntries = 20, CatchUpEntries = 0 });
        var leader = await cluster.WaitForLeaderAsync();
        for (var i = 0; i < 60; i++)
        {
            await cluster.Client(leader).SetAsync($"k{i}", $"v{i}");
        }

        // The follower loses its disk and comes back with the same id: it must not count towards any quorum yet.
        var lost = (leader + 1) % 3;
        var other = (leader + 2) % 3;
        await cluster.StopNodeAsync(lost);
        cluster.WipeData(lost);
        await cluster.StartNodeAsync(lost);
        (await cluster.StatusAsync(lost)).Voting.Should().NotBe(VotingState.Voter);

        // With the other voter gone, the leader and the newcomer are two of three, but only one votes: no quorum.
        await cluster.StopNodeAsync(other);
        var write = async () => await cluster.Client(leader).SetAsync(new SetRequest { Key = "no-quorum", Value = Google.Protobuf.ByteString.Empty },
            deadline: DateTime.UtcNow.AddSeconds(2));
        // Not acknowledged is what matters: the server answers UNAVAILABLE just before the deadline, which a loaded
        // machine can deliver late, so the client may see its own deadline first.
        (await write.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().BeOneOf(StatusCode.Unavailable, StatusCode.DeadlineExceeded);

        // Once the cluster has a quorum again, the newcomer catches up from a snapshot and earns its vote back.
        await cluster.StartNodeAsync(other);
        await cluster.WaitForLeaderAsync();
        await WaitUntilAsync(async () => (await cluster.StatusAsync(lost)).Voting == VotingState.Voter);
        await cluster.WaitConvergedAsync();
        (await cluster.StatusAsync(lost)).FirstSlot.Should().BeGreaterThan(1, "it was sent a snapshot: the log it missed was compacted");
        (await cluster.Client(lost).GetAsync("k59", ReadConsistency.Serializable)).Should().Be("v59");

        // Now it votes: with the other node down, the former newcomer and the survivor still decide.
        var survivor = (await cluster.WaitForLeaderAsync()) == other ? other : leader;
        var down = survivor == other ? leader : other;
        await cluster.StopNodeAsync(down);
        await cluster.Client(lost).SetAsync("after", "rejoined");
        (await cluster.Client(survivor).GetAsync("after")).Should().Be("rejoined");
    }

    [Fact]
    public async Task With_initial_cluster_state_existing_an_empty_node_starts_as_a_learner()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await cluster.Client(leader).SetAsync("a", "1");
        var lost = (leader + 1) % 3;
        await cluster.StopNodeAsync(lost);
        cluster.WipeData(lost);
        cluster.Settings[lost] = cluster.Settings[lost] with { InitialClusterState = InitialClusterState.Existing };
        await cluster.StartNodeAsync(lost);
        (await cluster.StatusAsync(lost)).Voting.Should().Be(VotingState.Learner);
        await WaitUntilAsync(async () => (await cluster.StatusAsync(lost)).Voting == VotingState.Voter);
        (await cluster.Client(lost).GetAsync("a")).Should().Be("1");
    }

    [Fact]
    public async Task For_contrast_an_empty_node_told_the_cluster_is_new_votes_at_once_and_the_no_quorum_check_above_would_catch_it()
    {
        // The operator's "new" on an existing cluster is exactly the hazard: this node may have promised or accepted
        // before and forgot. The same two nodes that could not decide above now can: the check there is real.
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await cluster.Client(leader).SetAsync("a", "1");
        var lost = (leader + 1) % 3;
        var other = (leader + 2) % 3;
        await cluster.StopNodeAsync(lost);
        cluster.WipeData(lost);
        cluster.Settings[lost] = cluster.Settings[lost] with { InitialClusterState = InitialClusterState.New };
        await cluster.StartNodeAsync(lost);
        (await cluster.StatusAsync(lost)).Voting.Should().Be(VotingState.Voter);
        await cluster.StopNodeAsync(other);
        var set = await cluster.Client(leader).SetAsync("decided", "without a safe quorum");
        set.Revision.Should().BeGreaterThan(0);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the condition should hold within 30 s");
            await Task.Delay(100);
        }
    }
}
