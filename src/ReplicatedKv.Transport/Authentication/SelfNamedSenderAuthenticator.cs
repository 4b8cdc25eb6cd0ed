using Grpc.Core;

namespace ReplicatedKv.Transport.Authentication;

/// <summary>
/// No secret and no peer TLS: every stream is let through and each batch's own cluster id and sender name are
/// believed, as before authentication existed. Fit only for loopback and first tries; the start warns.
/// </summary>
public sealed class SelfNamedSenderAuthenticator : IPeerAuthenticator
{
    public bool ProvesSender => false;

    public PeerAuthentication Authenticate(ServerCallContext context) => PeerAuthentication.Unverified;

    public Metadata HeadersFor(int peer) => [];
}
