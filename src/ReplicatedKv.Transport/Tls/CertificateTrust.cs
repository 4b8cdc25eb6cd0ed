using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ReplicatedKv.Transport.Tls;

/// <summary>Chain validation against a private CA only (not the machine's roots), as etcd's trusted-ca files mean.</summary>
public static class CertificateTrust
{
    /// <summary>TLS server authentication (1.3.6.1.5.5.7.3.1).</summary>
    public static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");

    /// <summary>TLS client authentication (1.3.6.1.5.5.7.3.2).</summary>
    public static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>True if <paramref name="certificate"/> chains to one of <paramref name="roots"/> and may be used for <paramref name="purpose"/>.</summary>
    public static bool IsTrusted(X509Certificate2? certificate, X509Certificate2Collection roots, Oid purpose)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);

        // A private test or cluster CA publishes no revocation lists.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(purpose);
        return chain.Build(certificate);
    }

    /// <summary>
    /// A client-side check of a server: its name matches the URL (the TLS stack's own finding) and its chain
    /// ends at <paramref name="roots"/>, whatever the machine trusts.
    /// </summary>
    public static bool IsTrustedServer(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection roots) =>
        (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) == 0 &&
        certificate is not null && IsTrusted(certificate as X509Certificate2 ?? new X509Certificate2(certificate), roots, ServerAuth);
}
