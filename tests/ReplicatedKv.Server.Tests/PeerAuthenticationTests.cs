using Grpc.Core;
using ReplicatedKv.Transport.Authentication;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// A cluster whose peer streams are authenticated by a shared secret: it serves as any other, and a stranger
/// without the secret (or with recorded, stale or misaddressed proof), or a member lying about who it is, is
/// refused, counted in rkv_peer_rejected_total, told nothing of the cluster id, and changes nothing.
/// </summary>
public sealed class PeerAuthenticationTests : IAsyncLifetime
{
    private const string Secret = "peer authentication tests' shared secret";
    private const string ClusterId = "auth-test-cluster-5c1e";

    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(3, s => s with { ClusterId = ClusterId }, withAdminPorts: true, peerSecret: Secret);
        await TestCluster.RetryAsync(() => _cluster.Client(0).SetAsync("keep", "me"));
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_cluster_with_the_secret_serves_writes_through_every_node()
    {
        for (var node = 0; node < 3; node++)
        {
            await TestCluster.RetryAsync(() => _cluster.Client(node).SetAsync($"k{node}", $"through {node}"));
        }

        await _cluster.WaitConvergedAsync();
        for (var node = 0; node < 3; node++)
        {
            (await _cluster.Client((node + 1) % 3).GetAsync($"k{node}", Protos.V1.ReadConsistency.Serializable)).Should().Be($"through {node}");
        }
    }

    public enum Stranger
    {
        NoHeaders,
        WrongSecret,
        ReplayedHeaders,
        StaleTimestamp,
        HeadersForAnotherNode,
    }

    [Theory]
    [InlineData(Stranger.NoHeaders)]
    [InlineData(Stranger.WrongSecret)]
    [InlineData(Stranger.ReplayedHeaders)]
    [InlineData(Stranger.StaleTimestamp)]
    [InlineData(Stranger.HeadersForAnotherNode)]
    public async Task A_stranger_is_refused_counted_told_nothing_and_changes_nothing(Stranger stranger)
    {
        var leader = await _cluster.WaitForLeaderAsync();
        var target = (leader + 1) % 3;
        var posingAs = leader;
        var hashBefore = await _cluster.WaitConvergedAsync();
        var before = await Rejected(target, PeerRefusals.Unauthenticated);

        var error = await RawPeerStream.SendAsync(_cluster, target, await HeadersAsync(stranger, posingAs, target),
            RawPeerStream.Batch(_cluster, posingAs, RawPeerStream.DisruptivePrepare(_cluster, posingAs, target)));

        error.Should().NotBeNull("the stream is refused");
        error!.StatusCode.Should().Be(StatusCode.Unauthenticated);
        error.Status.Detail.Should().NotContain(ClusterId);
        (await PrometheusScrape.FetchUntilAsync(_cluster.AdminUrl(target), s => s.Value("rkv_peer_rejected_total", Label(PeerRefusals.Unauthenticated)) > before))
            .Value("rkv_peer_rejected_total", Label(PeerRefusals.Unauthenticated)).Should().Be(before + 1);
        await NothingChanged(target, hashBefore);
    }

    [Fact]
    public async Task A_member_whose_batch_names_another_member_is_refused_and_counted()
    {
        var leader = await _cluster.WaitForLeaderAsync();
        var target = (leader + 1) % 3;
        var liar = (leader + 2) % 3;
        var hashBefore = await _cluster.WaitConvergedAsync();
        var before = await Rejected(target, PeerRefusals.WrongSender);

        // Proves it is `liar`, then sends a batch under the leader's name.
        var headers = RawPeerStream.Impersonate(_cluster, liar, Secret).HeadersFor(_cluster.MemberId(target));
        var error = await RawPeerStream.SendAsync(_cluster, target, headers,
            RawPeerStream.Batch(_cluster, leader, RawPeerStream.DisruptivePrepare(_cluster, leader, target)));

        error.Should().NotBeNull();
        error!.StatusCode.Should().Be(StatusCode.PermissionDenied);
        (await PrometheusScrape.FetchUntilAsync(_cluster.AdminUrl(target), s => s.Value("rkv_peer_rejected_total", Label(PeerRefusals.WrongSender)) > before))
            .Value("rkv_peer_rejected_total", Label(PeerRefusals.WrongSender)).Should().Be(before + 1);
        await NothingChanged(target, hashBefore);
    }

    private async Task<Metadata> HeadersAsync(Stranger stranger, int posingAs, int target)
    {
        var targetId = _cluster.MemberId(target);
        switch (stranger)
        {
            case Stranger.NoHeaders:
                return [];
            case Stranger.WrongSecret:
                return RawPeerStream.Impersonate(_cluster, posingAs, "not the secret, but long enough").HeadersFor(targetId);
            case Stranger.StaleTimestamp:
                var past = new PastClock(TimeSpan.FromMinutes(10));
                return RawPeerStream.Impersonate(_cluster, posingAs, Secret, past).HeadersFor(targetId);
            case Stranger.HeadersForAnotherNode:
                var other = 3 - posingAs - target;
                return RawPeerStream.Impersonate(_cluster, posingAs, Secret).HeadersFor(_cluster.MemberId(other));
            default:
                // Recorded from a real opening (an empty batch, harmless), then played back with a forged message.
                var headers = RawPeerStream.Impersonate(_cluster, posingAs, Secret).HeadersFor(targetId);
                (await RawPeerStream.SendAsync(_cluster, target, headers, RawPeerStream.Batch(_cluster, posingAs))).Should().BeNull("the first use is genuine");
                return headers;
        }
    }

    private async Task NothingChanged(int target, string hashBefore)
    {
        (await _cluster.WaitConvergedAsync()).Should().Be(hashBefore, "nothing forged reached the log");
        var ballot = (await _cluster.StatusAsync(target)).Ballot;
        long.Parse(ballot.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture).Should().BeLessThan(1000, "the forged prepare's round never reached the replica");
        await TestCluster.RetryAsync(() => _cluster.Client(target).SetAsync("after", "forgery"));
        (await TestCluster.RetryAsync(() => _cluster.Client(0).GetAsync("keep"))).Should().Be("me");
    }

    private async Task<double> Rejected(int node, string reason) =>
        (await PrometheusScrape.FetchAsync(_cluster.AdminUrl(node))).Value("rkv_peer_rejected_total", Label(reason));

    private static string Label(string reason) => $"reason=\"{reason}\"";

    private sealed class PastClock(TimeSpan behind) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() - behind;
    }
}
