using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Settings;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// The host half of incarnations (Consensus DESIGN.md, "Incarnations"): a node that lost its data directory starts
/// a new incarnation and regains its vote by id, with no age quarantine; a restart with state keeps its id.
/// </summary>
public sealed class IncarnationTests
{
    [Fact]
    public async Task A_follower_that_lost_its_data_directory_gets_a_new_id_and_its_vote_back_without_the_age_quarantine()
    {
        // With the longest max-message-age allowed, the old rule would keep the wiped node from voting for
        // 3 x 10 min: the node below votes long before that, and the cluster then survives losing another member.
        await using var cluster = await TestCluster.StartAsync(3, s => s with
        {
            MaxMessageAge = TimeSpan.FromMinutes(10),
            InitialClusterState = InitialClusterState.New,
        });
        var leader = await cluster.WaitForLeaderAsync();
        await cluster.Client(leader).SetAsync("before", "loss");
        var lost = (leader + 1) % 3;
        var other = (leader + 2) % 3;
        var before = cluster.Host(lost).Node.IncarnationHex;

        await cluster.StopNodeAsync(lost);
        cluster.WipeData(lost);
        cluster.Settings[lost] = cluster.Settings[lost] with { InitialClusterState = InitialClusterState.Existing };
        await cluster.StartNodeAsync(lost);
        var after = cluster.Host(lost).Node.IncarnationHex;
        after.Should().NotBe(before, "an empty data directory is a new life of the member");
        after.Should().NotBe(new string('0', 16));

        await WaitUntilAsync(async () => (await cluster.StatusAsync(lost)).Voting == VotingState.Voter);
        (await cluster.Client(lost).GetAsync("before")).Should().Be("loss", "it caught up before voting");

        // Its vote counts: without the third member, the rejoined node and one other still decide.
        await cluster.StopNodeAsync(other);
        await cluster.Client(lost).SetAsync("after", "rejoined");
        var survivor = leader;
        (await cluster.Client(survivor).GetAsync("after")).Should().Be("rejoined");
    }

    [Fact]
    public async Task A_restart_with_state_keeps_its_incarnation()
    {
        await using var cluster = await TestCluster.StartAsync(3, s => s with { InitialClusterState = InitialClusterState.New });
        var leader = await cluster.WaitForLeaderAsync();
        await cluster.Client(leader).SetAsync("a", "1");
        var node = (leader + 1) % 3;
        var first = cluster.Host(node).Node.IncarnationHex;
        first.Should().NotBe(new string('0', 16), "a node that found its directory empty drew an id");

        await cluster.StopNodeAsync(node);
        await cluster.StartNodeAsync(node);
        cluster.Host(node).Node.IncarnationHex.Should().Be(first);
        (await cluster.StatusAsync(node)).Voting.Should().Be(VotingState.Voter);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the condition should hold within a minute, far below the 30 min the age rule would take");
            await Task.Delay(100);
        }
    }
}
