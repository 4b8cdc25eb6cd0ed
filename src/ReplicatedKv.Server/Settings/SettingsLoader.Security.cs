using ReplicatedKv.Transport;

namespace ReplicatedKv.Server.Settings;

/// <summary>The TLS and client-authentication settings, and the rules tying them to the URL schemes.</summary>
public static partial class SettingsLoader
{
    private static SecuritySettings ReadSecurity(Reader r, Uri clientUrl, Uri peerUrl, ClusterMembers members)
    {
        var security = new SecuritySettings
        {
            CertFile = PemPath(r, "cert-file"),
            KeyFile = PemPath(r, "key-file"),
            TrustedCaFile = PemPath(r, "trusted-ca-file"),
            ClientCertAuth = r.Bool("client-cert-auth"),
            PeerCertFile = PemPath(r, "peer-cert-file"),
            PeerKeyFile = PemPath(r, "peer-key-file"),
            PeerTrustedCaFile = PemPath(r, "peer-trusted-ca-file"),
            AuthTokenFile = PemPath(r, "auth-token-file"),
        };

        Together(security.CertFile, "cert-file", security.KeyFile, "key-file");
        Together(security.PeerCertFile, "peer-cert-file", security.PeerKeyFile, "peer-key-file");
        Together(security.PeerCertFile, "peer-cert-file", security.PeerTrustedCaFile, "peer-trusted-ca-file");
        if (security.ClientCertAuth && (security.TrustedCaFile is null || !security.ClientTls))
        {
            throw Reader.Invalid("client-cert-auth", "needs --cert-file, --key-file and --trusted-ca-file (client certificates come over TLS)");
        }

        SchemeMatches("client-url", clientUrl, security.ClientTls, "cert-file");
        SchemeMatches("peer-url", peerUrl, security.PeerTls, "peer-cert-file");
        foreach (var id in members.Ids)
        {
            SchemeMatches("peers", members.PeerUrlOf(id), security.PeerTls, "peer-cert-file");
        }

        return security;
    }

    private static string? PemPath(Reader r, string name) => r.Has(name) ? Path.GetFullPath(r.Text(name, "")) : null;

    private static void Together(string? first, string firstName, string? second, string secondName)
    {
        if (first is null != second is null)
        {
            var missing = first is null ? firstName : secondName;
            throw Reader.Invalid(missing, $"is required with --{(first is null ? secondName : firstName)}");
        }
    }

    // The scheme says what is spoken, so a URL and its TLS files must agree rather than one silently winning.
    private static void SchemeMatches(string name, Uri url, bool tls, string certName)
    {
        if (tls && url.Scheme != Uri.UriSchemeHttps)
        {
            throw Reader.Invalid(name, $"'{url}' must be https:// with --{certName}");
        }

        if (!tls && url.Scheme == Uri.UriSchemeHttps)
        {
            throw Reader.Invalid(name, $"'{url}' is https:// but --{certName} is not set");
        }
    }
}
