using Grpc.Core;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Tests;

/// <summary>Cluster.TransferLeader over real gRPC: the leader hands over to the named voter, and says why when it cannot.</summary>
public sealed class LeaderTransferTests
{
    [Fact]
    public async Task The_leader_hands_leadership_to_the_named_follower_and_writes_go_on()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await cluster.Client(leader).SetAsync(new SetRequest { Key = "before", Value = Google.Protobuf.ByteString.CopyFromUtf8("1") }, TestCluster.Deadline());
        var target = (leader + 1) % 3;
        var targetName = cluster.Settings[target].NodeId;

        var answer = await cluster.Ops(leader).TransferLeaderAsync(new TransferLeaderRequest { ToNodeId = targetName }, TestCluster.Deadline(20));

        answer.LeaderId.Should().Be(targetName);
        answer.LeaderClientUrl.Should().Be(cluster.Settings[target].AdvertiseClientUrl);
        (await cluster.StatusAsync(target)).Role.Should().Be(NodeRole.Leader);
        (await cluster.StatusAsync(leader)).Role.Should().NotBe(NodeRole.Leader);
        await cluster.Client(target).SetAsync(new SetRequest { Key = "after", Value = Google.Protobuf.ByteString.CopyFromUtf8("2") }, TestCluster.Deadline());
        var read = await cluster.Client(target).GetAsync(new GetRequest { Key = "before" }, TestCluster.Deadline());
        read.Value.ToStringUtf8().Should().Be("1", "the new leader holds every write the old one decided");
    }

    [Fact]
    public async Task A_follower_refuses_with_failed_precondition_and_the_reason()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = (leader + 1) % 3;

        var call = async () => await cluster.Ops(follower).TransferLeaderAsync(
            new TransferLeaderRequest { ToNodeId = cluster.Settings[(leader + 2) % 3].NodeId }, TestCluster.Deadline());

        var error = (await call.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(StatusCode.FailedPrecondition);
        error.Status.Detail.Should().Contain("not the leader");
    }

    [Theory]
    [InlineData("", StatusCode.InvalidArgument)]
    [InlineData("n9", StatusCode.FailedPrecondition)]
    public async Task A_missing_or_unknown_target_is_refused(string target, StatusCode expected)
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();

        var call = async () => await cluster.Ops(leader).TransferLeaderAsync(new TransferLeaderRequest { ToNodeId = target }, TestCluster.Deadline());

        (await call.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(expected);
        (await cluster.StatusAsync(leader)).Role.Should().Be(NodeRole.Leader, "a refused transfer leaves the leader in place");
    }
}
