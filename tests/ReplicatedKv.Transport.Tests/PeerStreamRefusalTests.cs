using Grpc.Core;
using ReplicatedKv.Testing.Transport;
using ReplicatedKv.Transport.Authentication;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Transport.Tests;

/// <summary>
/// Streams opened by hand against real peer services: what does not prove a member is refused, counted, and
/// delivers nothing; a refusal never tells the stranger this cluster's id.
/// </summary>
public sealed class PeerStreamRefusalTests
{
    private static readonly PeerSecret Secret = PeerSecret.FromText("refusal tests' secret");

    [Fact]
    public async Task With_a_secret_a_stream_without_it_is_refused_counted_and_delivers_nothing()
    {
        await using var cluster = await GrpcPeerCluster.CreateAsync(3, Secret);

        var error = await SendAsync(cluster, to: 2, headers: [], Batch(cluster.ClusterId, "n1"));

        error.Should().NotBeNull();
        error!.StatusCode.Should().Be(StatusCode.Unauthenticated);
        error.Status.Detail.Should().NotContain(cluster.ClusterId);
        cluster.Inbox(2).Refusals.Should().Equal(PeerRefusals.Unauthenticated);
        cluster.Inbox(2).HasId(7).Should().BeFalse();
    }

    [Fact]
    public async Task With_a_secret_a_batch_naming_another_sender_than_the_authenticated_one_is_refused()
    {
        await using var cluster = await GrpcPeerCluster.CreateAsync(3, Secret);
        var n1 = new SharedSecretAuthenticator(ClusterMembers.Parse(cluster.ClusterId, "n1", PeersOf(cluster)), Secret, TimeProvider.System);

        // Authenticated as n1, claiming to be n3.
        var error = await SendAsync(cluster, to: 2, n1.HeadersFor(2), Batch(cluster.ClusterId, "n3"));

        error.Should().NotBeNull();
        error!.StatusCode.Should().Be(StatusCode.PermissionDenied);
        cluster.Inbox(2).Refusals.Should().Equal(PeerRefusals.WrongSender);
        cluster.Inbox(2).HasId(7).Should().BeFalse();
    }

    [Fact]
    public async Task With_a_secret_a_batch_naming_its_authenticated_sender_is_delivered_from_that_member()
    {
        await using var cluster = await GrpcPeerCluster.CreateAsync(3, Secret);
        var n3 = new SharedSecretAuthenticator(ClusterMembers.Parse(cluster.ClusterId, "n3", PeersOf(cluster)), Secret, TimeProvider.System);

        var error = await SendAsync(cluster, to: 2, n3.HeadersFor(2), Batch(cluster.ClusterId, "n3"));

        error.Should().BeNull();
        cluster.Inbox(2).IdsFrom(3).Should().Equal(7);
        cluster.Inbox(2).Refusals.Should().BeEmpty();
    }

    [Fact]
    public async Task Without_a_secret_a_wrong_cluster_id_is_refused_without_echoing_ours()
    {
        await using var cluster = await GrpcPeerCluster.CreateAsync(3);

        var error = await SendAsync(cluster, to: 2, headers: [], Batch("a-guess", "n1"));

        error.Should().NotBeNull();
        error!.StatusCode.Should().Be(StatusCode.PermissionDenied);
        error.Status.Detail.Should().Be("not this cluster");
        cluster.Inbox(2).Refusals.Should().Equal(PeerRefusals.Unauthenticated);
        cluster.Inbox(2).HasId(7).Should().BeFalse();
    }

    private static string PeersOf(GrpcPeerCluster cluster) =>
        string.Join(',', Enumerable.Range(1, cluster.Size).Select(id => $"{cluster.NameOf(id)}={cluster.PeerUrlOf(id)}"));

    private static Wire.PeerBatch Batch(string clusterId, string from)
    {
        var batch = new Wire.PeerBatch { ClusterId = clusterId, From = from, SentUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        var probe = RecordingInbox.Probe(7);
        probe.To = 2;
        batch.Messages.Add(probe);
        return batch;
    }

    private static Task<RpcException?> SendAsync(GrpcPeerCluster cluster, int to, Metadata headers, Wire.PeerBatch batch) =>
        PeerStreamProbe.SendAsync(cluster.PeerUrlOf(to), headers, batch);
}
