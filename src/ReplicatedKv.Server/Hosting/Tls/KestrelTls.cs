using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using ReplicatedKv.Transport.Tls;

namespace ReplicatedKv.Server.Hosting.Tls;

/// <summary>HTTPS on the client and peer listeners, with certificates read from the reloading PEM files.</summary>
internal static partial class KestrelTls
{
    /// <summary>TLS setup for the client port, or null for plaintext.</summary>
    public static Action<ListenOptions>? ForClientPort(ServerSecurity security) => security.ClientPortCertificate is { } certificate
        ? listen => UseHttps(listen, certificate, security.ClientCa, ClientCertificateMode.AllowCertificate)
        : null;

    /// <summary>TLS setup for the peer port, or null for plaintext: every peer must present a certificate from the peer CA.</summary>
    public static Action<ListenOptions>? ForPeerPort(ServerSecurity security) => security.Peer is { } peer
        ? listen => UseHttps(listen, peer.Certificate, peer.TrustedCa, ClientCertificateMode.RequireCertificate)
        : null;

    /// <summary>Logs that the API is open to the network when a client or peer URL binds beyond loopback without TLS.</summary>
    public static void WarnIfOpen(ILogger logger, ServerSecurity security, Uri clientUrl, Uri peerUrl)
    {
        if (security.ClientPortCertificate is null && !IsLoopback(clientUrl))
        {
            OpenPort(logger, "client", clientUrl, "--cert-file and --key-file");
        }

        if (security.Peer is null && !IsLoopback(peerUrl))
        {
            OpenPort(logger, "peer", peerUrl, "--peer-cert-file, --peer-key-file and --peer-trusted-ca-file");
        }
    }

    private static void UseHttps(ListenOptions listen, ReloadingFile<X509Certificate2> certificate, ReloadingFile<X509Certificate2Collection>? trustedCa,
        ClientCertificateMode mode)
    {
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            // Asked on every handshake, so a rotated file is served from the next new connection on.
            ServerCertificateSelector = (_, _) => certificate.Current,
            ClientCertificateMode = trustedCa is null ? ClientCertificateMode.NoCertificate : mode,
            ClientCertificateValidation = (presented, _, _) => trustedCa is not null && CertificateTrust.IsTrusted(presented, trustedCa.Current, CertificateTrust.ClientAuth),
            CheckCertificateRevocation = false,
        });
    }

    // Loopback by name or address; any other host name makes Kestrel listen on every interface.
    private static bool IsLoopback(Uri url) =>
        url.Host == "localhost" || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Port} API at {Url} is open: it listens beyond loopback without TLS; anyone who can reach it can use it (set {Flags})")]
    private static partial void OpenPort(ILogger logger, string port, Uri url, string flags);
}
