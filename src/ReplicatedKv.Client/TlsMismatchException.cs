using Grpc.Core;

namespace ReplicatedKv.Client;

/// <summary>
/// An endpoint's transport security does not match the client's: a TLS handshake failed (untrusted certificate,
/// missing client certificate, a plaintext port) or a plaintext call reached a TLS port. Not retried: waiting
/// does not fix a configuration.
/// </summary>
public sealed class TlsMismatchException : KvException
{
    public TlsMismatchException()
    {
    }

    public TlsMismatchException(string message)
        : base(message)
    {
    }

    public TlsMismatchException(string message, Exception innerException)
        : base(message, StatusCode.Unavailable, innerException)
    {
    }
}
