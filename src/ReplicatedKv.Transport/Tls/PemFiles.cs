using System.Security.Cryptography.X509Certificates;

namespace ReplicatedKv.Transport.Tls;

/// <summary>Loaders for the PEM files the TLS settings name, as <see cref="ReloadingFile{T}"/> calls them.</summary>
public static class PemFiles
{
    /// <summary>A certificate with its private key from <c>[certificate file, key file]</c>.</summary>
    public static X509Certificate2 LoadCertificate(string[] paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        using var pem = X509Certificate2.CreateFromPemFile(paths[0], paths[1]);

        // A key read from PEM is ephemeral, which Windows' TLS cannot use; a PKCS#12 round trip works everywhere.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>Every certificate in <c>[bundle file]</c>; a file without one is an error, not an empty trust store.</summary>
    public static X509Certificate2Collection LoadBundle(string[] paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPemFile(paths[0]);
        return bundle.Count > 0 ? bundle : throw new FormatException($"'{paths[0]}' holds no PEM certificate");
    }
}
