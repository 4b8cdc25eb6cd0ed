using Grpc.Core;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Hosting;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// Cluster.AddMember / PromoteMember / RemoveMember on in-process clusters: a new node joins through
/// --initial-cluster-state existing, catches up as a learner and is promoted; followers and the leader are removed;
/// and each refusal comes with the status code cluster.proto names.
/// </summary>
public sealed class MembershipChangeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_joining_node_waits_until_added_then_catches_up_is_promoted_and_serves_writes()
    {
        await using var cluster = await TestCluster.StartAsync(3, spares: 1);
        var leader = await cluster.WaitForLeaderAsync();
        for (var i = 0; i < 20; i++)
        {
            await cluster.Client(leader).SetAsync($"before-{i}", $"{i}");
        }

        // Started first: it asks the members, none lists n4, so it waits (its start does not finish).
        var joining = cluster.StartNodeAsync(3);
        await Task.Delay(TimeSpan.FromSeconds(2));
        joining.IsCompleted.Should().BeFalse("n4 is in no member's configuration yet, so it must wait to be added");

        var added = await AddAsync(cluster, leader, 3, learner: false);
        added.Members.Should().ContainSingle(m => m.NodeId == "n4").Which.Role.Should().Be(MemberRole.Learner, "a new member starts as a learner");
        added.ConfigurationEffectiveSlot.Should().BeGreaterThan(added.ConfigurationSlot);
        await joining.WaitAsync(Patience);

        // Added without --learner: the leader promotes it once it has caught up.
        await EventuallyAsync(async () => (await cluster.StatusAsync(leader)).Peers.Any(p => p.NodeId == "n4" && p.MemberRole == MemberRole.Voter),
            "the leader promotes n4 to voter");
        await EventuallyAsync(async () => (await cluster.StatusAsync(3)).ConfigurationSlot > 0 && (await cluster.StatusAsync(3)).MemberRole == MemberRole.Voter,
            "n4 learns its promotion");
        var status = await cluster.StatusAsync(leader);
        status.Peers.Single(p => p.NodeId == "n4").PeerUrl.Should().Be(cluster.PeerUrlOf(3));

        (await cluster.Client(3).GetAsync("before-7")).Should().Be("7", "the new member caught up on what was written before it joined");
        await cluster.Client(3).SetAsync("through-n4", "yes");
        (await cluster.Client(leader).GetAsync("through-n4")).Should().Be("yes");
        (await cluster.StatusAsync(3)).Peers.Select(p => p.NodeId).Should().BeEquivalentTo(["n1", "n2", "n3"], "n4 learned every member's name and URL");
    }

    [Fact]
    public async Task A_restart_keeps_the_membership_added_at_runtime_whatever_the_peers_flag_says()
    {
        await using var cluster = await TestCluster.StartAsync(3, spares: 1);
        var leader = await cluster.WaitForLeaderAsync();
        var joining = cluster.StartNodeAsync(3);
        await AddAsync(cluster, leader, 3, learner: true);
        await joining.WaitAsync(Patience);
        await cluster.Client(leader).SetAsync("k", "v");
        await EventuallyAsync(async () => (await cluster.StatusAsync(3)).AppliedSlot >= (await cluster.StatusAsync(leader)).AppliedSlot, "n4 caught up");

        // n1's --peers still lists only the bootstrap members; n4 restarts with its own flags and no join.
        var follower = leader == 0 ? 1 : 0;
        await cluster.StopNodeAsync(follower);
        await cluster.StopNodeAsync(3);
        await cluster.StartNodeAsync(follower);
        await cluster.StartNodeAsync(3).WaitAsync(Patience);

        var afterRestart = await cluster.StatusAsync(follower);
        afterRestart.Peers.Should().Contain(p => p.NodeId == "n4" && p.MemberRole == MemberRole.Learner, "the configuration comes from the log, not --peers");
        (await cluster.StatusAsync(3)).MemberRole.Should().Be(MemberRole.Learner);
        (await cluster.Client(3).GetAsync("k", ReadConsistency.Serializable)).Should().Be("v");
    }

    [Fact]
    public async Task Removing_a_follower_closes_its_links_refuses_its_streams_and_stops_it_serving_writes()
    {
        await using var cluster = await TestCluster.StartAsync(3, withAdminPorts: true, peerSecret: "membership-test-secret");
        var leader = await cluster.WaitForLeaderAsync();
        var removed = (leader + 1) % 3;
        var remaining = (leader + 2) % 3;
        var removedName = cluster.Settings[removed].NodeId;
        var removedId = cluster.MemberId(removed);

        var answer = await cluster.Ops(leader).RemoveMemberAsync(new RemoveMemberRequest { NodeId = removedName }, TestCluster.Deadline(20));

        answer.Members.Select(m => m.NodeId).Should().NotContain(removedName).And.HaveCount(2);
        await EventuallyAsync(() => Task.FromResult(!cluster.Host(leader).Node.Members.Contains(removedId)), "the leader's member view drops the removed node");
        await EventuallyAsync(async () => (await cluster.StatusAsync(remaining)).Peers.All(p => p.NodeId != removedName), "the other member's view drops it");
        await EventuallyAsync(async () => (await cluster.StatusAsync(removed)).MemberRole == MemberRole.None, "the removed node learns it was removed");

        // Its streams to the remaining members are refused now that they no longer count it a member.
        await PrometheusScrape.FetchUntilAsync(cluster.AdminUrl(leader), s => s.Value("rkv_peer_rejected_total", "reason=\"unauthenticated\"") > 0);
        (await PrometheusScrape.FetchAsync(cluster.AdminUrl(leader))).Value("rkv_peer_rejected_total", "reason=\"unauthenticated\"").Should().BeGreaterThan(0);

        var write = async () => await cluster.Client(removed).SetAsync(new SetRequest { Key = "x", Value = Google.Protobuf.ByteString.CopyFromUtf8("1") }, TestCluster.Deadline());
        var refused = (await write.Should().ThrowAsync<RpcException>()).Which;
        refused.StatusCode.Should().Be(StatusCode.Unavailable);
        refused.Status.Detail.Should().Contain("removed");

        await cluster.Client(leader).SetAsync("after-removal", "ok");
        (await cluster.Client(remaining).GetAsync("after-removal")).Should().Be("ok", "two voters of two run the cluster on");
    }

    [Fact]
    public async Task Removing_the_leader_leaves_a_remaining_voter_leading_and_writes_go_on()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await cluster.Client(leader).SetAsync("before", "1");
        var leaderName = cluster.Settings[leader].NodeId;

        await cluster.Ops(leader).RemoveMemberAsync(new RemoveMemberRequest { NodeId = leaderName }, TestCluster.Deadline(20));

        var others = Enumerable.Range(0, 3).Where(n => n != leader).ToArray();
        string? newLeader = null;
        await EventuallyAsync(async () =>
        {
            var status = await cluster.StatusAsync(others[0]);
            newLeader = status.LeaderId;
            return status.LeaderId is { Length: > 0 } l && l != leaderName && (await cluster.StatusAsync(others[1])).LeaderId == l;
        }, "a remaining voter leads");
        var next = Array.FindIndex(cluster.Settings, s => s.NodeId == newLeader);
        await cluster.Client(next).SetAsync("after", "2");
        (await cluster.Client(others.Single(n => n != next)).GetAsync("before")).Should().Be("1");
        await EventuallyAsync(async () => (await cluster.StatusAsync(leader)).MemberRole == MemberRole.None, "the removed leader knows it was removed");
        (await cluster.StatusAsync(next)).Peers.Select(p => p.NodeId).Should().NotContain(leaderName);
    }

    [Fact]
    public async Task Refusals_carry_the_codes_the_proto_names()
    {
        await using var cluster = await TestCluster.StartAsync(3, spares: 1);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = (leader + 1) % 3;
        var ops = cluster.Ops(leader);

        await ExpectAsync(ops.AddMemberAsync(new AddMemberRequest { NodeId = "n2", PeerUrl = cluster.PeerUrlOf(3) }, TestCluster.Deadline()), StatusCode.AlreadyExists);
        await ExpectAsync(ops.RemoveMemberAsync(new RemoveMemberRequest { NodeId = "n9" }, TestCluster.Deadline()), StatusCode.NotFound);
        await ExpectAsync(ops.PromoteMemberAsync(new PromoteMemberRequest { NodeId = "n9" }, TestCluster.Deadline()), StatusCode.NotFound);
        await ExpectAsync(ops.AddMemberAsync(new AddMemberRequest { NodeId = "n4", PeerUrl = "not a url" }, TestCluster.Deadline()), StatusCode.InvalidArgument);
        await ExpectAsync(ops.AddMemberAsync(new AddMemberRequest { NodeId = "bad name!", PeerUrl = cluster.PeerUrlOf(3) }, TestCluster.Deadline()), StatusCode.InvalidArgument);
        var atFollower = await ExpectAsync(cluster.Ops(follower).AddMemberAsync(new AddMemberRequest { NodeId = "n4", PeerUrl = cluster.PeerUrlOf(3) }, TestCluster.Deadline()),
            StatusCode.FailedPrecondition);
        atFollower.Status.Detail.Should().Contain("not the leader").And.Contain(cluster.Settings[leader].NodeId);

        // n4 is added as a learner but never started: it has reported no progress, so its lag is unknown and too high.
        await AddAsync(cluster, leader, 3, learner: true);
        var promote = await ExpectAsync(ops.PromoteMemberAsync(new PromoteMemberRequest { NodeId = "n4" }, TestCluster.Deadline()), StatusCode.FailedPrecondition);
        promote.Status.Detail.Should().Contain("lag").And.StartWith("n4 ", "the refusal names the member as the operator does");

        // Two changes at once: the second is refused while the first is pending.
        var first = ops.RemoveMemberAsync(new RemoveMemberRequest { NodeId = "n4" }, TestCluster.Deadline(20)).ResponseAsync;
        var second = ops.AddMemberAsync(new AddMemberRequest { NodeId = "n5", PeerUrl = "http://127.0.0.1:1" }, TestCluster.Deadline(20)).ResponseAsync;
        (await first).Members.Select(m => m.NodeId).Should().NotContain("n4");
        var concurrent = await ExpectAsync(second, StatusCode.FailedPrecondition);
        concurrent.Status.Detail.Should().Contain("pending");

        await cluster.Client(leader).SetAsync("still-writable", "yes");
    }

    [Fact]
    public async Task A_data_directory_from_before_the_member_file_still_starts_and_one_from_another_cluster_refuses()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await cluster.Client(leader).SetAsync("k", "v");
        var node = (leader + 1) % 3;
        await cluster.StopNodeAsync(node);
        var memberFile = Path.Combine(cluster.Settings[node].DataDir, "members");
        File.Exists(memberFile).Should().BeTrue("a node records who it is at its first start");

        // As an older data directory has it: no member file; --peers describes the cluster, as it always did.
        File.Delete(memberFile);
        await cluster.StartNodeAsync(node);
        (await cluster.Client(node).GetAsync("k")).Should().Be("v");
        (await cluster.StatusAsync(node)).MemberRole.Should().Be(MemberRole.Voter);
        File.Exists(memberFile).Should().BeTrue("the member file is written for the next start");

        await cluster.StopNodeAsync(node);
        var start = async () => await ServerHost.StartAsync(cluster.Settings[node] with { ClusterId = "another-cluster" });
        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("belongs to cluster");
    }

    private static Task<MemberChangeResponse> AddAsync(TestCluster cluster, int leader, int node, bool learner) =>
        cluster.Ops(leader).AddMemberAsync(new AddMemberRequest
        {
            NodeId = cluster.Settings[node].NodeId,
            PeerUrl = cluster.PeerUrlOf(node),
            ClientUrl = cluster.Settings[node].AdvertiseClientUrl,
            Learner = learner,
        }, TestCluster.Deadline(20)).ResponseAsync;

    private static async Task<RpcException> ExpectAsync<T>(AsyncUnaryCall<T> call, StatusCode code) => await ExpectAsync(call.ResponseAsync, code);

    private static async Task<RpcException> ExpectAsync<T>(Task<T> call, StatusCode code)
    {
        var act = async () => await call;
        var error = (await act.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(code, error.Status.Detail);
        return error;
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {Patience.TotalSeconds} s: {what}");
            }

            await Task.Delay(100);
        }
    }
}
