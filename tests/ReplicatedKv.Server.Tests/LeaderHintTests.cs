using Grpc.Core;
using ReplicatedKv.Protos.V1;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Tests;

/// <summary>The client URL in leader hints comes from configuration (--member-client-urls), never from what a peer's batch claims.</summary>
public sealed class LeaderHintTests
{
    [Fact]
    public async Task The_hint_names_the_configured_url_even_when_a_batch_claims_another()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var leader = await cluster.WaitForLeaderAsync();

        // Every follower hears, under the leader's name, that the leader's clients should go elsewhere.
        for (var follower = 0; follower < 3; follower++)
        {
            if (follower != leader)
            {
                var batch = new Wire.PeerBatch { ClusterId = cluster.Settings[leader].ClusterId, From = cluster.Settings[leader].NodeId, FromClientUrl = "http://attacker.invalid:6666" };
                (await RawPeerStream.SendAsync(cluster, follower, [], batch)).Should().BeNull();
            }
        }

        for (var node = 0; node < 3; node++)
        {
            var headers = await WriteHeadersAsync(cluster, node);
            headers.GetValue("rkv-leader-url").Should().Be(cluster.Settings[leader].AdvertiseClientUrl);
        }
    }

    [Fact]
    public async Task Without_configured_member_urls_followers_name_the_leader_but_no_url()
    {
        await using var cluster = await TestCluster.StartAsync(3, s => s with { MemberClientUrls = null });
        var leader = await cluster.WaitForLeaderAsync();

        var atLeader = await WriteHeadersAsync(cluster, leader);
        var atFollower = await WriteHeadersAsync(cluster, (leader + 1) % 3);

        atLeader.GetValue("rkv-leader-url").Should().Be(cluster.Settings[leader].AdvertiseClientUrl, "a node knows its own URL");
        atFollower.GetValue("rkv-leader-id").Should().Be(cluster.Settings[leader].NodeId);
        atFollower.GetValue("rkv-leader-url").Should().BeNull("no URL is configured for the leader, and none is learned from peers");
    }

    private static async Task<Metadata> WriteHeadersAsync(TestCluster cluster, int node) =>
        await TestCluster.RetryAsync(async () =>
        {
            using var call = cluster.Client(node).SetAsync(new SetRequest { Key = "h", Value = Google.Protobuf.ByteString.CopyFromUtf8("x") }, TestCluster.Deadline());
            var headers = await call.ResponseHeadersAsync;
            await call.ResponseAsync;
            return headers;
        });
}
