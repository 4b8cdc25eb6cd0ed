using System.Collections.Concurrent;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Client;

/// <summary>A value with its key's numbers (see the .proto: they are etcd's mod_revision, create_revision and version).</summary>
/// <param name="Value">The value bytes.</param>
/// <param name="Revision">The cluster-wide revision of the write that stored this value; what compare-and-set compares.</param>
/// <param name="CreateRevision">The revision that created the key (after its last removal, if any).</param>
/// <param name="Version">The key's own count of sets: 1 at creation, +1 per set.</param>
public readonly record struct KvValue(ReadOnlyMemory<byte> Value, ulong Revision, ulong CreateRevision, ulong Version);

/// <summary>The answer to a remove: whether the key existed, and the revision of the removal.</summary>
public readonly record struct RemoveResult(bool Removed, ulong Revision);

/// <summary>
/// A client of a ReplicatedKv cluster. Safe for many concurrent callers: it sends to the leader it learnt from the
/// response headers (any member forwards if it guessed wrong), retries UNAVAILABLE and lost connections with
/// backoff until the call's deadline, and gives every write a request id so a retried write is applied once.
/// Each in-flight write borrows its own client id from a pool (the cluster remembers the latest request of each
/// client id, so one id must never carry two writes at once); ids are reused, so the cluster keeps few.
/// </summary>
public sealed partial class KvClient : IAsyncDisposable
{
    private const string LeaderUrlHeader = "rkv-leader-url";
    private readonly KvClientOptions _options;
    private readonly Endpoint[] _endpoints;
    private readonly ConcurrentQueue<Session> _sessions = new();
    private readonly ClientTls _tls;
    private int _leader;
    private int _nextSession;

    /// <summary>A client of the members in <paramref name="options"/>; it connects on first use.</summary>
    public KvClient(KvClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Endpoints.Count == 0)
        {
            throw new ArgumentException("at least one endpoint is needed", nameof(options));
        }

