using System.Security.Cryptography.X509Certificates;

namespace ReplicatedKv.Transport.Tls;

/// <summary>
/// The peer side of mutual TLS, from the peer settings: this node's certificate (served on the peer port and
/// presented when dialling a peer) and the peer CA every other member's certificate must chain to. Both reload.
/// </summary>
public sealed class PeerTls(ReloadingFile<X509Certificate2> certificate, ReloadingFile<X509Certificate2Collection> trustedCa)
{
    public ReloadingFile<X509Certificate2> Certificate { get; } = certificate;

    public ReloadingFile<X509Certificate2Collection> TrustedCa { get; } = trustedCa;

    /// <summary>Makes <paramref name="handler"/> dial https peer URLs with this node's certificate, trusting only the peer CA.</summary>
    public static SocketsHttpHandler Apply(PeerTls? tls, SocketsHttpHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (tls is not null)
        {
            // Callbacks rather than fixed values, so each new connection sees the current files.
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => tls.Certificate.Current;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                CertificateTrust.IsTrustedServer(certificate, errors, tls.TrustedCa.Current);
        }

        return handler;
    }
}
