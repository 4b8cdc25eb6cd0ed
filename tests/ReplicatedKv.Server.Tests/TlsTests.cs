using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using ReplicatedKv.Client;
using ReplicatedKv.Testing.Tls;
using ReplicatedKv.Transport.Tls;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// Client and peer TLS on loopback with certificates made at test time: a cluster whose peers elect a leader over
/// mutual TLS serves KvClient over TLS; wrong or missing credentials are refused clearly; certificates rotate.
/// </summary>
public sealed class TlsTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    [Fact]
    public async Task An_mTLS_cluster_elects_a_leader_over_peer_TLS_and_serves_set_and_get_through_KvClient()
    {
        await using var cluster = await TestCluster.StartAsync(3, TlsClusterSettings.Adjust(_certificates, clientCertAuth: true));
        await cluster.WaitForLeaderAsync();
        var (certFile, keyFile, _) = _certificates.Issue("client");
        await using var client = new KvClient(Options(cluster) with { CaFile = _certificates.CaFile, CertFile = certFile, KeyFile = keyFile });

        await client.SetAsync("tls-key", Encoding.UTF8.GetBytes("over mTLS"));
        var value = await client.GetAsync("tls-key");

        value.Should().NotBeNull();
        Encoding.UTF8.GetString(value!.Value.Value.Span).Should().Be("over mTLS");
    }

    [Fact]
    public async Task A_plaintext_client_against_a_TLS_port_gets_a_clear_error_not_a_wait_for_the_deadline()
    {
        await using var cluster = await TestCluster.StartAsync(1, TlsClusterSettings.Adjust(_certificates));
        await cluster.WaitForLeaderAsync();
        var plain = cluster.Settings[0].AdvertiseClientUrl.Replace("https://", "http://", StringComparison.Ordinal);
        await using var client = new KvClient(new KvClientOptions { Endpoints = [new Uri(plain)], DefaultTimeout = TimeSpan.FromMinutes(1) });

        var call = () => client.GetAsync("k");

        (await call.Should().ThrowAsync<TlsMismatchException>()).Which.Message.Should().Contain("TLS").And.Contain(plain);
    }

    [Fact]
    public async Task A_TLS_client_against_a_plaintext_port_gets_a_clear_error()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await cluster.WaitForLeaderAsync();
        var tls = cluster.Settings[0].AdvertiseClientUrl.Replace("http://", "https://", StringComparison.Ordinal);
        await using var client = new KvClient(new KvClientOptions { Endpoints = [new Uri(tls)], CaFile = _certificates.CaFile, DefaultTimeout = TimeSpan.FromMinutes(1) });

        var call = () => client.GetAsync("k");

        (await call.Should().ThrowAsync<TlsMismatchException>()).Which.Message.Should().Contain("TLS").And.Contain("http://");
    }

    [Fact]
    public async Task With_client_cert_auth_a_client_without_a_certificate_gets_UNAUTHENTICATED()
    {
        await using var cluster = await TestCluster.StartAsync(1, TlsClusterSettings.Adjust(_certificates, clientCertAuth: true));
        await cluster.WaitForLeaderAsync();
        await using var client = new KvClient(Options(cluster) with { CaFile = _certificates.CaFile });

        var call = () => client.SetAsync("k", new byte[] { 1 });

        var refused = (await call.Should().ThrowAsync<KvException>()).Which;
        refused.StatusCode.Should().Be(StatusCode.Unauthenticated);
        refused.Message.Should().Contain("client certificate");
    }

    [Fact]
    public async Task A_client_certificate_from_another_CA_is_refused_during_the_handshake()
    {
        await using var cluster = await TestCluster.StartAsync(1, TlsClusterSettings.Adjust(_certificates, clientCertAuth: true));
        await cluster.WaitForLeaderAsync();
        using var stranger = new TestCertificates("stranger CA");
        var (certFile, keyFile, _) = stranger.Issue("client");
        await using var client = new KvClient(Options(cluster) with { CaFile = _certificates.CaFile, CertFile = certFile, KeyFile = keyFile });

        var call = () => client.GetAsync("k");

        await call.Should().ThrowAsync<KvException>();
    }

    [Fact]
    public async Task A_token_protected_node_answers_UNAUTHENTICATED_without_the_token_and_OK_with_it_while_health_stays_open()
    {
        var tokenFile = Path.Combine(_certificates.Folder, "tokens");
        await File.WriteAllTextAsync(tokenFile, "# one token per line\nsecret-one\n\nsecret-two\n");
        await using var cluster = await TestCluster.StartAsync(1, TlsClusterSettings.Adjust(_certificates, authTokenFile: tokenFile));
        await cluster.WaitForLeaderAsync();
        var options = Options(cluster) with { CaFile = _certificates.CaFile };

        await using (var anonymous = new KvClient(options))
        {
            var refused = (await ((Func<Task>)(() => anonymous.GetAsync("k"))).Should().ThrowAsync<KvException>()).Which;
            refused.StatusCode.Should().Be(StatusCode.Unauthenticated);
            refused.Message.Should().Be("missing or invalid token");
        }

        await using (var wrong = new KvClient(options with { Token = "secret-three" }))
        {
            (await ((Func<Task>)(() => wrong.StatusAsync())).Should().ThrowAsync<KvException>()).Which.StatusCode.Should().Be(StatusCode.Unauthenticated);
        }

        await using (var allowed = new KvClient(options with { Token = "secret-two" }))
        {
            await allowed.SetAsync("k", new byte[] { 7 });
            (await allowed.GetAsync("k")).Should().NotBeNull();
        }

        using var channel = GrpcChannel.ForAddress(cluster.Settings[0].AdvertiseClientUrl,
            new GrpcChannelOptions { HttpHandler = ClientTls.CreateHandler(options) });
        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
        health.Status.Should().Be(HealthCheckResponse.Types.ServingStatus.Serving, "probes need no token");
    }

    [Fact]
    public async Task A_peer_port_accepts_only_a_certificate_from_the_peer_CA()
    {
        await using var cluster = await TestCluster.StartAsync(1, TlsClusterSettings.Adjust(_certificates));
        await cluster.WaitForLeaderAsync();
        var peerUrl = cluster.Settings[0].PeerUrl;
        using var stranger = new TestCertificates("stranger CA");

        // A gRPC call that is not the peer service: past the TLS handshake it is answered UNIMPLEMENTED (404).
        var member = await HealthCallOnAsync(peerUrl, _certificates.Issue("n2"));
        var outsider = await HealthCallOnAsync(peerUrl, stranger.Issue("n2"));

        member.Should().Be(StatusCode.Unimplemented, "a certificate from the peer CA gets through the handshake");
        // Refused in the handshake; with TLS 1.3 the client learns it only when it sends, so the failure may name the lost connection differently.
        new[] { StatusCode.OK, StatusCode.Unimplemented }.Should().NotContain(outsider, "a certificate from another CA does not get through the handshake");
    }

    [Fact]
    public async Task A_rotated_certificate_file_is_served_on_the_next_new_connection_and_the_cluster_keeps_working()
    {
        await using var cluster = await TestCluster.StartAsync(3, TlsClusterSettings.Adjust(_certificates));
        await cluster.WaitForLeaderAsync();
        var clientUrl = cluster.Settings[0].ClientUrl;
        var before = await ServedCertificateAsync(clientUrl);

        var (certFile, _, rotated) = _certificates.Issue("n1");
        File.SetLastWriteTimeUtc(certFile, DateTime.UtcNow.AddSeconds(5));
        var served = before;
        for (var deadline = DateTime.UtcNow.AddSeconds(20); served.Thumbprint != rotated.Thumbprint && DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            served = await ServedCertificateAsync(clientUrl);
        }

        served.Thumbprint.Should().Be(rotated.Thumbprint).And.NotBe(before.Thumbprint);
        await using var client = new KvClient(Options(cluster) with { CaFile = _certificates.CaFile });
        await client.SetAsync("after-rotation", new byte[] { 1 });
    }

    public void Dispose() => _certificates.Dispose();

    private static KvClientOptions Options(TestCluster cluster) => new()
    {
        Endpoints = [.. cluster.Settings.Select(s => new Uri(s.AdvertiseClientUrl))],
        DefaultTimeout = TimeSpan.FromSeconds(20),
    };

    private async Task<StatusCode> HealthCallOnAsync(Uri url, (string CertFile, string KeyFile, X509Certificate2 Certificate) presented)
    {
        var options = new KvClientOptions { Endpoints = [url], CaFile = _certificates.CaFile, CertFile = presented.CertFile, KeyFile = presented.KeyFile };
        using var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = ClientTls.CreateHandler(options) });
        try
        {
            await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }

    // A fresh TCP connection and handshake each time, so what comes back is what a new client would be served.
    private async Task<X509Certificate2> ServedCertificateAsync(Uri url)
    {
        var roots = PemFiles.LoadBundle([_certificates.CaFile]);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(url.Host, url.Port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, errors) => CertificateTrust.IsTrustedServer(certificate, errors, roots));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = url.Host, ApplicationProtocols = [SslApplicationProtocol.Http2] });
        return new X509Certificate2(tls.RemoteCertificate!);
    }
}
