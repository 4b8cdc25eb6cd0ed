using Grpc.Core;

namespace ReplicatedKv.Transport.Authentication;

/// <summary>
/// How peer streams prove their sender: the inbound side asks once per stream which member opened it, the
/// outbound side adds whatever proof the receiver expects. Built by <see cref="PeerAuthenticators.Create"/>.
/// </summary>
public interface IPeerAuthenticator
{
    /// <summary>False when nothing proves a sender (no secret, no peer TLS): the start logs a warning.</summary>
    bool ProvesSender { get; }

    /// <summary>The member that opened the stream of <paramref name="context"/>, or a refusal.</summary>
    PeerAuthentication Authenticate(ServerCallContext context);

    /// <summary>Headers for a new stream to member <paramref name="peer"/>; fresh on every call (they are single-use).</summary>
    Metadata HeadersFor(int peer);
}
