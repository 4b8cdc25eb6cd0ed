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
        var target = _endpoints.FirstOrDefault(e => e.Url == leader);
        var temporary = target is null ? new Endpoint(leader, 1, _tls, _options.DialTimeout) : null;
        try
        {
            return await new Cluster.ClusterClient((target ?? temporary!).Channel()).TransferLeaderAsync(new TransferLeaderRequest { ToNodeId = toNodeId },
                headers: AuthHeaders(), deadline: DateTime.UtcNow + (timeout ?? _options.DefaultTimeout), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            if (await ClientTls.MismatchAsync(leader, ex, cancellationToken).ConfigureAwait(false) is { } mismatch)
            {
                throw mismatch;
            }

            throw ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded
                ? new ClusterUnavailableException($"{ShortUrl(leader)}: {Reason(ex)}", ex)
                : new KvException($"{ShortUrl(leader)}: {Reason(ex)}", ex.StatusCode, ex);
        }
        finally
        {
            temporary?.Dispose();
        }
    }
}
