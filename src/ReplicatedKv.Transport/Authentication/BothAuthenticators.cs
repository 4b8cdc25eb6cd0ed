using Grpc.Core;

namespace ReplicatedKv.Transport.Authentication;

/// <summary>A secret and peer TLS together: a stream must pass both, and both must name the same member.</summary>
internal sealed class BothAuthenticators(IPeerAuthenticator first, IPeerAuthenticator second) : IPeerAuthenticator
{
    public bool ProvesSender => true;

    public PeerAuthentication Authenticate(ServerCallContext context)
    {
        var one = first.Authenticate(context);
        if (one.IsRefused)
        {
            return one;
        }

        var other = second.Authenticate(context);
        if (other.IsRefused || other.MemberId == one.MemberId)
        {
            return other;
        }

        return PeerAuthentication.Refused($"the certificate names member {one.MemberId} but the secret's headers member {other.MemberId}");
    }

    public PeerAuthentication AuthenticateJoiner(ServerCallContext context)
    {
        var one = first.AuthenticateJoiner(context);
        return one.IsRefused ? one : second.AuthenticateJoiner(context);
    }

    public Metadata JoinHeadersFor(string recipient)
    {
        var headers = first.JoinHeadersFor(recipient);
        foreach (var header in second.JoinHeadersFor(recipient))
        {
            headers.Add(header);
        }

        return headers;
    }

    public Metadata HeadersFor(int peer)
    {
        var headers = first.HeadersFor(peer);
        foreach (var header in second.HeadersFor(peer))
        {
            headers.Add(header);
        }

        return headers;
    }
}
