using System.Text.Json;
using ReplicatedKv.Testing.Clusters;

namespace ReplicatedKv.Cli.Tests;

/// <summary>
/// <c>rkvctl member</c> changes against a real 3-node cluster of its own (it changes the membership): a learner that
/// is not running cannot be promoted (exit 3 with the reason), unknown and existing ids are refused, and a removal
/// leaves the others serving; and the operator's steps with nodes that join: member add, then start the node; member
/// replace, then start the new one.
/// </summary>
public sealed class MembershipCommandClusterTests
{

    [Fact]
    public async Task A_learner_that_never_started_is_listed_and_cannot_be_promoted_while_it_lags()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WaitForLeaderAsync();
        var endpoints = Endpoints(cluster);
        var peerPort = TestCluster.FreePorts(2);

        var add = await CliRun.RunAsync("--endpoints", endpoints, "member", "add", "n4", "--learner",
            "--peer-url", $"http://127.0.0.1:{peerPort[0]}", "--client-url", $"http://127.0.0.1:{peerPort[1]}");

        add.ExitCode.Should().Be(0, add.Error);
        add.Out.Should().StartWith("added n4 as a learner").And.Contain("--initial-cluster-state existing");
        var list = await CliRun.RunAsync("--endpoints", endpoints, "-o", "json", "member", "list");
        Roles(list.Out).Should().Equal(("n1", "voter"), ("n2", "voter"), ("n3", "voter"), ("n4", "learner"));

        var promote = await CliRun.RunAsync("--endpoints", endpoints, "member", "promote", "n4");

        promote.ExitCode.Should().Be(3, "n4 never started, so it lags: " + promote.Error);
        promote.Error.Should().StartWith("rkvctl: member change refused: ");
        promote.Error.TrimEnd().Should().NotContain("\n");

        var remove = await CliRun.RunAsync("--endpoints", endpoints, "member", "remove", "n4");
        remove.ExitCode.Should().Be(0, remove.Error);
        Roles((await CliRun.RunAsync("--endpoints", endpoints, "-o", "json", "member", "list")).Out).Should().HaveCount(3);
    }

    [Fact]
    public async Task Unknown_and_existing_ids_are_refused_with_exit_3_and_a_removal_leaves_the_others_serving()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WaitForLeaderAsync();
        var endpoints = Endpoints(cluster);

        var unknown = await CliRun.RunAsync("--endpoints", endpoints, "member", "remove", "n9");
        unknown.ExitCode.Should().Be(3, unknown.Error);

        var existing = await CliRun.RunAsync("--endpoints", endpoints, "member", "add", "n2", "--peer-url", "http://127.0.0.1:1", "--client-url", "http://127.0.0.1:2");
        existing.ExitCode.Should().Be(3, existing.Error);

        var remove = await CliRun.RunAsync("--endpoints", endpoints, "-o", "json", "member", "remove", "n3");
        remove.ExitCode.Should().Be(0, remove.Error);
        Roles(remove.Out).Should().Equal(("n1", "voter"), ("n2", "voter"));
        var write = await CliRun.RunAsync("--endpoints", endpoints, "set", "after-removal", "yes");
        write.ExitCode.Should().Be(0, write.Error);
    }

    [Fact]
    public async Task Add_then_start_makes_a_voter_and_replace_swaps_a_member_for_a_new_one()
    {
        await using var cluster = await TestCluster.StartAsync(3, spares: 2);
        await cluster.WaitForLeaderAsync();
        var endpoints = Endpoints(cluster);
        (await CliRun.RunAsync("--endpoints", endpoints, "set", "before", "yes")).ExitCode.Should().Be(0);

        var add = await CliRun.RunAsync("--endpoints", endpoints, "member", "add", "n4", "--peer-url", cluster.PeerUrlOf(3), "--client-url", cluster.Settings[3].AdvertiseClientUrl);
        add.ExitCode.Should().Be(0, add.Error);
        await cluster.StartNodeAsync(3);
        (await WaitForRolesAsync(endpoints, [("n1", "voter"), ("n2", "voter"), ("n3", "voter"), ("n4", "voter")])).Should().BeTrue("n4 is promoted once caught up");

        var replace = await CliRun.RunAsync("--endpoints", endpoints, "member", "replace", "n3", "n5",
            "--peer-url", cluster.PeerUrlOf(4), "--client-url", cluster.Settings[4].AdvertiseClientUrl);
        replace.ExitCode.Should().Be(0, replace.Error);
        replace.Out.Should().StartWith("removed n3\nadded n5 as a learner in place of n3");
        await cluster.StopNodeAsync(2);
        await cluster.StartNodeAsync(4);
        (await WaitForRolesAsync(endpoints, [("n1", "voter"), ("n2", "voter"), ("n4", "voter"), ("n5", "voter")])).Should().BeTrue("n5 is promoted once caught up");

        var read = await CliRun.RunAsync("--endpoints", cluster.Settings[4].AdvertiseClientUrl, "get", "before", "--serializable");
        read.Out.Trim().Should().Be("yes", "n5 caught up on what was written before it joined");
    }

    // rkvctl member list until it shows exactly these members and roles (a minute at most).
    private static async Task<bool> WaitForRolesAsync(string endpoints, List<(string Id, string Role)> expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var list = await CliRun.RunAsync("--endpoints", endpoints, "-o", "json", "member", "list");
            if (list.ExitCode == 0 && Roles(list.Out).SequenceEqual(expected))
            {
                return true;
            }

            await Task.Delay(200);
        }

        return false;
    }

    private static string Endpoints(TestCluster cluster) => string.Join(',', cluster.Settings.Select(s => s.AdvertiseClientUrl));

    private static List<(string Id, string Role)> Roles(string json) =>
        [.. JsonDocument.Parse(json).RootElement.GetProperty("members").EnumerateArray()
            .Select(m => (m.GetProperty("id").GetString()!, m.GetProperty("role").GetString()!))];
}
