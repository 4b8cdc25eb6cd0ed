using Grpc.Core;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Client;

/// <summary>Cluster operations that must run at the leader: leader transfer (Cluster.TransferLeader).</summary>
public sealed partial class KvClient
{
    /// <summary>
    /// Asks the leader (found by asking the endpoints' status) to hand leadership to <paramref name="toNodeId"/>, and
    /// waits until that member leads. A refusal (not a voter, a transfer under way, the leader changed meanwhile)
    /// throws <see cref="KvException"/> with <see cref="StatusCode.FailedPrecondition"/>; a target that did not take
    /// over in time, with <see cref="StatusCode.Aborted"/>; no leader reachable, <see cref="ClusterUnavailableException"/>.
    /// </summary>
    public async Task<TransferLeaderResponse> TransferLeaderAsync(string toNodeId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(toNodeId);
        var leader = await FindLeaderAsync(timeout, cancellationToken).ConfigureAwait(false);
        return await AtEndpointAsync(leader, (cluster, headers) => cluster.TransferLeaderAsync(new TransferLeaderRequest { ToNodeId = toNodeId },
            headers, deadline: DateTime.UtcNow + (timeout ?? _options.DefaultTimeout), cancellationToken: cancellationToken).ResponseAsync,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs one Cluster call at <paramref name="url"/> (a configured endpoint's connection, or a temporary one for a URL
    /// learnt from the cluster) and turns its failure into the client's exceptions: a TLS mismatch, unavailable, or
    /// the status with its reason.
    /// </summary>
    private async Task<T> AtEndpointAsync<T>(Uri url, Func<Cluster.ClusterClient, Metadata?, Task<T>> call, CancellationToken cancellationToken)
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

            throw ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded
                ? new ClusterUnavailableException($"{ShortUrl(url)}: {Reason(ex)}", ex)
                : new KvException($"{ShortUrl(url)}: {Reason(ex)}", ex.StatusCode, ex);
        }
    }
}
