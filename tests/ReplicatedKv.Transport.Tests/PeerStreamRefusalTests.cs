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

    [Fact]
    public async Task A_batch_sent_past_half_the_message_age_is_dropped_and_one_late_by_seconds_within_it_is_delivered()
    {
        // This cluster's max-message-age is a minute: a batch may be up to 30 s old on arrival.
        await using var cluster = await GrpcPeerCluster.CreateAsync(3);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var late = Batch(cluster.ClusterId, "n1", id: 8, sentUnixMs: now - 5_000);
        var stale = Batch(cluster.ClusterId, "n1", id: 9, sentUnixMs: now - 31_000);
        (await SendAsync(cluster, to: 2, headers: [], late)).Should().BeNull();
        (await SendAsync(cluster, to: 2, headers: [], stale)).Should().BeNull("a stale batch is dropped as a lossy network would, not refused");

        cluster.Inbox(2).IdsFrom(1).Should().Equal(new long[] { 8 }, "5 s late is a loaded machine, not a lost message; 31 s is past the bound");
    }

    [Fact]
    public void The_default_message_age_is_far_above_scheduling_delays()
    {
        new PeerLinkOptions().MaxMessageAge.Should().Be(TimeSpan.FromSeconds(10), "only the probe path relies on it");
    }

    private static string PeersOf(GrpcPeerCluster cluster) =>
        string.Join(',', Enumerable.Range(1, cluster.Size).Select(id => $"{cluster.NameOf(id)}={cluster.PeerUrlOf(id)}"));

    private static Wire.PeerBatch Batch(string clusterId, string from, long id = 7, long? sentUnixMs = null)
    {
        var batch = new Wire.PeerBatch { ClusterId = clusterId, From = from, SentUnixMs = sentUnixMs ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        var probe = RecordingInbox.Probe(id);
        probe.To = 2;
        batch.Messages.Add(probe);
        return batch;
    }

    private static Task<RpcException?> SendAsync(GrpcPeerCluster cluster, int to, Metadata headers, Wire.PeerBatch batch) =>
        PeerStreamProbe.SendAsync(cluster.PeerUrlOf(to), headers, batch);
}
