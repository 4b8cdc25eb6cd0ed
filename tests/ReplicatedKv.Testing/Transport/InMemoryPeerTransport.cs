using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Grpc.Core;
using ReplicatedKv.Transport;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Testing.Transport;

/// <summary>One node's outbound side on an <see cref="InMemoryPeerNetwork"/>: a queue and a pump task per peer it sends to.</summary>
internal sealed class InMemoryPeerTransport : IPeerTransport
{
    private const int MaxBatchMessages = 512;

    private readonly InMemoryPeerNetwork _network;
    private readonly string _clientUrl;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, OutLink> _links = [];
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _disposed;

    public InMemoryPeerTransport(InMemoryPeerNetwork network, int nodeId, IPeerInbox inbox, string clientUrl)
    {
        _network = network;
        NodeId = nodeId;
        Inbox = inbox;
        _clientUrl = clientUrl;
    }

    public int NodeId { get; }

    public IPeerInbox Inbox { get; }

    /// <summary>Cancelled when this node goes away, so snapshots it is receiving or sending stop.</summary>
    public CancellationToken Stopping => _stop.Token;

    private bool IsAlive => !_disposed && _network.IsCurrent(this);

    public void Send(int peer, Wire.PeerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_disposed || peer == NodeId || !_network.IsMember(peer))
        {
            return;
        }

        // Addressed like the gRPC path addresses it, and copied as the wire would copy it.
        var sent = GrpcPeerTransport.Address(message, peer).Clone();
        if (_network.Route(NodeId, peer) is not { } target)
        {
            _network.CountDropped();
            return;
        }

