using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using ReplicatedKv.Transport.Authentication;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Transport;

/// <summary>
/// The outbound half of the link to one peer: a bounded queue drained by one task into a long-lived client
/// stream, many messages per batch. Messages are fire-and-forget, like datagrams: while the peer is down they are
/// dropped (the consensus core resends what matters), and the stream reconnects with capped exponential backoff.
/// </summary>
public sealed partial class PeerLink : IAsyncDisposable
{
    private readonly ClusterMembers _members;
    private readonly int _peer;
    private readonly IPeerAuthenticator _authenticator;
    private readonly PeerLinkOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<Queued> _queue;
    private readonly TimeProvider _time;
    private readonly GrpcChannel _channel;
    private readonly Wire.PeerLink.PeerLinkClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private volatile bool _connected;

    // Backoff between attempts; back to the minimum once a stream opens, so a later drop reconnects at once.
    private TimeSpan _reconnectDelay;

    public PeerLink(ClusterMembers members, int peer, IPeerAuthenticator authenticator, PeerLinkOptions options, ILogger logger, TimeProvider? time = null, HttpMessageHandler? handler = null)
    {
        _time = time ?? TimeProvider.System;
        _members = members;
        _peer = peer;
        _authenticator = authenticator;
        _options = options;
        _logger = logger;
        _queue = Channel.CreateBounded<Queued>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        PeerUrl = members.PeerUrlOf(peer);
        _channel = GrpcChannel.ForAddress(PeerUrl, new GrpcChannelOptions
        {
            HttpHandler = handler ?? Tls.PeerTls.Apply(options.Tls, new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                KeepAlivePingDelay = TimeSpan.FromSeconds(5),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
                ConnectTimeout = TimeSpan.FromSeconds(2),
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            }),
            MaxSendMessageSize = options.MaxMessageBytes,
            MaxReceiveMessageSize = options.MaxMessageBytes,
        });
        _client = new Wire.PeerLink.PeerLinkClient(_channel);
        _pump = Task.Run(PumpAsync);
    }

    public int Peer => _peer;

    /// <summary>Where the link dials: the peer's URL when the link was opened.</summary>
    public Uri PeerUrl { get; }

    private string PeerName => _members.NameOf(_peer);

    /// <summary>True while the stream is open and its last write went through.</summary>
    public bool Reachable => _connected;

    /// <summary>Queues a message; never blocks. Dropped at once while the peer is unreachable.</summary>
    public void Send(Wire.PeerMessage message)
    {
        if (_connected)
        {
            _queue.Writer.TryWrite(new Queued(message, _time.GetTimestamp()));
        }
    }

    /// <summary>Streams a snapshot to the peer; completes when the peer has it durably, or throws.</summary>
    public async Task SendSnapshotAsync(long slot, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken)
    {
        try
        {
            using var call = _client.InstallSnapshot(_authenticator.HeadersFor(_peer), cancellationToken: cancellationToken);
            await foreach (var chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                await call.RequestStream.WriteAsync(new Wire.SnapshotChunk
                {
                    ClusterId = _members.ClusterId,
                    From = _members.SelfName,
                    Slot = slot,
                    Data = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(chunk),
                }, cancellationToken).ConfigureAwait(false);
            }

            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            await call.ResponseAsync.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            // A member that went away under a pooled connection shows as a broken pipe rather than a gRPC status:
            // to the caller it is the same thing, the member is unavailable.
            throw new RpcException(new Status(StatusCode.Unavailable, $"snapshot to {PeerName} failed: {ex.Message}", ex));
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Internal && ex.Status.DebugException is IOException or HttpRequestException &&
                                      !cancellationToken.IsCancellationRequested)
        {
            // The same from inside the gRPC client: a member stopping mid-call resets the HTTP/2 stream, which the
            // client reports as INTERNAL with the protocol error attached; no server ever answered INTERNAL.
            throw new RpcException(new Status(StatusCode.Unavailable, $"snapshot to {PeerName} failed: {ex.Status.Detail}", ex.Status.DebugException));
        }
    }

    private async Task PumpAsync()
    {
        _reconnectDelay = _options.MinReconnectDelay;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await RunStreamAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RpcException or IOException or HttpRequestException or InvalidOperationException or OperationCanceledException)
            {
                if (_stop.IsCancellationRequested)
                {
                    break;
                }

                if (_connected)
                {
                    LinkDown(_logger, PeerName, ex is RpcException rpc ? rpc.Status.Detail : ex.Message);
                }
            }

            SetDisconnected();
            try
            {
                await Task.Delay(Jitter(_reconnectDelay), _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            _reconnectDelay = TimeSpan.FromTicks(Math.Min(_reconnectDelay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
        }

        SetDisconnected();
    }

    private async Task RunStreamAsync()
    {
        // Fresh proof of who we are on every stream: the receiver refuses a reused one.
        using var call = _client.Stream(_authenticator.HeadersFor(_peer), cancellationToken: _stop.Token);
        var writer = call.RequestStream;

        // An empty batch opens the stream and proves the peer is there before anything is queued for it.
        await writer.WriteAsync(NewBatch(), _stop.Token).ConfigureAwait(false);
        _reconnectDelay = _options.MinReconnectDelay;
        if (!_connected)
        {
            _connected = true;
            LinkUp(_logger, PeerName);
        }

        var reader = _queue.Reader;
        var ended = call.ResponseAsync;
        while (true)
        {
            // Under load the queue is rarely empty when a write finishes: then take the next batch at once, without
            // a task and a WhenAny per batch. A peer that closed the stream meanwhile fails the next write.
            var waiting = reader.WaitToReadAsync(_stop.Token);
            if (!(waiting.IsCompletedSuccessfully ? waiting.Result : await WaitOrEndedAsync(waiting.AsTask(), ended).ConfigureAwait(false)))
            {
                return;
            }

            var batch = NewBatch();
            long bytes = 0;
            var maxWait = _options.MaxMessageAge / 2;
            while (batch.Messages.Count < _options.MaxBatchMessages && bytes < _options.MaxBatchBytes && reader.TryRead(out var queued))
            {
                // Past its age a message is dropped, as a slow network would lose it (see PeerLinkOptions.MaxMessageAge).
                var age = _time.GetElapsedTime(queued.EnqueuedAt);
                if (age <= maxWait)
                {
                    batch.Messages.Add(queued.Message);
                    bytes += queued.Message.CalculateSize();
                }
                else if (++_staleMessages % 100 == 1)
                {
                    StaleMessage(_logger, PeerName, (long)age.TotalMilliseconds, (long)maxWait.TotalMilliseconds, _staleMessages);
                }
            }

            if (batch.Messages.Count > 0)
            {
                batch.SentUnixMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
                await writer.WriteAsync(batch, _stop.Token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Waits for something to send, or throws once the peer closed the stream (restart, shutdown, or it refused us).</summary>
    private static async Task<bool> WaitOrEndedAsync(Task<bool> waiting, Task ended)
    {
        if (await Task.WhenAny(waiting, ended).ConfigureAwait(false) == ended)
        {
            await ended.ConfigureAwait(false);
            throw new IOException("peer closed the stream");
        }

        return await waiting.ConfigureAwait(false);
    }

    private Wire.PeerBatch NewBatch() => new()
    {
        ClusterId = _members.ClusterId,
        From = _members.SelfName,
        FromVersion = BuildVersion.Current,
    };

    private void SetDisconnected()
    {
        _connected = false;

        // Whatever queued up for a dead stream is stale by the time it reconnects: drop it, as a network would.
        while (_queue.Reader.TryRead(out _))
        {
        }
    }

    private static TimeSpan Jitter(TimeSpan delay) => TimeSpan.FromTicks((long)(delay.Ticks * (0.5 + (Random.Shared.NextDouble() / 2))));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _queue.Writer.TryComplete();
        try
        {
            await _pump.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _channel.Dispose();
        _stop.Dispose();
    }

    private readonly record struct Queued(Wire.PeerMessage Message, long EnqueuedAt);

    // Counted by the single sending loop only.
    private long _staleMessages;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a message to {Peer} that waited {AgeMs} ms to be sent, past max-message-age/2 ({LimitMs} ms): the link or this process stalled; {Count} dropped so far")]
    private static partial void StaleMessage(ILogger logger, string peer, long ageMs, long limitMs, long count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Peer link to {Peer} is up")]
    private static partial void LinkUp(ILogger logger, string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Peer link to {Peer} is down: {Reason}")]
    private static partial void LinkDown(ILogger logger, string peer, string reason);
}
