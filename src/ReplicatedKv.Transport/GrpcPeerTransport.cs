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
    private readonly ClusterMembers _members;
    private readonly IPeerAuthenticator _authenticator;
    private readonly PeerLinkOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    // Replaced whole (under _gate) when the members change, so senders read one consistent map without a lock.
    private volatile Dictionary<int, PeerLink> _links = [];
    private readonly List<Task> _closing = [];
    private int _disposed;

    /// <summary>
    /// Opens a link to every member except <see cref="ClusterMembers.SelfId"/>, and follows the members from then on:
    /// a member added to the view gets a link, a member that left it has its link closed (what was queued for it is
    /// dropped).
    /// </summary>
    /// <param name="members">The member view, this node's place in it included.</param>
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
        _members = members;
        _authenticator = authenticator;
        _options = options;
        _logger = loggers.CreateLogger("ReplicatedKv.PeerLink");
        _time = time ?? TimeProvider.System;
        Reconcile(members);
        members.Changed += Reconcile;
    }

    /// <summary>The other members' ids, one link each.</summary>
    public IReadOnlyList<int> Peers => [.. _links.Keys.Order()];

    /// <summary>Opens links to members without one and closes links to ids no longer members (or whose peer URL changed).</summary>
    private void Reconcile(ClusterMembers members)
    {
        lock (_gate)
        {
            if (Disposed)
            {
                return;
            }

            var next = new Dictionary<int, PeerLink>();
            foreach (var member in members.Members)
            {
                if (member.Id == members.SelfId)
                {
                    continue;
                }

                next[member.Id] = _links.TryGetValue(member.Id, out var link) && link.PeerUrl == member.PeerUrl
                    ? link
                    : new PeerLink(members, member.Id, _authenticator, _options, _logger, _time);
            }

            foreach (var (id, link) in _links)
            {
                if (!next.TryGetValue(id, out var kept) || kept != link)
                {
                    _closing.Add(link.DisposeAsync().AsTask());
                }
            }

            _closing.RemoveAll(t => t.IsCompleted);
            _links = next;
        }
    }

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

        Task[] closing;
        lock (_gate)
        {
            _members.Changed -= Reconcile;
            closing = [.. _links.Values.Select(link => link.DisposeAsync().AsTask()), .. _closing];
            _links = [];
        }

        await Task.WhenAll(closing).ConfigureAwait(false);
    }
}