        OutLink link;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (!_links.TryGetValue(peer, out link!))
            {
                link = new OutLink(this, peer);
                _links[peer] = link;
            }
        }

        link.Enqueue(target, sent);
    }

    public bool IsReachable(int peer) => !_disposed && peer != NodeId && _network.IsMember(peer) && _network.Route(NodeId, peer) is not null;

    public async Task SendSnapshotAsync(int peer, long slot, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (peer == NodeId || !_network.IsMember(peer))
        {
            throw new ArgumentOutOfRangeException(nameof(peer), peer, "not another member of this cluster");
        }

        // A snapshot is a call: it needs both directions.
        var target = Reach(peer) ?? throw Unavailable(peer);
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token, target.Stopping);
        var relay = new SnapshotRelay(this, target, chunks);
        Exception? refusal = null;
        try
        {
            // On the pool, never inside the sender's call, as a remote receiver would run.
            await Task.Run(() => target.Inbox.InstallSnapshotAsync(NodeId, slot, relay.ReadAsync(call.Token), call.Token), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            refusal = ex;
        }

        if (relay.SenderFailure is { } failure)
        {
            ExceptionDispatchInfo.Capture(failure).Throw();
        }

        if (cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "the snapshot transfer was cancelled"));
        }

        if (refusal is null)
        {
            return;
        }

        if (relay.LinkLost || _disposed || !target.IsAlive)
        {
            throw Unavailable(peer);
        }

        switch (refusal)
        {
            case RpcException rpc:
                throw new RpcException(rpc.Status);
            default:
                // What a gRPC client sees when the handler throws anything else.
                throw new RpcException(new Status(StatusCode.Unknown, "Exception was thrown by handler."));
        }
    }

    private InMemoryPeerTransport? Reach(int to) =>
        !_disposed && _network.Route(NodeId, to) is { } target && _network.Route(to, NodeId) is not null ? target : null;

    private RpcException Unavailable(int to) =>
        new(new Status(StatusCode.Unavailable, $"{_network.NameOf(to)} cannot be reached from {_network.NameOf(NodeId)}"));

    public async ValueTask DisposeAsync()
    {
        OutLink[] links;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            links = [.. _links.Values];
        }

        _network.Detach(this);
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var link in links)
        {
            await link.StopAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private readonly record struct Queued(InMemoryPeerTransport Target, Wire.PeerMessage Message);

    /// <summary>The directed link to one peer: its queue, drained in order by one task.</summary>
    private sealed class OutLink
    {
        private readonly InMemoryPeerTransport _owner;
        private readonly int _peer;
        private readonly Channel<Queued> _queue;
        private readonly Task _pump;

        public OutLink(InMemoryPeerTransport owner, int peer)
        {
            _owner = owner;
            _peer = peer;
            _queue = Channel.CreateBounded<Queued>(
                new BoundedChannelOptions(owner._network.QueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
                _ => owner._network.CountDropped());
            _pump = Task.Run(PumpAsync);
        }

        public void Enqueue(InMemoryPeerTransport target, Wire.PeerMessage message)
        {
            if (!_queue.Writer.TryWrite(new Queued(target, message)))
            {
                _owner._network.CountDropped();
            }
        }

        public async Task StopAsync()
        {
            _queue.Writer.TryComplete();
            await _pump.ConfigureAwait(false);
        }

        private async Task PumpAsync()
        {
            var reader = _queue.Reader;
            var pending = new List<Queued>(MaxBatchMessages);
            try
            {
                while (await reader.WaitToReadAsync(_owner._stop.Token).ConfigureAwait(false))
                {
                    while (pending.Count < MaxBatchMessages && reader.TryRead(out var queued))
                    {
                        pending.Add(queued);
                    }

                    // One batch per run of messages for the same incarnation of the peer.
                    var start = 0;
                    for (var i = 1; i <= pending.Count; i++)
                    {
                        if (i == pending.Count || !ReferenceEquals(pending[i].Target, pending[start].Target))
                        {
                            Deliver(pending, start, i - start);
                            start = i;
                        }
                    }

                    pending.Clear();
                }
            }
            catch (OperationCanceledException) when (_owner._stop.IsCancellationRequested)
            {
            }

            // Whatever is still queued dies with the sender, as it would with its process.
            var left = 0;
            while (reader.TryRead(out _))
            {
                left++;
            }

            _owner._network.CountDropped(left);
        }

        private void Deliver(List<Queued> pending, int start, int count)
        {
            var network = _owner._network;
            var target = pending[start].Target;

            // Checked again at delivery: a cut, a restart or a stop drops what was in flight.
            if (_owner._disposed || !ReferenceEquals(network.Route(_owner.NodeId, _peer), target))
            {
                network.CountDropped(count);
                return;
            }

            var batch = new Wire.PeerBatch
            {
                ClusterId = network.ClusterId,
                From = network.NameOf(_owner.NodeId),
                FromClientUrl = _owner._clientUrl,
                SentUnixMs = network.Time.GetUtcNow().ToUnixTimeMilliseconds(),
            };
            for (var i = start; i < start + count; i++)
            {
                batch.Messages.Add(pending[i].Message);
            }

            try
            {
                target.Inbox.Deliver(_owner.NodeId, batch);
            }
#pragma warning disable CA1031 // An inbox that throws loses the batch, as a failed gRPC stream would; the link goes on.
            catch (Exception)
#pragma warning restore CA1031
            {
                network.CountDropped(count);
            }
        }
    }

    /// <summary>Hands the sender's chunks to the receiver one by one, copied, failing the stream if the link goes.</summary>
    private sealed class SnapshotRelay(InMemoryPeerTransport sender, InMemoryPeerTransport target, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks)
    {
        public Exception? SenderFailure { get; private set; }

        public bool LinkLost { get; private set; }

        public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var enumerator = chunks.GetAsyncEnumerator(cancellationToken);
            await using (enumerator.ConfigureAwait(false))
            {
                while (true)
                {
                    ReadOnlyMemory<byte> chunk;
                    try
                    {
                        if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                        {
                            yield break;
                        }

                        chunk = enumerator.Current.ToArray();
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        SenderFailure = ex;
                        throw new IOException("the sender's snapshot stream failed", ex);
                    }

                    if (!ReferenceEquals(sender.Reach(target.NodeId), target))
                    {
                        LinkLost = true;
                        throw new IOException("the link to the sender was lost");
                    }

                    yield return chunk;
                }
            }
        }
    }
}
