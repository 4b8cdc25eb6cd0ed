using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Tests;

public sealed class OperationsApiTests
{
    [Fact]
    public async Task Status_reports_roles_slots_and_peers_and_reflection_lists_the_services()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();
        await cluster.Client(0).SetAsync("a", "1");
        await cluster.WaitConvergedAsync();

        // The leader learns how far each follower got from their next heartbeat answers: wait for those.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var status = await cluster.StatusAsync(leader);
        while (status.Peers.Any(p => p.Lag != 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            status = await cluster.StatusAsync(leader);
        }

        status.NodeId.Should().Be(cluster.Settings[leader].NodeId);
        status.Role.Should().Be(NodeRole.Leader);
        status.LeaderId.Should().Be(status.NodeId);
        status.LeaderClientUrl.Should().Be(cluster.Settings[leader].AdvertiseClientUrl);
        status.DecidedSlot.Should().BeGreaterThan(0);
        status.AppliedSlot.Should().Be(status.DecidedSlot);
        status.KeyCount.Should().Be(1);
        status.Peers.Should().HaveCount(2).And.OnlyContain(p => p.Reachable && p.Lag == 0 && p.ClientUrl.Length > 0);
        status.Version.Should().MatchRegex(@"^\d+\.\d+\.\d+", "the build's version from git tags (MinVer)");
        status.Peers.Should().OnlyContain(p => p.Version == status.Version, "each member announces its version on its peer stream");

        var follower = await cluster.StatusAsync((leader + 1) % 3);
        follower.Role.Should().Be(NodeRole.Follower);
        follower.LeaderId.Should().Be(status.NodeId);

        using var channel = GrpcChannel.ForAddress(cluster.Settings[0].AdvertiseClientUrl);
        using var reflection = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(TestCluster.Deadline());
        await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await reflection.RequestStream.CompleteAsync();
        (await reflection.ResponseStream.MoveNext(CancellationToken.None)).Should().BeTrue();
        reflection.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name)
            .Should().Contain(["replicatedkv.v1.KeyValue", "replicatedkv.v1.Cluster", "grpc.health.v1.Health"]);
    }

    [Fact]
    public async Task Past_the_pending_request_limit_a_node_answers_resource_exhausted()
    {
        await using var cluster = await TestCluster.StartAsync(3, s => s with { MaxPendingRequests = 4, RequestTimeout = TimeSpan.FromSeconds(3) }, inMemoryPeers: true);
        var leader = await cluster.WaitForLeaderAsync();
        cluster.Network.Isolate(cluster.MemberId(leader));

        // Four writes wait for a quorum that cannot answer; the fifth finds the node full.
        var client = cluster.Client(leader);
        var waiting = Enumerable.Range(0, 4).Select(i =>
            client.SetAsync(new SetRequest { Key = $"w{i}", Value = ByteString.Empty }, TestCluster.Deadline()).ResponseAsync).ToArray();
        while (cluster.Host(leader).Node.PendingRequests < 4)
        {
            await Task.Delay(10);
        }

        var fifth = async () => await client.SetAsync(new SetRequest { Key = "w5", Value = ByteString.Empty }, TestCluster.Deadline());
        var error = (await fifth.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(StatusCode.ResourceExhausted);
        error.Status.Detail.Should().Contain("max-pending-requests");

        foreach (var write in waiting)
        {
            var outcome = async () => await write;
            (await outcome.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unavailable);
        }
    }
}
