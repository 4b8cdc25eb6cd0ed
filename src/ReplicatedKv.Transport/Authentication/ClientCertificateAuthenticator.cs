using System.Security.Cryptography.X509Certificates;
using Grpc.Core;

namespace ReplicatedKv.Transport.Authentication;

/// <summary>
/// Proves a peer stream's sender by the client certificate of its TLS connection, which Kestrel has already
/// required and chain-checked against the peer CA; the member is the one the certificate names
/// (<see cref="CertificateMemberMap"/>). The outbound side's proof is the certificate its handler presents, so it
/// adds no headers.
/// </summary>
public sealed class ClientCertificateAuthenticator(ClusterMembers members) : IPeerAuthenticator
{
    public bool ProvesSender => true;

    public PeerAuthentication Authenticate(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Authenticate(context.GetHttpContext().Connection.ClientCertificate);
    }

    /// <summary>The checks of <see cref="Authenticate(ServerCallContext)"/> on a connection's client certificate.</summary>
    public PeerAuthentication Authenticate(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return PeerAuthentication.Refused("no client certificate on the peer connection");
        }

        if (CertificateMemberMap.MemberOf(certificate, members) is not { } id)
        {
            return PeerAuthentication.Refused($"client certificate '{certificate.Subject}' names no single member in its subject alternative names");
        }

        return id == members.SelfId
            ? PeerAuthentication.Refused($"client certificate '{certificate.Subject}' names this node itself")
            : PeerAuthentication.Member(id);
    }

    public Metadata HeadersFor(int peer) => [];

    /// <summary>A joiner's certificate chained to the peer CA (Kestrel checked it) is enough: it is not a member yet, so names none.</summary>
    public PeerAuthentication AuthenticateJoiner(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.GetHttpContext().Connection.ClientCertificate is null
            ? PeerAuthentication.Refused("no client certificate on the joining node's connection")
            : PeerAuthentication.Unverified;
    }
}
