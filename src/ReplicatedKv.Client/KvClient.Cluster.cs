using Grpc.Core;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Client;

/// <summary>Cluster operations that must run at the leader: leader transfer (Cluster.TransferLeader) and membership changes.</summary>
public sealed partial class KvClient
{
    // A refusal that names another leader is followed this many times: enough for a leader change or two in the
    // middle of one call, few enough that two nodes naming each other cannot keep a call bouncing.
    private const int MaxLeaderHops = 3;

    /// <summary>
    /// Asks the leader (found by asking the endpoints' status) to hand leadership to <paramref name="toNodeId"/>, and
    /// waits until that member leads. A refusal (not a voter, a transfer under way) throws <see cref="KvException"/>
    /// with <see cref="StatusCode.FailedPrecondition"/>; a target that did not take over in time, with
    /// <see cref="StatusCode.Aborted"/>; no leader reachable, <see cref="ClusterUnavailableException"/>.
    /// </summary>
    public Task<TransferLeaderResponse> TransferLeaderAsync(string toNodeId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(toNodeId);
        return AtLeaderAsync((cluster, options) => cluster.TransferLeaderAsync(new TransferLeaderRequest { ToNodeId = toNodeId }, options),
            changesState: false, timeout, cancellationToken);
    }

    /// <summary>
    /// Runs one Cluster call at the leader: found by asking the endpoints' status, and followed when the one asked
    /// refuses with FAILED_PRECONDITION because it no longer leads (its <c>rkv-leader-url</c> header names the leader,
    /// or a fresh look at the endpoints finds another). A refusal from the node that still leads stands. Only a
    /// refusal is retried: nothing was done, so asking the next leader cannot do it twice. For a call that
    /// changes the cluster (<paramref name="changesState"/>: a membership change), a failure after it may have
    /// reached the leader is <see cref="WriteOutcomeUnknownException"/>, not unavailable.
    /// </summary>
    private async Task<T> AtLeaderAsync<T>(Func<Cluster.ClusterClient, CallOptions, AsyncUnaryCall<T>> call, bool changesState, TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + (timeout ?? _options.DefaultTimeout);
        var leader = await FindLeaderAsync(timeout, cancellationToken).ConfigureAwait(false);
        for (var hop = 0; ; hop++)
        {
            Uri? hint = null;
            try
            {
                return await AtEndpointAsync(leader, async (cluster, headers) =>
                {
                    using var pending = call(cluster, new CallOptions(headers, deadline, cancellationToken));
                    try
                    {
                        return await pending.ResponseAsync.ConfigureAwait(false);
                    }
                    catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
                    {
                        hint = await LeaderHintAsync(pending).ConfigureAwait(false);
                        throw;
                    }
                }, changesState, cancellationToken).ConfigureAwait(false);
            }
            catch (KvException ex) when (ex.StatusCode == StatusCode.FailedPrecondition && hop < MaxLeaderHops && DateTime.UtcNow < deadline)
            {
                var next = hint ?? await LeaderOrNullAsync(deadline - DateTime.UtcNow, cancellationToken).ConfigureAwait(false);
                if (next is null || SameServer(next, leader))
                {
                    throw;
                }

                leader = next;
            }
        }
    }

    // Another look for the leader after a refusal; none found leaves the refusal as the answer.
    private async Task<Uri?> LeaderOrNullAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await FindLeaderAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (ClusterUnavailableException)
        {
            return null;
        }
    }

    // The leader a refusing node names in its response headers, if it staged them.
    private static async Task<Uri?> LeaderHintAsync<T>(AsyncUnaryCall<T> pending)
    {
        try
        {
            var url = (await pending.ResponseHeadersAsync.ConfigureAwait(false)).GetValue(LeaderUrlHeader);
            return Uri.TryCreate(url, UriKind.Absolute, out var leader) ? leader : null;
        }
        catch (RpcException)
        {
            return null;
        }
    }

    private static bool SameServer(Uri a, Uri b) =>
        Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    /// <summary>
    /// Runs one Cluster call at <paramref name="url"/> (a configured endpoint's connection, or a temporary one for a URL
    /// learnt from the cluster) and turns its failure into the client's exceptions: a TLS mismatch, unavailable (or,
    /// for a call that <paramref name="changesState"/>, outcome unknown once it may have been sent), or the status
    /// with its reason.
    /// </summary>
    private async Task<T> AtEndpointAsync<T>(Uri url, Func<Cluster.ClusterClient, Metadata?, Task<T>> call, bool changesState, CancellationToken cancellationToken)
    {
        var target = _endpoints.FirstOrDefault(e => e.Url == url);
        using var temporary = target is null ? new Endpoint(url, 1, _tls, _options.DialTimeout) : null;
        try
        {
            return await call(new Cluster.ClusterClient((target ?? temporary!).Channel()), AuthHeaders()).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            if (await ClientTls.MismatchAsync(url, ex, cancellationToken).ConfigureAwait(false) is { } mismatch)
            {
                throw mismatch;
            }

            var lost = ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded;
            if (changesState && ((lost && !NeverSent(ex)) || ex.StatusCode == StatusCode.Aborted) && !cancellationToken.IsCancellationRequested)
            {
                throw new WriteOutcomeUnknownException($"{ShortUrl(url)}: {Reason(ex)}; the change may or may not be applied (see the member list)", ex);
            }

            throw lost
                ? new ClusterUnavailableException($"{ShortUrl(url)}: {Reason(ex)}", ex)
                : new KvException($"{ShortUrl(url)}: {Reason(ex)}", ex.StatusCode, ex);
        }
    }
}
