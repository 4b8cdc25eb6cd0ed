using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ReplicatedKv.Server.Settings;
using ReplicatedKv.Transport.Tls;

namespace ReplicatedKv.Server.Hosting.Tls;

/// <summary>
/// The credentials one node's <see cref="SecuritySettings"/> name, loaded once at start (a missing or bad file
/// fails the start) and reloaded as their files change. Null members are off.
/// </summary>
internal sealed class ServerSecurity
{
    private ServerSecurity(SecuritySettings settings)
    {
        Settings = settings;
    }

    public SecuritySettings Settings { get; }

    public ReloadingFile<X509Certificate2>? ClientPortCertificate { get; private init; }

    /// <summary>The CA client certificates must chain to; only with --client-cert-auth.</summary>
    public ReloadingFile<X509Certificate2Collection>? ClientCa { get; private init; }

    public PeerTls? Peer { get; private init; }

    public ReloadingFile<BearerTokens>? Tokens { get; private init; }

    public static ServerSecurity Load(SecuritySettings settings, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("ReplicatedKv.Tls");
        return new ServerSecurity(settings)
        {
            ClientPortCertificate = settings.CertFile is { } cert ? Open("cert-file", [cert, settings.KeyFile!], PemFiles.LoadCertificate, logger) : null,
            ClientCa = settings.ClientCertAuth ? Open("trusted-ca-file", [settings.TrustedCaFile!], PemFiles.LoadBundle, logger) : null,
            Peer = settings.PeerCertFile is { } peerCert
                ? new PeerTls(
                    Open("peer-cert-file", [peerCert, settings.PeerKeyFile!], PemFiles.LoadCertificate, logger),
                    Open("peer-trusted-ca-file", [settings.PeerTrustedCaFile!], PemFiles.LoadBundle, logger))
                : null,
            Tokens = settings.AuthTokenFile is { } tokens ? Open("auth-token-file", [tokens], BearerTokens.Load, logger) : null,
        };
    }

    private static ReloadingFile<T> Open<T>(string setting, string[] paths, Func<string[], T> load, ILogger logger)
        where T : class
    {
        try
        {
            return new ReloadingFile<T>(paths, load, logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or FormatException or ArgumentException)
        {
            throw new InvalidOperationException($"--{setting} ({string.Join(", ", paths)}) cannot be used: {ex.Message}", ex);
        }
    }
}
