using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using ReplicatedKv.Transport.Authentication;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Transport;

/// <summary>
/// The inbound half of the peer links: reads other nodes' streams and hands each batch to the node. The sender of
/// a stream is what its connection proves (<see cref="IPeerAuthenticator"/>), decided when it opens; a stream
/// that proves nothing, or a batch naming another sender or cluster, is refused, counted, the stream ended and
/// the event logged. A stranger is told only that it is refused, never this cluster's id.
/// </summary>
public sealed partial class PeerLinkService(ClusterMembers members, IPeerInbox inbox, PeerStreamLifetime lifetime, PeerLinkOptions options,
    TimeProvider time, IPeerAuthenticator authenticator, ILogger<PeerLinkService> logger)
    : Wire.PeerLink.PeerLinkBase
{
    public override async Task<Wire.StreamClosed> Stream(IAsyncStreamReader<Wire.PeerBatch> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        var sender = Admit(context);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.Closing);
        try
        {
            while (await NextBatchAsync(requestStream, context, ended.Token).ConfigureAwait(false))
            {
                Receive(requestStream.Current, sender, context);
            }
        }
        catch (OperationCanceledException) when (lifetime.Closing.IsCancellationRequested)
        {
        }

        return new Wire.StreamClosed();
    }

    /// <summary>
    /// Reads the next batch. What cannot be read is the sender's fault, not this node's: bytes that do not parse
    /// (gRPC's deserializer throws from here, and the protobuf runtime throws more than its own exception for some
    /// malformed lengths) end the stream with INVALID_ARGUMENT and a warning now and then; a lost connection just
    /// ends it. Left to gRPC, each would be an UNKNOWN status and an error with a stack trace.
    /// </summary>
    private async Task<bool> NextBatchAsync(IAsyncStreamReader<Wire.PeerBatch> requestStream, ServerCallContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await requestStream.MoveNext(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e is not InvalidProtocolBufferException)
        {
            // The connection went (the sender reset its stream, or this node is shutting down): nothing to refuse.
            return false;
        }
#pragma warning disable CA1031 // Whatever the deserializer throws for a sender's bytes is refused the same way.
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            if (Interlocked.Increment(ref _unreadableBatches) % 100 == 1)
            {
                Unreadable(logger, context.Peer, e.GetType().Name, e.Message, _unreadableBatches);
            }

            throw new RpcException(new Status(StatusCode.InvalidArgument, "malformed peer batch: it does not parse as a PeerBatch"));
        }
    }

    private void Receive(Wire.PeerBatch batch, PeerAuthentication sender, ServerCallContext context)
    {
        // The batch's client URL field is ignored: leader hints come from configuration, not from what a batch claims.
        var from = SenderOf(batch.ClusterId, batch.From, sender, context);
        members.RecordVersion(from, batch.FromVersion);

        // Checked before its age, so an over-size message is counted as such however long it took to arrive.
        if (PeerMessageLimits.DropOverLimit(batch, options.MaxEntryPayloadBytes) is var dropped and > 0)
        {
            for (var i = 0; i < dropped; i++)
            {
                inbox.Refused(PeerRefusals.OverLimit);
            }

            OverLimit(logger, members.NameOf(from), dropped, options.MaxEntryPayloadBytes);
        }

        // The stream-opening batch is empty and carries no time. Anything older than the bound is treated as lost.
        // Compared as "sent before the oldest time allowed", never as an age: "now - sent" overflows for a sent
        // time near long.MinValue and would make the oldest batch look fresh.
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (batch.Messages.Count > 0 && batch.SentUnixMs < now - (long)(options.MaxMessageAge / 2).TotalMilliseconds)
        {
            if (Interlocked.Increment(ref _staleBatches) % 100 == 1)
            {
                StaleBatch(logger, batch.Messages.Count, batch.From, (long)Math.Min((double)now - batch.SentUnixMs, long.MaxValue),
                    (long)(options.MaxMessageAge / 2).TotalMilliseconds, _staleBatches);
            }

            return;
        }

        inbox.Deliver(from, batch);
    }

    public override async Task<Wire.SnapshotInstalled> InstallSnapshot(IAsyncStreamReader<Wire.SnapshotChunk> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        var sender = Admit(context);
        if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "empty snapshot stream"));
        }

        var first = requestStream.Current;
        var from = SenderOf(first.ClusterId, first.From, sender, context);
        var slot = first.Slot;
        await inbox.InstallSnapshotAsync(from, slot, ReadChunks(first, requestStream, slot, context.CancellationToken), context.CancellationToken).ConfigureAwait(false);
        return new Wire.SnapshotInstalled { Slot = slot };
    }

    /// <summary>
    /// Tells a joining node the configuration in force here (the host's member view): whether it is listed, its id,
    /// and every member. The caller must belong to the cluster (<see cref="IPeerAuthenticator.AuthenticateJoiner"/>).
    /// </summary>
    public override Task<Wire.JoinResponse> Join(Wire.JoinRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var caller = authenticator.AuthenticateJoiner(context);
        if (caller.IsRefused)
        {
            throw Refuse(caller.Refusal!, caller.Detail!, context, StatusCode.Unauthenticated, "not authenticated as part of this cluster");
        }

        if (request.ClusterId != members.ClusterId)
        {
            throw Refuse(PeerRefusals.Unauthenticated, $"a join from '{request.NodeId}' named another cluster id", context, StatusCode.PermissionDenied, "not this cluster");
        }

        var response = new Wire.JoinResponse();
        foreach (var member in members.Members)
        {
            response.Members.Add(new Wire.JoinMember
            {
                Id = member.Id,
                NodeId = member.Name,
                PeerUrl = MemberPayload.Trim(member.PeerUrl),
                ClientUrl = member.ClientUrl ?? "",
                Voter = member.IsVoter,
            });
        }

        response.HighestMemberId = Math.Max(members.HighestId, members.Ids.DefaultIfEmpty(0).Max());
        if (members.TryGetId(request.NodeId, out var id))
        {
            response.Listed = true;
            response.MemberId = id;
        }

        return Task.FromResult(response);
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

    /// <summary>What the stream's connection proves about its sender; refuses the stream if it proves it is no member.</summary>
    private PeerAuthentication Admit(ServerCallContext context)
    {
        var sender = authenticator.Authenticate(context);
        if (sender.IsRefused)
        {
            throw Refuse(sender.Refusal!, sender.Detail!, context, StatusCode.Unauthenticated, "not authenticated as a member of this cluster");
        }

        return sender;
    }

    /// <summary>The member a batch comes from: the authenticated one, which the batch must name; without authentication, whom the batch names.</summary>
    private int SenderOf(string clusterId, string from, PeerAuthentication sender, ServerCallContext context)
    {
        if (sender.Verified)
        {
            // Proven when the stream opened, but members come and go: a stream from a member since removed ends here.
            if (!members.Contains(sender.MemberId))
            {
                throw Refuse(PeerRefusals.Unauthenticated, $"{members.NameOf(sender.MemberId)} is no longer a member", context, StatusCode.PermissionDenied,
                    "not a member of this cluster");
            }

            return clusterId == members.ClusterId && from == members.NameOf(sender.MemberId)
                ? sender.MemberId
                : throw Refuse(PeerRefusals.WrongSender, $"a stream authenticated as {members.NameOf(sender.MemberId)} sent a batch claiming to be '{from}'",
                    context, StatusCode.PermissionDenied, "the batch's sender is not the authenticated member");
        }

        if (clusterId != members.ClusterId)
        {
            throw Refuse(PeerRefusals.Unauthenticated, $"a batch from '{from}' named another cluster id", context, StatusCode.PermissionDenied, "not this cluster");
        }

        if (!members.TryGetId(from, out var id) || id == members.SelfId)
        {
            throw Refuse(PeerRefusals.UnknownSender, $"'{from}' is not another member of this cluster", context, StatusCode.PermissionDenied,
                "not another member of this cluster");
        }

        return id;
    }

    private RpcException Refuse(string reason, string detail, ServerCallContext context, StatusCode code, string answer)
    {
        inbox.Refused(reason);

        // A stranger can open streams as fast as it likes: the first refusal and every 100th after it are logged.
        if (Interlocked.Increment(ref _refusedStreams) % 100 == 1)
        {
            Refused(logger, context.Peer, reason, detail, _refusedStreams);
        }

        return new RpcException(new Status(code, answer));
    }

    private long _staleBatches;
    private long _unreadableBatches;
    private long _refusedStreams;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a batch of {Messages} messages from {From} sent {AgeMs} ms ago, past max-message-age/2 ({LimitMs} ms): clocks apart, or the network or a process stalled; {Count} batches dropped so far")]
    private static partial void StaleBatch(ILogger logger, int messages, string from, long ageMs, long limitMs, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused peer messages from {Address} ({Reason}): {Detail}; {Count} refused so far")]
    private static partial void Refused(ILogger logger, string address, string reason, string detail, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a peer batch from {Address} that does not parse ({Error}: {Detail}); {Count} so far")]
    private static partial void Unreadable(ILogger logger, string address, string error, string detail, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped {Count} messages from {From} holding an entry over {Limit} bytes, more than a log record holds")]
    private static partial void OverLimit(ILogger logger, string from, int count, long limit);
}
