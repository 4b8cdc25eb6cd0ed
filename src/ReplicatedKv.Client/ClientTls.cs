using Grpc.Core;
using System.Security.Cryptography.X509Certificates;

namespace ReplicatedKv.Client;

/// <summary>How a client's connections to https endpoints verify the server and prove who the client is, from <see cref="KvClientOptions"/>.</summary>
public sealed class ClientTls
{
    private readonly X509Certificate2Collection? _roots;
    private readonly X509Certificate2? _certificate;
    private readonly bool _skipVerify;

    /// <summary>Reads the options' PEM files once; throws if they cannot be read.</summary>
    public ClientTls(KvClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.CertFile is null != options.KeyFile is null)
        {
            throw new ArgumentException("a client certificate needs both its certificate file and its key file", nameof(options));
        }

        _skipVerify = options.InsecureSkipTlsVerify;
        if (options.CaFile is { } caFile)
        {
            _roots = [];
            _roots.ImportFromPemFile(caFile);
        }

        if (options.CertFile is { } certFile)
        {
            using var pem = X509Certificate2.CreateFromPemFile(certFile, options.KeyFile);

            // PEM keys are ephemeral, which some platforms' TLS cannot present; PKCS#12 works everywhere.
            _certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        }
    }

    /// <summary>A handler for one gRPC channel with these TLS options (plain http endpoints ignore them).</summary>
    public static SocketsHttpHandler CreateHandler(KvClientOptions options) => new ClientTls(options).Configure(new SocketsHttpHandler());

    /// <summary>Sets <paramref name="handler"/>'s client certificate and server check from these options, and returns it.</summary>
    public SocketsHttpHandler Configure(SocketsHttpHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_certificate is not null)
        {
            handler.SslOptions.ClientCertificates = [_certificate];
        }

        if (_skipVerify)
        {
#pragma warning disable CA5359 // Accepting any certificate is what --insecure-skip-tls-verify asks for, by its name.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (_roots is not null)
        {
            // The usual checks (name, dates, usage), but ending at the given CA instead of the machine's roots.
            handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            handler.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(_roots);
        }

        return handler;
    }

    /// <summary>
    /// A one-line explanation when <paramref name="error"/> is a TLS mismatch rather than a member being down:
    /// TLS refused (certificate not trusted, or a plaintext port), or a plaintext call to a port that speaks TLS.
    /// </summary>
    internal static async Task<TlsMismatchException?> MismatchAsync(Uri endpoint, RpcException error, CancellationToken cancellationToken)
    {
        if (DescribeMismatch(endpoint, error.Status.DebugException) is { } message)
        {
            return new TlsMismatchException(message, error);
        }

        return TlsProbe.LooksLikeTlsPort(endpoint, error.Status.DebugException) && await TlsProbe.SpeaksTlsAsync(endpoint, cancellationToken).ConfigureAwait(false)
            ? new TlsMismatchException($"{endpoint}: the port speaks TLS but the endpoint is plaintext; use https:// (with --cacert if its CA is private)", error)
            : null;
    }

    private static string? DescribeMismatch(Uri endpoint, Exception? error)
    {
        // Only a refused handshake counts: a connection lost mid-handshake (a member restarting) is retried as usual.
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is System.Security.Authentication.AuthenticationException)
            {
                return $"{endpoint}: TLS handshake failed ({e.Message.TrimEnd('.')}); check --cacert/--cert/--key, or use http:// if the port is plaintext";
            }
        }

        return null;
    }
}
