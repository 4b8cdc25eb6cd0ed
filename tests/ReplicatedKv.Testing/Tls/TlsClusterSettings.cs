using ReplicatedKv.Server.Settings;

namespace ReplicatedKv.Testing.Tls;

/// <summary>Turns <see cref="Clusters.TestCluster"/>'s plaintext settings into TLS ones: an <c>adjust</c> function for its StartAsync.</summary>
public static class TlsClusterSettings
{
    /// <summary>https client and peer URLs, a certificate per node from <paramref name="certificates"/>, peer mTLS, and the given client authentication.</summary>
    public static Func<ServerSettings, ServerSettings> Adjust(TestCertificates certificates, bool clientCertAuth = false, string? authTokenFile = null,
        Func<ServerSettings, ServerSettings>? then = null)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        return settings =>
        {
            var (certFile, keyFile, _) = certificates.Issue(settings.NodeId);
            var secured = settings with
            {
                ClientUrl = Https(settings.ClientUrl),
                PeerUrl = Https(settings.PeerUrl),
                AdvertiseClientUrl = settings.AdvertiseClientUrl.Replace("http://", "https://", StringComparison.Ordinal),
                Peers = settings.Peers.Replace("http://", "https://", StringComparison.Ordinal),
                Security = new SecuritySettings
                {
                    CertFile = certFile,
                    KeyFile = keyFile,
                    TrustedCaFile = certificates.CaFile,
                    ClientCertAuth = clientCertAuth,
                    PeerCertFile = certFile,
                    PeerKeyFile = keyFile,
                    PeerTrustedCaFile = certificates.CaFile,
                    AuthTokenFile = authTokenFile,
                },
            };
            return then?.Invoke(secured) ?? secured;
        };
    }

    private static Uri Https(Uri url) => new UriBuilder(url) { Scheme = Uri.UriSchemeHttps }.Uri;
}
