using Grpc.Core;

namespace ReplicatedKv.Client;

/// <summary>
/// An endpoint's transport security does not match the client's: a TLS handshake failed (untrusted certificate,
/// missing client certificate, a plaintext port) or a plaintext call reached a TLS port. Not retried: waiting
/// does not fix a configuration.
/// </summary>
public sealed class TlsMismatchException : KvException
{
    /// <summary>A mismatch with no message.</summary>
    public TlsMismatchException()
    {
    }

    /// <summary>A mismatch described by <paramref name="message"/>.</summary>
    public TlsMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>A mismatch described by <paramref name="message"/>, caused by <paramref name="innerException"/>.</summary>
    public TlsMismatchException(string message, Exception innerException)
        : base(message, StatusCode.Unavailable, innerException)
    {
    }
}
