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

    /// <summary>
    /// Whether the caller of a Join (a node asking to learn the configuration) belongs to the cluster: it proves what
    /// a stream opener proves, except that it need not be a member yet. Not refused means it may be answered.
    /// </summary>
    PeerAuthentication AuthenticateJoiner(ServerCallContext context) => Authenticate(context);

    /// <summary>Headers for a Join call to the member named <paramref name="recipient"/> (a joining node knows names, not ids).</summary>
    Metadata JoinHeadersFor(string recipient) => [];
}
