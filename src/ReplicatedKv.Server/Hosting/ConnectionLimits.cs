using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Connections;

namespace ReplicatedKv.Server.Hosting;

/// <summary>
/// Caps the open connections of each listening port. A flood of idle connections then costs the node a bounded
/// number of file descriptors: each connection past the cap is closed as soon as it is accepted (and counted in
/// <c>rkv_connections_refused_total{port}</c>), so the other clients and the peers keep being served. Kestrel's own
/// <c>MaxConcurrentConnections</c> is one number for every port, which would let clients starve the peers.
/// </summary>
internal sealed class ConnectionLimits
{
    private readonly Counter<long> _refused;

    public ConnectionLimits(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _refused = meter.CreateCounter<long>("rkv.connections.refused", "{connection}",
            "Connections closed at once because their port already had its maximum open (max-client-connections, max-peer-connections)");
    }

    /// <summary>Connection middleware for one port: lets at most <paramref name="max"/> connections be open at once.</summary>
    public Func<ConnectionDelegate, ConnectionDelegate> For(string port, int max)
    {
        var open = 0;
        var tag = new KeyValuePair<string, object?>("port", port);
        return next => async connection =>
        {
            if (Interlocked.Increment(ref open) > max)
            {
                Interlocked.Decrement(ref open);
                _refused.Add(1, tag);

                // Returning without reading closes the socket: the cheapest answer to a connection we cannot afford.
                return;
            }

            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref open);
            }
        };
    }
}
