using System.Text.Json;
using Grpc.Core;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Testing.Clusters;

namespace ReplicatedKv.Cli.Tests;

/// <summary>
/// <c>rkvctl member add | promote | remove | replace</c> against a scripted leader: what each prints, the exit code
/// of each kind of failure, and a replace whose second step fails. (The same commands against real servers:
/// MembershipCommandClusterTests.)
/// </summary>
public sealed class MemberChangeCommandTests
{
    private static readonly MemberChangeResponse FourMembers = ScriptedClusterNode.Configuration(40,
        ("n1", MemberRole.Voter), ("n2", MemberRole.Voter), ("n3", MemberRole.Voter), ("n4", MemberRole.Learner));

    [Fact]
    public async Task Add_sends_the_urls_and_prints_the_new_configuration_and_how_to_start_the_new_node()
    {
        await using var leader = await ScriptedClusterNode.StartAsync();
        leader.Change = (_, _) => Task.FromResult(FourMembers);

        var run = await CliRun.RunAsync("--endpoints", leader.Url.ToString(), "member", "add", "n4",
            "--peer-url", "http://n4:7101", "--client-url", "http://n4:7001", "--learner");

        run.ExitCode.Should().Be(0, run.Error);
        leader.Requests.Should().ContainSingle().Which.Should().Be(new AddMemberRequest
        {
            NodeId = "n4", PeerUrl = "http://n4:7101", ClientUrl = "http://n4:7001", Learner = true,
        });
        var lines = run.Out.TrimEnd().Split('\n');
        lines[0].Should().Be("added n4 as a learner; promote it with 'rkvctl member promote n4' once it has caught up (configuration decided at slot 40, governs from slot 41)");
        lines[1].Should().StartWith("ID").And.Contain("ROLE");
        lines.Should().Contain(l => l.StartsWith("n4 ", StringComparison.Ordinal) && l.Contains("learner", StringComparison.Ordinal));
        lines[^1].Should().Be("start n4 with an empty data directory: rkv-server --node-id n4 "
            + "--peers n1=http://n1:7101,n2=http://n2:7101,n3=http://n3:7101,n4=http://n4:7101 "
            + "--member-client-urls n1=http://n1:7001,n2=http://n2:7001,n3=http://n3:7001,n4=http://n4:7001 --initial-cluster-state existing");
    }

    [Fact]
    public async Task A_refused_change_exits_3_with_the_leaders_reason_on_one_line()
    {
        await using var leader = await ScriptedClusterNode.StartAsync();
        leader.Change = ScriptedClusterNode.Refuse(StatusCode.FailedPrecondition, "n4 lags 5000 slots behind (promotion bound 1000)");

        var run = await CliRun.RunAsync("--endpoints", leader.Url.ToString(), "member", "promote", "n4");

        run.ExitCode.Should().Be(3);
        run.Out.Should().BeEmpty();
        run.Error.TrimEnd().Should().NotContain("\n").And.StartWith("rkvctl: member change refused: ").And.EndWith("n4 lags 5000 slots behind (promotion bound 1000)");
    }

    [Fact]
    public async Task An_unknown_member_and_an_existing_one_are_refused_changes_exit_3()
    {
        await using var leader = await ScriptedClusterNode.StartAsync();
        leader.Change = ScriptedClusterNode.Refuse(StatusCode.NotFound, "'n9' is not a member");

        var remove = await CliRun.RunAsync("--endpoints", leader.Url.ToString(), "member", "remove", "n9");

        remove.ExitCode.Should().Be(3);
        remove.Error.Should().Contain("'n9' is not a member");

        leader.Change = ScriptedClusterNode.Refuse(StatusCode.AlreadyExists, "'n2' is a member already");
        var add = await CliRun.RunAsync("--endpoints", leader.Url.ToString(), "member", "add", "n2", "--peer-url", "http://n2:7101", "--client-url", "http://n2:7001");

        add.ExitCode.Should().Be(3);
        add.Error.Should().Contain("'n2' is a member already");
    }

