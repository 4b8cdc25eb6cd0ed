using Grpc.Core;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Testing.Clusters;

namespace ReplicatedKv.Client.Tests;

/// <summary>
/// AddMemberAsync / PromoteMemberAsync / RemoveMemberAsync (and TransferLeaderAsync, which shares the way to the
/// leader) against scripted Cluster services: the leader is followed when the node asked no longer leads, a refusal
/// from the leader stands, and each failure comes out as its own exception.
/// </summary>
public sealed class MembershipClientTests
{
    private static KvClient ClientOf(params ScriptedClusterNode[] nodes) => new(new KvClientOptions
    {
        Endpoints = nodes.Select(n => n.Url).ToArray(),
        DefaultTimeout = TimeSpan.FromSeconds(10),
    });

    private static StatusResponse Follower(ScriptedClusterNode leader) =>
        new() { NodeId = "follower", Role = NodeRole.Follower, LeaderId = "n2", LeaderClientUrl = leader.Url.ToString() };

    [Fact]
    public async Task Add_member_sends_the_request_to_the_leader_and_returns_the_new_configuration()
    {
        await using var leader = await ScriptedClusterNode.StartAsync();
        var configuration = ScriptedClusterNode.Configuration(7, ("n1", MemberRole.Voter), ("n4", MemberRole.Learner));
        leader.Change = (_, _) => Task.FromResult(configuration);
        await using var client = ClientOf(leader);

        var answer = await client.AddMemberAsync("n4", new Uri("http://10.0.0.4:7101"), new Uri("http://10.0.0.4:7001"), learner: true);

        answer.Should().Be(configuration);
        leader.Requests.Should().ContainSingle().Which.Should().Be(new AddMemberRequest
        {
            NodeId = "n4", PeerUrl = "http://10.0.0.4:7101", ClientUrl = "http://10.0.0.4:7001", Learner = true,
        });
    }

    [Fact]
    public async Task A_node_that_no_longer_leads_and_names_the_leader_in_its_headers_is_followed_there()
    {
        await using var stale = await ScriptedClusterNode.StartAsync();
        await using var leader = await ScriptedClusterNode.StartAsync();
        // The stale node still says it leads when asked for its status, then refuses the change and names n2.
        stale.NamedLeader = leader.Url;
        stale.Change = ScriptedClusterNode.Refuse(StatusCode.FailedPrecondition, "this node is not the leader (n2): send the change to the leader");
        leader.Change = (_, _) => Task.FromResult(ScriptedClusterNode.Configuration(9, ("n1", MemberRole.Voter)));
        await using var client = ClientOf(stale);

        var answer = await client.RemoveMemberAsync("n3");

        answer.ConfigurationSlot.Should().Be(9);
        stale.ChangeCalls.Should().Be(1);
        leader.Requests.Should().ContainSingle().Which.Should().Be(new RemoveMemberRequest { NodeId = "n3" });
    }

