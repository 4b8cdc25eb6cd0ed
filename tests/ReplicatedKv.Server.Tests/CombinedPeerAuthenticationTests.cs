using Grpc.Core;
using Grpc.Net.Client;
using ReplicatedKv.Client;
using ReplicatedKv.Testing.Tls;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// Peer mTLS and the shared peer secret together: a loopback cluster elects and serves, and a peer stream must
/// satisfy both. The right certificate with the wrong secret, or the right secret with a certificate naming
/// another member, is refused, counted in rkv_peer_rejected_total and changes nothing; a certificate from another
/// CA does not get past the handshake.
/// </summary>
public sealed class CombinedPeerAuthenticationTests : IAsyncLifetime, IDisposable
{
    private const string Secret = "combined mode tests' shared peer secret";

    private readonly TestCertificates _certificates = new();
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(3, TlsClusterSettings.Adjust(_certificates), withAdminPorts: true, peerSecret: Secret);
        await _cluster.WaitForLeaderAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    // After DisposeAsync: the nodes are gone before their certificate files are.
    public void Dispose() => _certificates.Dispose();

    [Fact]
    public async Task The_cluster_elects_and_serves_writes_through_every_node()
    {
        await using var client = new KvClient(new KvClientOptions
        {
            Endpoints = [.. _cluster.Settings.Select(s => new Uri(s.AdvertiseClientUrl))],
            CaFile = _certificates.CaFile,
            DefaultTimeout = TimeSpan.FromSeconds(20),
        });
        await client.SetAsync("combined", "both"u8.ToArray());
        (await client.GetAsync("combined")).Should().NotBeNull();
        await _cluster.WaitConvergedAsync();
    }

    [Theory]
    [InlineData(false, "a wrong secret, as long as a real one")]
    [InlineData(true, Secret)]
    public async Task A_peer_with_only_one_of_the_two_proofs_is_refused_counted_and_changes_nothing(bool certificateOfAnotherMember, string secret)
    {
        // Claims to be n2 with headers made from the secret, to a node that is not n2; presents a peer-CA certificate
        // for n2, or for the third member.
        var claimed = Array.FindIndex(_cluster.Settings, s => s.NodeId == "n2");
        var target = (claimed + 1) % 3;
        var certificateFor = _cluster.Settings[certificateOfAnotherMember ? (claimed + 2) % 3 : claimed].NodeId;
        var hashBefore = await _cluster.WaitConvergedAsync();
        var rejectedBefore = await RejectedAsync(target);
        var headers = RawPeerStream.Impersonate(_cluster, claimed, secret).HeadersFor(_cluster.MemberId(target));

        var status = await SendAsync(target, _certificates.Issue(certificateFor), headers,
            RawPeerStream.Batch(_cluster, claimed, RawPeerStream.DisruptivePrepare(_cluster, claimed, target)));

        status.Should().Be(StatusCode.Unauthenticated);
        (await PrometheusScrape.FetchUntilAsync(_cluster.AdminUrl(target), s => s.Value("rkv_peer_rejected_total", "reason=\"unauthenticated\"") > rejectedBefore))
            .Value("rkv_peer_rejected_total", "reason=\"unauthenticated\"").Should().BeGreaterThan(rejectedBefore);
        (await _cluster.WaitConvergedAsync()).Should().Be(hashBefore);
    }

    [Fact]
    public async Task The_right_certificate_and_secret_together_are_taken()
    {
        var claimed = Array.FindIndex(_cluster.Settings, s => s.NodeId == "n2");
        var target = (claimed + 1) % 3;

        var headers = RawPeerStream.Impersonate(_cluster, claimed, Secret).HeadersFor(_cluster.MemberId(target));

        // An empty batch, as a stream opens: accepted, so the refusals above are the proofs', not the probe's.
        var status = await SendAsync(target, _certificates.Issue("n2"), headers, RawPeerStream.Batch(_cluster, claimed));

        status.Should().Be(StatusCode.OK);
    }

    [Fact]
    public async Task A_certificate_from_another_CA_with_the_right_secret_does_not_get_past_the_handshake()
    {
        using var stranger = new TestCertificates("stranger CA");
        var claimed = Array.FindIndex(_cluster.Settings, s => s.NodeId == "n2");
        var target = (claimed + 1) % 3;
        var headers = RawPeerStream.Impersonate(_cluster, claimed, Secret).HeadersFor(_cluster.MemberId(target));

        var status = await SendAsync(target, stranger.Issue("n2"), headers, RawPeerStream.Batch(_cluster, claimed));

        new[] { StatusCode.OK, StatusCode.Unauthenticated, StatusCode.PermissionDenied }.Should().NotContain(status, "the handshake fails before any gRPC call");
    }

    private async Task<StatusCode> SendAsync(int to, (string CertFile, string KeyFile, System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate) presented,
        Metadata headers, Wire.PeerBatch batch)
    {
        var url = _cluster.Settings[to].PeerUrl;
        var options = new KvClientOptions { Endpoints = [url], CaFile = _certificates.CaFile, CertFile = presented.CertFile, KeyFile = presented.KeyFile };
        using var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = ClientTls.CreateHandler(options) });
        using var call = new Wire.PeerLink.PeerLinkClient(channel).Stream(headers, DateTime.UtcNow.AddSeconds(20));
        try
        {
            await call.RequestStream.WriteAsync(batch);
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // Refused before it read what was sent; the status is the response's.
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            // No TLS or HTTP/2 connection: no gRPC status at all.
            return StatusCode.Unavailable;
        }

        try
        {
            await call.ResponseAsync;
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return StatusCode.Unavailable;
        }
    }

    private async Task<double> RejectedAsync(int node) =>
        (await PrometheusScrape.FetchAsync(_cluster.AdminUrl(node))).Value("rkv_peer_rejected_total", "reason=\"unauthenticated\"");
}
