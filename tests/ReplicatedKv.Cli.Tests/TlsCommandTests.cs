using ReplicatedKv.Testing.Clusters;
using ReplicatedKv.Testing.Tls;

namespace ReplicatedKv.Cli.Tests;

/// <summary>A 3-node cluster with client and peer TLS, client-cert-auth and a token file, for <see cref="TlsCommandTests"/>.</summary>
public sealed class TlsClusterFixture : IAsyncLifetime
{
    public TestCertificates Certificates { get; } = new();

    public TestCluster Cluster { get; private set; } = null!;

    public string Endpoints => string.Join(',', Cluster.Settings.Select(s => s.AdvertiseClientUrl));

    public string TokenFile => Path.Combine(Certificates.Folder, "tokens");

    public (string CertFile, string KeyFile) Client { get; private set; }

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(TokenFile, "cli-token\n");
        var (certFile, keyFile, _) = Certificates.Issue("client");
        Client = (certFile, keyFile);
        Cluster = await TestCluster.StartAsync(3, TlsClusterSettings.Adjust(Certificates, clientCertAuth: true, authTokenFile: TokenFile));
        await Cluster.WaitForLeaderAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Certificates.Dispose();
    }
}

/// <summary>rkvctl over TLS: --cacert, --cert/--key or a token; a scheme that does not match the port fails at once with one clear line.</summary>
public sealed class TlsCommandTests(TlsClusterFixture fixture) : IClassFixture<TlsClusterFixture>
{
    [Fact]
    public async Task Set_and_get_over_mTLS_with_cacert_cert_and_key()
    {
        string[] tls = ["--endpoints", fixture.Endpoints, "--cacert", fixture.Certificates.CaFile, "--cert", fixture.Client.CertFile, "--key", fixture.Client.KeyFile];

        var set = await CliRun.RunAsync([.. tls, "set", "mtls-key", "mtls-value"]);
        var get = await CliRun.RunAsync([.. tls, "get", "mtls-key"]);

        set.ExitCode.Should().Be(Program.Success, set.Error);
        get.ExitCode.Should().Be(Program.Success, get.Error);
        get.Out.Should().Be("mtls-value" + Environment.NewLine);
    }

    [Fact]
    public async Task A_token_file_stands_in_for_a_client_certificate_and_no_credential_is_UNAUTHENTICATED()
    {
        string[] trust = ["--endpoints", fixture.Endpoints, "--cacert", fixture.Certificates.CaFile];

        var withToken = await CliRun.RunAsync([.. trust, "--token-file", fixture.TokenFile, "set", "token-key", "v"]);
        var without = await CliRun.RunAsync([.. trust, "get", "token-key"]);

        withToken.ExitCode.Should().Be(Program.Success, withToken.Error);
        without.ExitCode.Should().Be(Program.OtherError);
        without.Error.Should().StartWith("rkvctl: Unauthenticated: missing or invalid token");
    }

    [Fact]
    public async Task A_plaintext_endpoint_for_a_TLS_port_fails_with_one_clear_line()
    {
        var plain = fixture.Cluster.Settings[0].AdvertiseClientUrl.Replace("https://", "http://", StringComparison.Ordinal);

        var run = await CliRun.RunAsync("--endpoints", plain, "--timeout", "1m", "get", "k");

        run.ExitCode.Should().Be(Program.OtherError);
        run.Error.Should().StartWith("rkvctl: TLS mismatch: ").And.Contain("use https://");
        run.Error.TrimEnd().Should().NotContain("\n", "the error is one line");
    }

    [Fact]
    public async Task A_TLS_endpoint_for_a_plaintext_port_fails_with_one_clear_line()
    {
        await using var plaintext = await TestCluster.StartAsync(1);
        var tls = plaintext.Settings[0].AdvertiseClientUrl.Replace("http://", "https://", StringComparison.Ordinal);

        var run = await CliRun.RunAsync("--endpoints", tls, "--timeout", "1m", "--cacert", fixture.Certificates.CaFile, "get", "k");

        run.ExitCode.Should().Be(Program.OtherError);
        run.Error.Should().StartWith("rkvctl: TLS mismatch: ").And.Contain("http://");
        run.Error.TrimEnd().Should().NotContain("\n", "the error is one line");
    }

    [Fact]
    public async Task Insecure_skip_tls_verify_reaches_a_TLS_port_without_the_CA()
    {
        var run = await CliRun.RunAsync("--endpoints", fixture.Endpoints, "--insecure-skip-tls-verify", "--token", "cli-token", "contains", "never-set");

        run.ExitCode.Should().Be(Program.NotFound, run.Error);
        run.Out.Should().Be("false" + Environment.NewLine);
    }
}
