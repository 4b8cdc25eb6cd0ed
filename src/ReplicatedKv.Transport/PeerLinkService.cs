using Grpc.Core;
using Microsoft.Extensions.Logging;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Transport;

/// <summary>
/// The inbound half of the peer links: reads other nodes' streams and hands each batch to the node. A batch from
/// another cluster or from a node not in the member list is refused, the stream ended, and the event logged.
/// </summary>
public sealed partial class PeerLinkService(ClusterMembers members, IPeerInbox inbox, PeerStreamLifetime lifetime, PeerLinkOptions options,
    TimeProvider time, ILogger<PeerLinkService> logger)
    : Wire.PeerLink.PeerLinkBase
{
    public override async Task<Wire.StreamClosed> Stream(IAsyncStreamReader<Wire.PeerBatch> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.Closing);
        try
        {
            while (await requestStream.MoveNext(ended.Token).ConfigureAwait(false))
            {
                Receive(requestStream.Current, context);
            }
        }
        catch (OperationCanceledException) when (lifetime.Closing.IsCancellationRequested)
        {
        }

        return new Wire.StreamClosed();
    }

    private void Receive(Wire.PeerBatch batch, ServerCallContext context)
    {
        var from = Authenticate(batch.ClusterId, batch.From, context);
        members.RecordClientUrl(from, batch.FromClientUrl);
        members.RecordVersion(from, batch.FromVersion);

        // The stream-opening batch is empty and carries no time. Anything older than the bound is treated as lost.
        if (batch.Messages.Count > 0 && time.GetUtcNow().ToUnixTimeMilliseconds() - batch.SentUnixMs > (long)(options.MaxMessageAge / 2).TotalMilliseconds)
        {
            if (Interlocked.Increment(ref _staleBatches) % 100 == 1)
            {
                StaleBatch(logger, batch.From, time.GetUtcNow().ToUnixTimeMilliseconds() - batch.SentUnixMs, _staleBatches);
            }

            return;
        }

        inbox.Deliver(from, batch);
    }

    public override async Task<Wire.SnapshotInstalled> InstallSnapshot(IAsyncStreamReader<Wire.SnapshotChunk> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "empty snapshot stream"));
        }

        var first = requestStream.Current;
        var from = Authenticate(first.ClusterId, first.From, context);
        var slot = first.Slot;
        await inbox.InstallSnapshotAsync(from, slot, ReadChunks(first, requestStream, slot, context.CancellationToken), context.CancellationToken).ConfigureAwait(false);
        return new Wire.SnapshotInstalled { Slot = slot };
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadChunks(Wire.SnapshotChunk first, IAsyncStreamReader<Wire.SnapshotChunk> stream, long slot,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return first.Data.Memory;
        while (await stream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var chunk = stream.Current;
            if (chunk.Slot != slot)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"snapshot chunk for slot {chunk.Slot} inside the stream for slot {slot}"));
            }

            yield return chunk.Data.Memory;
        }
    }

    private int Authenticate(string clusterId, string from, ServerCallContext context)
    {
        if (clusterId != members.ClusterId)
        {
            ForeignCluster(logger, from, clusterId, context.Peer);
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"cluster id '{clusterId}' is not this cluster's '{members.ClusterId}'"));
        }

        if (!members.TryGetId(from, out var id) || id == members.SelfId)
        {
            UnknownSender(logger, from, context.Peer);
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"'{from}' is not another member of this cluster"));
        }

        return id;
    }

    private long _staleBatches;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a batch from {From} sent {AgeMs} ms ago, past max-message-age/2 (clocks apart, or the network stalled); {Count} so far")]
    private static partial void StaleBatch(ILogger logger, string from, long ageMs, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused peer messages from {From} at {Address}: cluster id {ClusterId} is not ours")]
    private static partial void ForeignCluster(ILogger logger, string from, string clusterId, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused peer messages from {From} at {Address}: not another member of this cluster")]
    private static partial void UnknownSender(ILogger logger, string from, string address);
}
