using ReplicatedKv.Protos.V1;
using ReplicatedKv.Testing.Clusters;

namespace ReplicatedKv.Cli.Tests;

/// <summary><c>rkvctl leader transfer</c> on a cluster of its own (it moves the leader, which the shared cluster's tests do not expect).</summary>
public sealed class LeaderCommandTests
{
    [Fact]
    public async Task Transfer_moves_leadership_to_the_named_voter_and_refuses_a_non_member_with_exit_3()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var endpoints = string.Join(',', cluster.Settings.Select(s => s.AdvertiseClientUrl));
        var target = cluster.Settings[(leader + 2) % 3].NodeId;

        var moved = await CliRun.RunAsync("--endpoints", endpoints, "leader", "transfer", "--to", target);

        moved.ExitCode.Should().Be(0, moved.Error);
        moved.Out.Should().StartWith($"{target} leads now");
        (await cluster.Ops((leader + 2) % 3).StatusAsync(new StatusRequest(), TestCluster.Deadline())).Role.Should().Be(NodeRole.Leader);

        var refused = await CliRun.RunAsync("--endpoints", endpoints, "leader", "transfer", "--to", "n9");

        refused.ExitCode.Should().Be(3);
        refused.Error.Should().Contain("'n9' is not a member");
        (await cluster.Ops((leader + 2) % 3).StatusAsync(new StatusRequest(), TestCluster.Deadline())).Role.Should().Be(NodeRole.Leader, "a refused transfer moves nothing");
    }

    [Fact]
    public async Task Transfer_without_to_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("--endpoints", "http://127.0.0.1:1", "leader", "transfer");

        run.ExitCode.Should().Be(2);
        run.Error.Should().Contain("--to");
    }
}
