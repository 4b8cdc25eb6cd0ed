using Microsoft.Extensions.Logging;
using ReplicatedKv.Transport.Authentication;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Transport;

/// <summary>
/// The production <see cref="IPeerTransport"/>: one <see cref="PeerLink"/> (bounded queue and long-lived gRPC
/// stream, reconnecting by itself) per other member. The inbound side is <see cref="PeerLinkService"/>, hosted
/// by the server on its peer port.
/// </summary>
public sealed class GrpcPeerTransport : IPeerTransport
{
    private readonly Dictionary<int, PeerLink> _links = [];
    private int _disposed;

    /// <summary>Opens a link to every member except <see cref="ClusterMembers.SelfId"/>.</summary>
    /// <param name="members">The member list, this node's place in it included.</param>
    /// <param name="authenticator">Adds the proof of this node's identity the peers expect to every stream it opens.</param>
    /// <param name="options">Link tuning; the receivers should use the same <see cref="PeerLinkOptions.MaxMessageAge"/>.</param>
    /// <param name="loggers">Each link logs under the category <c>ReplicatedKv.PeerLink</c>.</param>
    /// <param name="time">The clock for message ages and batch times; the system clock if null.</param>
    public GrpcPeerTransport(ClusterMembers members, IPeerAuthenticator authenticator, PeerLinkOptions options, ILoggerFactory loggers, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(authenticator);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        var logger = loggers.CreateLogger("ReplicatedKv.PeerLink");
        foreach (var id in members.Ids)
        {
            if (id != members.SelfId)
            {
                _links[id] = new PeerLink(members, id, authenticator, options, logger, time ?? TimeProvider.System);
            }
        }

        Peers = [.. _links.Keys.Order()];
    }

    /// <summary>The other members' ids, one link each.</summary>
    public IReadOnlyList<int> Peers { get; }

    private bool Disposed => Volatile.Read(ref _disposed) != 0;

    public void Send(int peer, Wire.PeerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!Disposed && _links.TryGetValue(peer, out var link))
        {
            link.Send(Address(message, peer));
        }
    }

    public bool IsReachable(int peer) => !Disposed && _links.TryGetValue(peer, out var link) && link.Reachable;

    public Task SendSnapshotAsync(int peer, long slot, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (Disposed)
        {
            return Task.FromException(new ObjectDisposedException(nameof(GrpcPeerTransport)));
        }

        if (!_links.TryGetValue(peer, out var link))
        {
            return Task.FromException(new ArgumentOutOfRangeException(nameof(peer), peer, "not another member of this cluster"));
        }

        return link.SendSnapshotAsync(slot, chunks, cancellationToken);
    }

    /// <summary>Sets <paramref name="message"/>'s recipient, on a copy if it is already addressed to someone else.</summary>
    public static Wire.PeerMessage Address(Wire.PeerMessage message, int to)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.To == to)
        {
            return message;
        }

        if (message.To != 0)
        {
            message = message.Clone();
        }

        message.To = to;
        return message;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Task.WhenAll(_links.Values.Select(link => link.DisposeAsync().AsTask())).ConfigureAwait(false);
    }
}
