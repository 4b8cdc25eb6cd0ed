using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Transport;

/// <summary>
/// The outbound side of one node's links to the other members: what the node sends through, whatever carries it
/// (gRPC streams in production, <c>InMemoryPeerNetwork</c> in tests). The inbound side is <see cref="IPeerInbox"/>.
/// </summary>
/// <remarks>
/// <para>
/// Messages behave like datagrams on an ordered channel. Per peer, messages that arrive arrive in the order they
/// were sent, at most once each, as part of a <see cref="Wire.PeerBatch"/> handed to the receiver's
/// <see cref="IPeerInbox.Deliver"/> with the sender's id. There is no order between different peers. Any message
/// may be lost: while the peer is unreachable, when its queue is full (the oldest queued are dropped), when its
/// connection breaks with messages in flight, or when it waited too long to be sent. The consensus core resends
/// what matters; nothing here retries.
/// </para>
/// <para>
/// Members are identified by their <see cref="ClusterMembers"/> ids. A message or snapshot for this node itself
/// or for an id that is not another member has nowhere to go: <see cref="Send"/> drops it,
/// <see cref="IsReachable"/> is false, and <see cref="SendSnapshotAsync"/> fails with
/// <see cref="ArgumentOutOfRangeException"/>.
/// </para>
/// <para>
/// Thread-safe: any number of threads may send at once. After <see cref="IAsyncDisposable.DisposeAsync"/>
/// (which stops the links and drops whatever is still queued), <see cref="Send"/> is a no-op,
/// <see cref="IsReachable"/> is false and <see cref="SendSnapshotAsync"/> fails with
/// <see cref="ObjectDisposedException"/>.
/// </para>
/// </remarks>
public interface IPeerTransport : IAsyncDisposable
{
    /// <summary>
    /// Queues <paramref name="message"/> for member <paramref name="peer"/>; one-way, never blocks, never throws
    /// for an unreachable or unknown peer (the message is dropped). The transport takes the message over and
    /// sets its <see cref="Wire.PeerMessage.To"/> to <paramref name="peer"/> (copying it first if it is already
    /// addressed to another member, so one instance may be sent to several peers); do not change it afterwards.
    /// </summary>
    void Send(int peer, Wire.PeerMessage message);

    /// <summary>
    /// True while messages to <paramref name="peer"/> are being carried: its link is up (for gRPC, the stream is
    /// open and its last write went through). While false, <see cref="Send"/> to it drops at once.
    /// </summary>
    bool IsReachable(int peer);

    /// <summary>
    /// Streams a snapshot through <paramref name="slot"/> to member <paramref name="peer"/>, chunk by chunk in
    /// order; completes once the receiver's <see cref="IPeerInbox.InstallSnapshotAsync"/> returned (the snapshot
    /// is durable there). Fails with <see cref="Grpc.Core.RpcException"/> when the peer cannot be reached
    /// (<see cref="Grpc.Core.StatusCode.Unavailable"/>) or refuses the snapshot (the status it threw), and with
    /// the exception of <paramref name="chunks"/> if reading them fails.
    /// </summary>
    Task SendSnapshotAsync(int peer, long slot, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken);
}
