using ReplicatedKv.Server.Settings;
using ReplicatedKv.Storage;
using ReplicatedKv.Transport;
using ReplicatedKv.Transport.Authentication;

namespace ReplicatedKv.Server.Node;

// How this node's peer streams prove who opened them, both ways, and the limits both directions share.
public sealed partial class KvNode
{
    /// <summary>
    /// Proves this node to its peers (outbound) and its peers to this node (the peer service, inbound). The server
    /// hosts <see cref="PeerLinkService"/> with this same instance.
    /// </summary>
    public IPeerAuthenticator PeerAuthenticator { get; }

    /// <summary>The peer link tuning used both to send and to receive.</summary>
    public static PeerLinkOptions PeerLinkOptionsFor(ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);

        // An entry is accepted from a peer only if this node's log can hold it: an append that fails stops the node.
        return new PeerLinkOptions { MaxMessageAge = settings.MaxMessageAge, MaxEntryPayloadBytes = WalFormat.MaxPayload };
    }

    // With peer TLS, Kestrel requires a client certificate chained to the peer CA on the peer port; its SANs then name the sender.
    private static IPeerAuthenticator AuthenticatorFor(ServerSettings settings, ClusterMembers members, TimeProvider time) =>
        PeerAuthenticators.Create(members, settings.PeerSecret, clientCertificates: settings.Security.PeerTls, time);

    void IPeerInbox.Refused(string reason) => _metrics.PeerRejected(reason);

    private void WarnIfPeersUnauthenticated()
    {
        if (!PeerAuthenticator.ProvesSender)
        {
            LogPeersUnauthenticated(_logger);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The peer port is unauthenticated: anyone who can reach it and guesses a member name and the cluster id can take part in consensus. Set --peer-secret-file (or RKV_PEER_SECRET) on every member, or run the peer port with TLS")]
    private static partial void LogPeersUnauthenticated(ILogger logger);
}
