using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Client;

/// <summary>Backups: streaming a node's snapshot (Cluster.Snapshot) into a stream.</summary>
public sealed partial class KvClient
{
    /// <summary>
    /// Streams a backup file of one node's applied state into <paramref name="destination"/>: from
    /// <paramref name="endpoint"/> if given, else from the leader (found by asking the endpoints' status). Returns the
    /// bytes written. The bytes are not checked here: the file ends with a SHA-256 checksum that the caller must
    /// verify before trusting it (a transfer cut short simply ends early). The transfer has no deadline;
    /// <paramref name="timeout"/> bounds finding the leader and the wait for the first chunk.
    /// </summary>
    public async Task<long> SaveSnapshotAsync(Stream destination, Uri? endpoint = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var source = endpoint ?? await FindLeaderAsync(timeout, cancellationToken).ConfigureAwait(false);
        return await AtEndpointAsync(source, async (cluster, headers) =>
        {
            using var call = cluster.Snapshot(new SnapshotRequest(), headers: headers, cancellationToken: cancellationToken);
            long written = 0;
            using var firstChunk = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            firstChunk.CancelAfter(timeout ?? _options.DefaultTimeout);
            var first = true;
            while (await call.ResponseStream.MoveNext(first ? firstChunk.Token : cancellationToken).ConfigureAwait(false))
            {
                first = false;
                var data = call.ResponseStream.Current.Data.Memory;
                await destination.WriteAsync(data, cancellationToken).ConfigureAwait(false);
                written += data.Length;
            }

            return written;
        }, changesState: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The client URL of the leader: a configured endpoint that says it leads, else the leader URL one of them names.</summary>
    private async Task<Uri> FindLeaderAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        Uri? named = null;
        foreach (var endpoint in _endpoints)
        {
            try
            {
                var status = await StatusAsync(endpoint.Url, timeout: timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
                // A leader that is no longer a member (it removed itself and is handing over) takes no more requests.
                if (status.Role == NodeRole.Leader && status.MemberRole != MemberRole.None)
                {
                    return endpoint.Url;
                }

                if (named is null && Uri.TryCreate(status.LeaderClientUrl, UriKind.Absolute, out var url))
                {
                    named = url;
                }
            }
            catch (KvException ex)
            {
                errors.Add(ex.Message);
            }
        }

        return named ?? throw new ClusterUnavailableException(errors.Count > 0
            ? $"no leader found: {string.Join("; ", errors)}"
            : "no leader found: no endpoint leads or knows a leader");
    }
}
