using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Transport;

/// <summary>Where the peer service hands what arrives from other nodes, once sender and cluster are checked.</summary>
public interface IPeerInbox
{
    /// <summary>Takes the messages of one batch from member <paramref name="from"/>. Must not block.</summary>
    void Deliver(int from, Wire.PeerBatch batch);

    /// <summary>
    /// Receives a snapshot through <paramref name="slot"/> streamed by <paramref name="from"/> and installs it;
    /// returns once it is durable. Throws <see cref="Grpc.Core.RpcException"/> to refuse it.
    /// </summary>
    Task InstallSnapshotAsync(int from, long slot, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken);

    /// <summary>
    /// The peer service refused a stream, batch or message before it got here; <paramref name="reason"/> is a
    /// label of <see cref="Authentication.PeerRefusals"/>. Must not block. Ignored unless the inbox counts them.
    /// </summary>
    void Refused(string reason)
    {
    }
}