        _options = options;
        _tls = new ClientTls(options);
        _endpoints = options.Endpoints.Select(url => new Endpoint(url, Math.Max(1, options.ConnectionsPerEndpoint), _tls, options.DialTimeout)).ToArray();
    }

    /// <summary>Reads a key: its value and version, or null if it does not exist.</summary>
    public async Task<KvValue?> GetAsync(string key, ReadConsistency consistency = ReadConsistency.Linearizable, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var request = new GetRequest { Key = key, Consistency = consistency };
        var response = await CallAsync((client, options) => client.GetAsync(request, options), write: false, timeout, cancellationToken).ConfigureAwait(false);
        return response.Found ? new KvValue(response.Value.Memory, response.Revision, response.CreateRevision, response.Version) : null;
    }

    /// <summary>Whether a key exists.</summary>
    public async Task<bool> ContainsAsync(string key, ReadConsistency consistency = ReadConsistency.Linearizable, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var request = new ContainsRequest { Key = key, Consistency = consistency };
        var response = await CallAsync((client, options) => client.ContainsAsync(request, options), write: false, timeout, cancellationToken).ConfigureAwait(false);
        return response.Found;
    }

    /// <summary>
    /// Sets a key; with <paramref name="ifRevision"/> only if the key's modification revision is that (0: only if
    /// absent), else <see cref="VersionMismatchException"/>. Returns the revision of this write.
    /// </summary>
    public async Task<ulong> SetAsync(string key, ReadOnlyMemory<byte> value, ulong? ifRevision = null, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var session = TakeSession();
        try
        {
            return await SendSetAsync(key, value, session.Next(), ifRevision, timeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sessions.Enqueue(session);
        }
    }

    /// <summary>
    /// Sets a key under a request id the caller chose, so a write whose outcome was unknown can be sent again with
    /// the same id and is applied at most once (the cluster answers a repeat with the first result). The id's
    /// client id must not be one another writer uses at the same time, and its sequence must not go backwards.
    /// </summary>
    public Task<ulong> SetWithRequestIdAsync(string key, ReadOnlyMemory<byte> value, RequestId requestId, ulong? ifRevision = null, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        return SendSetAsync(key, value, requestId, ifRevision, timeout, cancellationToken);
    }

    private async Task<ulong> SendSetAsync(string key, ReadOnlyMemory<byte> value, RequestId requestId, ulong? ifRevision, TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        var request = new SetRequest { Key = key, Value = UnsafeByteOperations.UnsafeWrap(value), RequestId = requestId };
        if (ifRevision is { } v)
        {
            request.IfRevision = v;
        }

        var response = await CallAsync((client, options) => client.SetAsync(request, options), write: true, timeout, cancellationToken).ConfigureAwait(false);
        return response.Revision;
    }

    /// <summary>Removes a key; with <paramref name="ifRevision"/> only if the key's modification revision is that.</summary>
    public async Task<RemoveResult> RemoveAsync(string key, ulong? ifRevision = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var session = TakeSession();
        try
        {
            var request = new RemoveRequest { Key = key, RequestId = session.Next() };
            if (ifRevision is { } v)
            {
                request.IfRevision = v;
            }

            var response = await CallAsync((client, options) => client.RemoveAsync(request, options), write: true, timeout, cancellationToken).ConfigureAwait(false);
            return new RemoveResult(response.Removed, response.Revision);
        }
        finally
        {
            _sessions.Enqueue(session);
        }
    }

    /// <summary>One member's view of the cluster (<c>Cluster.Status</c>), from the given endpoint or the current leader guess.</summary>
    public async Task<StatusResponse> StatusAsync(Uri? endpoint = null, bool includeStateHash = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        // A member URL learnt from the cluster gets a connection for this call only, closed after it.
        var configured = endpoint is null ? _endpoints[Volatile.Read(ref _leader)] : _endpoints.FirstOrDefault(e => e.Url == endpoint);
        using var temporary = configured is null ? new Endpoint(endpoint!, 1, _tls, _options.DialTimeout) : null;
        var target = configured ?? temporary!;
        var deadline = DateTime.UtcNow + (timeout ?? _options.DefaultTimeout);
        try
        {
            return await new Cluster.ClusterClient(target.Channel()).StatusAsync(new StatusRequest { IncludeStateHash = includeStateHash },
                headers: AuthHeaders(), deadline: deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            if (await ClientTls.MismatchAsync(target.Url, ex, cancellationToken).ConfigureAwait(false) is { } mismatch)
            {
                throw mismatch;
            }

            throw new KvException($"{ShortUrl(target.Url)}: {Reason(ex)}", ex.StatusCode, ex);
        }
    }

    // A fresh collection per call: the gRPC runtime may add to the headers it is given.
    private Metadata? AuthHeaders() => _options.Token is { } token ? new Metadata { { "authorization", "Bearer " + token } } : null;

    private Session TakeSession() =>
        _sessions.TryDequeue(out var session) ? session : new Session($"{_options.ClientIdPrefix}-{Interlocked.Increment(ref _nextSession)}");

    private async Task<TResponse> CallAsync<TResponse>(Func<KeyValue.KeyValueClient, CallOptions, AsyncUnaryCall<TResponse>> call, bool write,
        TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var deadline = started + (timeout ?? _options.DefaultTimeout);
        var backoff = _options.MinBackoff;
        var maybeSent = false;
        var connected = false;
        var target = Volatile.Read(ref _leader);
        RpcException? last = null;
        while (true)
        {
            var endpoint = _endpoints[target];
            AsyncUnaryCall<TResponse>? pending = null;
            try
            {
                pending = call(new KeyValue.KeyValueClient(endpoint.Channel()), new CallOptions(AuthHeaders(), deadline, cancellationToken));
                var response = await pending.ResponseAsync.ConfigureAwait(false);
                LearnLeader(await pending.ResponseHeadersAsync.ConfigureAwait(false));
                return response;
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Internal
                && !cancellationToken.IsCancellationRequested)
            {
                last = ex;
                if (await ClientTls.MismatchAsync(endpoint.Url, ex, cancellationToken).ConfigureAwait(false) is { } mismatch)
                {
                    throw mismatch;
                }

                await TryLearnLeaderAsync(pending).ConfigureAwait(false);

                // Only a refused connection proves the request never left. A deadline proves nothing: a frozen
                // process's kernel accepts the connection and buffers the request, and it applies the write when it
                // wakes, whether or not that member ever answered this client before.
                maybeSent |= ex.StatusCode == StatusCode.DeadlineExceeded || !NeverSent(ex);
                connected |= !DialFailed(ex);
                if (!connected && DateTime.UtcNow - started >= _options.DialTimeout)
                {
                    // No member took a connection in all this time: nothing was sent, and waiting out the whole
                    // deadline would only make a down cluster slow to report.
                    throw new ClusterUnavailableException(
                        $"no member accepted a connection within the dial timeout of {_options.DialTimeout.TotalSeconds:0.###}s (last: {ShortUrl(endpoint.Url)}: {Reason(ex)})", ex);
                }

                if (DateTime.UtcNow + backoff >= deadline || ex.StatusCode == StatusCode.DeadlineExceeded)
                {
                    if (ex.StatusCode == StatusCode.DeadlineExceeded)
                    {
                        // The next call should not wait on the same silent member: start it at the next one.
                        Interlocked.CompareExchange(ref _leader, (target + 1) % _endpoints.Length, target);
                    }

                    throw write && maybeSent
                        ? new WriteOutcomeUnknownException($"no answer within the deadline; the write may or may not be applied (last: {ShortUrl(endpoint.Url)}: {Reason(ex)})", ex)
                        : new ClusterUnavailableException($"no member answered within the deadline (last: {ShortUrl(endpoint.Url)}: {Reason(ex)})", ex);
                }

                // A node that names the leader has told us where to go; otherwise try the next member.
                target = Volatile.Read(ref _leader) is var leader && leader != target ? leader : (target + 1) % _endpoints.Length;
                Volatile.Write(ref _leader, target);
                await Task.Delay(Jitter(backoff), cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
            {
                throw new VersionMismatchException(ex.Status.Detail, ex);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Aborted && write)
            {
                throw new WriteOutcomeUnknownException(Reason(ex), ex);
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new KvException(ex.Status.Detail, ex.StatusCode, last ?? ex);
            }
            finally
            {
                pending?.Dispose();
            }
        }
    }

    /// <summary>The member this client sends to first: the leader, once a response has named it.</summary>
    internal Uri LeaderGuess => _endpoints[Volatile.Read(ref _leader)].Url;

    // A failed call may still carry the leader's name in its headers (the server writes them before failing).
    private async Task TryLearnLeaderAsync<TResponse>(AsyncUnaryCall<TResponse>? pending)
    {
        if (pending is null)
        {
            return;
        }

        try
        {
            LearnLeader(await pending.ResponseHeadersAsync.ConfigureAwait(false));
        }
        catch (RpcException)
        {
            // No headers came back: the call failed before reaching a server.
        }
    }

    private void LearnLeader(Metadata headers)
    {
        var url = headers.GetValue(LeaderUrlHeader);
        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var leader))
        {
            return;
        }

        for (var i = 0; i < _endpoints.Length; i++)
        {
            if (Uri.Compare(_endpoints[i].Url, leader, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
            {
                Volatile.Write(ref _leader, i);
                return;
            }
        }
    }

    // A refused connection means the request never left: a write retried after it cannot be a duplicate.
    private static bool NeverSent(RpcException ex) => ex.Status.DebugException is
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } or
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } };

    // No connection was made: refused, or the connect itself timed out (a TimeoutException somewhere in the chain).
    private static bool DialFailed(RpcException ex)
    {
        if (NeverSent(ex))
        {
            return true;
        }

        for (var inner = ex.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Why a call failed, never empty: the server's detail, else the status code and the local error.</summary>
    internal static string Reason(RpcException ex)
    {
        // A local failure's detail is generic ("Error connecting to subchannel."): the socket error says which.
        var local = ex.Status.DebugException?.GetBaseException().Message;
        if (ex.Status.Detail is { Length: > 0 } detail)
        {
            return local is { Length: > 0 } && !detail.Contains(local, StringComparison.Ordinal) ? $"{detail} ({local})" : detail;
        }

        return local is { Length: > 0 } ? $"{ex.StatusCode}: {local}" : ex.StatusCode.ToString();
    }

    private static string ShortUrl(Uri url) => url.ToString().TrimEnd('/');

    private static TimeSpan Jitter(TimeSpan delay) => TimeSpan.FromTicks((long)(delay.Ticks * (0.5 + (Random.Shared.NextDouble() / 2))));

    /// <summary>Closes the connections; calls still in flight fail.</summary>
    public ValueTask DisposeAsync()
    {
        foreach (var endpoint in _endpoints)
        {
            endpoint.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A client id with its next sequence number; used by one write at a time.</summary>
    private sealed class Session(string clientId)
    {
        private ulong _sequence;

        public RequestId Next() => new() { ClientId = clientId, Sequence = ++_sequence };
    }

    /// <summary>A member's URL and a few channels (one HTTP/2 connection each) that calls rotate over.</summary>
    private sealed class Endpoint : IDisposable
    {
        private readonly GrpcChannel[] _channels;
        private int _next;

        public Endpoint(Uri url, int connections, ClientTls tls, TimeSpan connectTimeout)
        {
            Url = url;
            _channels = Enumerable.Range(0, connections).Select(_ => GrpcChannel.ForAddress(url, new GrpcChannelOptions
            {
                HttpHandler = tls.Configure(new SocketsHttpHandler
                {
                    EnableMultipleHttp2Connections = true,
                    KeepAlivePingDelay = TimeSpan.FromSeconds(10),
                    KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
                    ConnectTimeout = connectTimeout,
                }),
                MaxReceiveMessageSize = 64 << 20,
            })).ToArray();
        }

        public Uri Url { get; }

        public GrpcChannel Channel() => _channels[(int)((uint)Interlocked.Increment(ref _next) % (uint)_channels.Length)];

        public void Dispose()
        {
            foreach (var channel in _channels)
            {
                channel.Dispose();
            }
        }
    }
}