    [Fact]
    public async Task Remove_prints_the_configuration_as_json_when_asked()
    {
        await using var leader = await ScriptedClusterNode.StartAsync();
        leader.Change = (_, _) => Task.FromResult(ScriptedClusterNode.Configuration(12, ("n1", MemberRole.Voter), ("n2", MemberRole.Voter)));

        var run = await CliRun.RunAsync("--endpoints", leader.Url.ToString(), "-o", "json", "member", "remove", "n3");

        run.ExitCode.Should().Be(0, run.Error);
        leader.Requests.Should().ContainSingle().Which.Should().Be(new RemoveMemberRequest { NodeId = "n3" });
        var root = JsonDocument.Parse(run.Out).RootElement;
        root.GetProperty("configuration_slot").GetInt64().Should().Be(12);
        root.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("id").GetString()).Should().Equal("n1", "n2");
    }

    [Theory]
    [InlineData("member", "add", "n4", "--client-url", "http://n4:7001")]
    [InlineData("member", "add", "n4", "--peer-url", "n4:7101", "--client-url", "http://n4:7001")]
    [InlineData("member", "add", "n 4", "--peer-url", "http://n4:7101", "--client-url", "http://n4:7001")]
    [InlineData("member", "promote")]
    [InlineData("member", "replace", "n3", "n3", "--peer-url", "http://n3:7101", "--client-url", "http://n3:7001")]
    [InlineData("member", "replace", "n3", "--peer-url", "http://n4:7101", "--client-url", "http://n4:7001")]
    public async Task A_malformed_change_is_a_usage_error_and_nothing_is_sent(params string[] args)
    {
        await using var leader = await ScriptedClusterNode.StartAsync();

        var run = await CliRun.RunAsync(["--endpoints", leader.Url.ToString(), .. args]);

        run.ExitCode.Should().Be(2, run.Error);
        run.Error.TrimEnd().Should().NotContain("\n").And.StartWith("rkvctl: ");
        leader.ChangeCalls.Should().Be(0);
    }

    [Fact]
    public async Task With_no_endpoint_answering_a_change_exits_4()
    {
        var run = await CliRun.RunAsync("--endpoints", "http://127.0.0.1:1", "--dial-timeout", "200ms", "--timeout", "1s", "member", "remove", "n2");

        run.ExitCode.Should().Be(4);
        run.Error.Should().StartWith("rkvctl: cluster unavailable: ");
    }

    [Fact]
    public async Task Replace_removes_then_adds_asking_again_while_the_removal_is_still_pending()
    {
        await using var leader = await ScriptedClusterNode.StartAsync();
        var pendingRefusals = 2;
        leader.Change = (request, _) => request switch
        {
            RemoveMemberRequest => Task.FromResult(ScriptedClusterNode.Configuration(20, ("n1", MemberRole.Voter), ("n2", MemberRole.Voter))),
            AddMemberRequest when Interlocked.Decrement(ref pendingRefusals) >= 0 =>
                throw new RpcException(new Status(StatusCode.FailedPrecondition, "another membership change is pending (slot 20)")),
            _ => Task.FromResult(ScriptedClusterNode.Configuration(21, ("n1", MemberRole.Voter), ("n2", MemberRole.Voter), ("n4", MemberRole.Learner))),
        };

        var run = await CliRun.RunAsync("--endpoints", leader.Url.ToString(), "member", "replace", "n3", "n4", "--peer-url", "http://n4:7101", "--client-url", "http://n4:7001");

        run.ExitCode.Should().Be(0, run.Error);
        leader.Requests.Should().HaveCount(4);
        leader.Requests[0].Should().Be(new RemoveMemberRequest { NodeId = "n3" });
        leader.Requests.Skip(1).Should().AllBeEquivalentTo(new AddMemberRequest { NodeId = "n4", PeerUrl = "http://n4:7101", ClientUrl = "http://n4:7001" });
        run.Out.Should().StartWith("removed n3\nadded n4 as a learner in place of n3");
    }

    [Fact]
    public async Task Replace_whose_add_has_an_unknown_outcome_looks_it_up_and_is_done_when_the_leader_lists_the_new_member()
    {
        await using var leader = await ScriptedClusterNode.StartAsync();
        var added = false;
        leader.Status = () =>
        {
            var status = new StatusResponse { NodeId = "n1", Role = NodeRole.Leader, MemberRole = MemberRole.Voter, ConfigurationSlot = 30 };
            status.Peers.Add(new PeerStatus { NodeId = "n2", MemberRole = MemberRole.Voter });
            if (Volatile.Read(ref added))
            {
                status.Peers.Add(new PeerStatus { NodeId = "n4", PeerUrl = "http://n4:7101", ClientUrl = "http://n4:7001", MemberRole = MemberRole.Learner });
            }

            return status;
        };
        leader.Change = (request, _) =>
        {
            if (request is RemoveMemberRequest)
            {
                return Task.FromResult(ScriptedClusterNode.Configuration(20, ("n1", MemberRole.Voter), ("n2", MemberRole.Voter)));
            }

            // Applied, but the answer is lost: the leader says it is going away instead.
            Volatile.Write(ref added, true);
            throw new RpcException(new Status(StatusCode.Unavailable, "the node is shutting down"));
        };

        var run = await CliRun.RunAsync("--endpoints", leader.Url.ToString(), "member", "replace", "n3", "n4", "--peer-url", "http://n4:7101", "--client-url", "http://n4:7001");

        run.ExitCode.Should().Be(0, run.Error);
        leader.Requests.OfType<AddMemberRequest>().Should().ContainSingle("the add is looked up, not sent twice");
        run.Out.Should().Contain("added n4 as a learner in place of n3").And.Contain("governs from slot");
    }

    [Fact]
    public async Task Replace_whose_add_fails_after_the_removal_says_what_happened_and_how_to_finish_and_exits_3()
    {
        await using var leader = await ScriptedClusterNode.StartAsync();
        leader.Change = (request, _) => request is RemoveMemberRequest
            ? Task.FromResult(ScriptedClusterNode.Configuration(20, ("n1", MemberRole.Voter), ("n2", MemberRole.Voter), ("n4", MemberRole.Voter)))
            : throw new RpcException(new Status(StatusCode.AlreadyExists, "'n4' is a member already"));

        var run = await CliRun.RunAsync("--endpoints", leader.Url.ToString(), "member", "replace", "n3", "n4", "--peer-url", "http://n4:7101", "--client-url", "http://n4:7001");

        run.ExitCode.Should().Be(3);
        run.Out.Should().Be("removed n3\n");
        run.Error.TrimEnd().Should().NotContain("\n");
        run.Error.Should().Contain("replace half done: n3 was removed, but adding n4 failed:").And.Contain("'n4' is a member already")
            .And.Contain("finish with: rkvctl member add n4 --peer-url http://n4:7101 --client-url http://n4:7001");
        leader.Requests.Should().HaveCount(2, "a permanent refusal is not asked again");
    }

    [Fact]
    public async Task Replace_whose_removal_is_refused_changes_nothing_and_exits_3()
    {
        await using var leader = await ScriptedClusterNode.StartAsync();
        leader.Change = ScriptedClusterNode.Refuse(StatusCode.FailedPrecondition, "removing n3 would leave 1 of 2 voters reachable: too few to run");

        var run = await CliRun.RunAsync("--endpoints", leader.Url.ToString(), "member", "replace", "n3", "n4", "--peer-url", "http://n4:7101", "--client-url", "http://n4:7001");

        run.ExitCode.Should().Be(3);
        run.Out.Should().BeEmpty();
        run.Error.Should().Contain("too few to run");
        leader.Requests.Should().ContainSingle().Which.Should().BeOfType<RemoveMemberRequest>();
    }
}
