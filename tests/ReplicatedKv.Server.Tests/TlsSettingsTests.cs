using Microsoft.Extensions.Logging.Abstractions;
using ReplicatedKv.Server.Hosting.Tls;
using ReplicatedKv.Server.Settings;

namespace ReplicatedKv.Server.Tests;

/// <summary>The etcd-named TLS settings: read like every other setting, and tied to the URL schemes so nothing is silently plaintext.</summary>
public sealed class TlsSettingsTests
{
    private static readonly string[] Node = ["--node-id", "n1"];

    private static ServerSettings Load(Dictionary<string, string?> environment, params string[] args) =>
        SettingsLoader.Load([.. Node, .. args], environment, Path.GetTempPath());

    [Fact]
    public void Client_and_peer_TLS_come_from_flags_and_RKV_variables_with_client_cert_auth_as_a_switch()
    {
        var environment = new Dictionary<string, string?>
        {
            ["RKV_PEER_CERT_FILE"] = "/certs/n1.pem",
            ["RKV_PEER_KEY_FILE"] = "/certs/n1-key.pem",
            ["RKV_PEER_TRUSTED_CA_FILE"] = "/certs/ca.pem",
        };

        var settings = Load(environment, "--peers", "n1=https://a:7101", "--client-url", "https://0.0.0.0:7001", "--peer-url", "https://0.0.0.0:7101",
            "--cert-file", "/certs/n1.pem", "--key-file", "/certs/n1-key.pem", "--client-cert-auth", "--trusted-ca-file", "/certs/ca.pem",
            "--auth-token-file", "/certs/tokens");

        settings.Security.Should().Be(new SecuritySettings
        {
            CertFile = "/certs/n1.pem",
            KeyFile = "/certs/n1-key.pem",
            TrustedCaFile = "/certs/ca.pem",
            ClientCertAuth = true,
            PeerCertFile = "/certs/n1.pem",
            PeerKeyFile = "/certs/n1-key.pem",
            PeerTrustedCaFile = "/certs/ca.pem",
            AuthTokenFile = "/certs/tokens",
        });
        settings.AdvertiseClientUrl.Should().StartWith("https://");
    }

    [Fact]
    public void Without_TLS_settings_everything_stays_plaintext_and_open()
    {
        Load([], "--peers", "n1=http://a:7101").Security.Should().Be(SecuritySettings.Off);
    }

    [Theory]
    [InlineData("invalid setting --client-url (RKV_CLIENT_URL): 'https://127.0.0.1:7001/' is https:// but --cert-file is not set", "--client-url", "https://127.0.0.1:7001")]
    [InlineData("invalid setting --client-url (RKV_CLIENT_URL): 'http://127.0.0.1:7001/' must be https:// with --cert-file", "--cert-file", "c.pem", "--key-file", "k.pem")]
    [InlineData("invalid setting --key-file (RKV_KEY_FILE): is required with --cert-file", "--cert-file", "c.pem", "--client-url", "https://127.0.0.1:7001")]
    [InlineData("invalid setting --client-cert-auth (RKV_CLIENT_CERT_AUTH): needs --cert-file, --key-file and --trusted-ca-file (client certificates come over TLS)", "--client-cert-auth")]
    [InlineData("invalid setting --client-cert-auth (RKV_CLIENT_CERT_AUTH): 'maybe' is not true or false", "--client-cert-auth", "maybe")]
    [InlineData("invalid setting --peer-trusted-ca-file (RKV_PEER_TRUSTED_CA_FILE): is required with --peer-cert-file",
        "--peer-cert-file", "c.pem", "--peer-key-file", "k.pem", "--peer-url", "https://127.0.0.1:7101")]
    [InlineData("invalid setting --admin-url (RKV_ADMIN_URL): 'https://127.0.0.1:7201' is not a listen address like http://0.0.0.0:7001", "--admin-url", "https://127.0.0.1:7201")]
    public void Inconsistent_TLS_settings_are_refused_naming_the_setting(string expected, params string[] args)
    {
        var load = () => Load([], [.. args, "--peers", "n1=http://127.0.0.1:7101"]);

        load.Should().Throw<InvalidSettingException>().WithMessage(expected);
    }

    [Fact]
    public void With_peer_TLS_every_member_URL_must_be_https()
    {
        var load = () => Load([], "--peers", "n1=https://a:7101,n2=http://b:7101", "--peer-url", "https://0.0.0.0:7101",
            "--peer-cert-file", "c.pem", "--peer-key-file", "k.pem", "--peer-trusted-ca-file", "ca.pem");

        load.Should().Throw<InvalidSettingException>().WithMessage("invalid setting --peers (RKV_PEERS): 'http://b:7101/' must be https:// with --peer-cert-file");
    }

    [Theory]
    [InlineData("http://0.0.0.0:7001", "http://127.0.0.1:7101", "client")]
    [InlineData("http://127.0.0.1:7001", "http://node-2:7101", "peer")]
    [InlineData("http://localhost:7001", "http://[::1]:7101", null)]
    public void Listening_beyond_loopback_without_TLS_logs_that_the_API_is_open(string clientUrl, string peerUrl, string? openPort)
    {
        var logger = new RecordingLogger();

        KestrelTls.WarnIfOpen(logger, ServerSecurity.Load(SecuritySettings.Off, NullLoggerFactory.Instance), new Uri(clientUrl), new Uri(peerUrl));

        if (openPort is null)
        {
            logger.Warnings.Should().BeEmpty();
        }
        else
        {
            logger.Warnings.Should().ContainSingle().Which.Should().Contain($"The {openPort} API").And.Contain("is open");
        }
    }
}