    [Fact]
    public async Task Without_a_header_a_fresh_look_at_the_endpoints_finds_the_new_leader()
    {
        await using var stale = await ScriptedClusterNode.StartAsync();
        await using var leader = await ScriptedClusterNode.StartAsync();
        var refused = false;
        stale.Status = () => Volatile.Read(ref refused) ? Follower(leader) : new StatusResponse { NodeId = "n1", Role = NodeRole.Leader };
        stale.Change = (_, _) =>
        {
            Volatile.Write(ref refused, true);
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "this node is not the leader"));
        };
        leader.Change = (_, _) => Task.FromResult(ScriptedClusterNode.Configuration(4, ("n1", MemberRole.Voter), ("n4", MemberRole.Voter)));
        await using var client = ClientOf(stale);

        var answer = await client.PromoteMemberAsync("n4");

        answer.Members.Select(m => m.NodeId).Should().Equal("n1", "n4");
        leader.ChangeCalls.Should().Be(1);
    }

    [Fact]
    public async Task A_leader_that_removed_itself_is_not_asked()
    {
        await using var removed = await ScriptedClusterNode.StartAsync();
        await using var leader = await ScriptedClusterNode.StartAsync();
        removed.Status = () => new StatusResponse { NodeId = "n3", Role = NodeRole.Leader, MemberRole = MemberRole.None };
        leader.Change = (_, _) => Task.FromResult(ScriptedClusterNode.Configuration(31, ("n1", MemberRole.Voter), ("n2", MemberRole.Voter)));
        await using var client = ClientOf(removed, leader);

        var answer = await client.AddMemberAsync("n5", new Uri("http://n5:7101"), new Uri("http://n5:7001"));

        answer.ConfigurationSlot.Should().Be(31);
        removed.ChangeCalls.Should().Be(0);
    }

    [Fact]
    public async Task A_refusal_from_the_node_that_still_leads_is_a_member_change_refused_with_its_reason_and_is_not_retried()
    {
        await using var leader = await ScriptedClusterNode.StartAsync();
        leader.Change = ScriptedClusterNode.Refuse(StatusCode.FailedPrecondition, "another membership change is pending (slot 12)");
        await using var client = ClientOf(leader);

        var add = () => client.AddMemberAsync("n5", new Uri("http://n5:7101"), new Uri("http://n5:7001"));

        (await add.Should().ThrowAsync<MemberChangeRefusedException>()).Which.Message.Should().Contain("another membership change is pending (slot 12)");
        leader.ChangeCalls.Should().Be(1);
    }

    [Fact]
    public async Task Two_nodes_naming_each_other_end_in_the_refusal_after_a_few_hops_instead_of_bouncing_forever()
    {
        await using var a = await ScriptedClusterNode.StartAsync();
        await using var b = await ScriptedClusterNode.StartAsync();
        a.NamedLeader = b.Url;
        b.NamedLeader = a.Url;
        a.Change = b.Change = ScriptedClusterNode.Refuse(StatusCode.FailedPrecondition, "this node is not the leader");
        await using var client = ClientOf(a);

        var remove = () => client.RemoveMemberAsync("n2");

        await remove.Should().ThrowAsync<MemberChangeRefusedException>();
        (a.ChangeCalls + b.ChangeCalls).Should().Be(4, "the first ask and three hops");
    }

    [Fact]
    public async Task An_unknown_member_is_member_not_found_and_an_existing_one_member_exists()
    {
        await using var leader = await ScriptedClusterNode.StartAsync();
        await using var client = ClientOf(leader);

        leader.Change = ScriptedClusterNode.Refuse(StatusCode.NotFound, "'n9' is not a member (n1, n2, n3)");
        var promote = () => client.PromoteMemberAsync("n9");
        var missing = (await promote.Should().ThrowAsync<MemberNotFoundException>()).Which;
        missing.NodeId.Should().Be("n9");
        missing.Message.Should().Contain("'n9' is not a member");

        leader.Change = ScriptedClusterNode.Refuse(StatusCode.AlreadyExists, "'n2' is a member already");
        var add = () => client.AddMemberAsync("n2", new Uri("http://n2:7101"), new Uri("http://n2:7001"));
        (await add.Should().ThrowAsync<MemberExistsException>()).Which.NodeId.Should().Be("n2");

        leader.Change = ScriptedClusterNode.Refuse(StatusCode.InvalidArgument, "node id 'n 4' has a character other than letters, digits, '-' and '_'");
        var bad = () => client.AddMemberAsync("n 4", new Uri("http://n4:7101"), new Uri("http://n4:7001"));
        (await bad.Should().ThrowAsync<KvException>()).Which.StatusCode.Should().Be(StatusCode.InvalidArgument);
    }

    [Fact]
    public async Task A_change_the_leader_took_but_never_answered_is_outcome_unknown_not_unavailable()
    {
        await using var leader = await ScriptedClusterNode.StartAsync();
        leader.Change = async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        };
        await using var client = ClientOf(leader);

        var add = () => client.AddMemberAsync("n4", new Uri("http://n4:7101"), new Uri("http://n4:7001"), timeout: TimeSpan.FromMilliseconds(500));

        (await add.Should().ThrowAsync<WriteOutcomeUnknownException>()).Which.Message.Should().Contain("may or may not be applied");
    }

    [Fact]
    public async Task With_no_endpoint_answering_a_change_is_cluster_unavailable()
    {
        await using var client = new KvClient(new KvClientOptions
        {
            Endpoints = [new Uri($"http://127.0.0.1:{Testing.Ports.FreePorts.Pick(1)[0]}")],
            DialTimeout = TimeSpan.FromMilliseconds(300),
        });

        var remove = () => client.RemoveMemberAsync("n2", timeout: TimeSpan.FromSeconds(1));

        await remove.Should().ThrowAsync<ClusterUnavailableException>();
    }

    [Fact]
    public async Task Leader_transfer_follows_the_leader_a_refusing_node_names_as_the_membership_calls_do()
    {
        await using var stale = await ScriptedClusterNode.StartAsync();
        await using var leader = await ScriptedClusterNode.StartAsync();
        stale.NamedLeader = leader.Url;
        stale.Change = ScriptedClusterNode.Refuse(StatusCode.FailedPrecondition, "this node is not the leader");
        leader.Change = (_, _) => Task.FromResult(ScriptedClusterNode.Configuration(0, ("n3", MemberRole.Voter)));
        await using var client = ClientOf(stale);

        var answer = await client.TransferLeaderAsync("n3");

        answer.LeaderId.Should().Be("n3");
        leader.Requests.Should().ContainSingle().Which.Should().Be(new TransferLeaderRequest { ToNodeId = "n3" });
    }
}
