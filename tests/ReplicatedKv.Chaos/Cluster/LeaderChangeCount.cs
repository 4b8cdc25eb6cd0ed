using System.Globalization;

namespace ReplicatedKv.Chaos.Cluster;

/// <summary>
/// How many times the nodes saw the leader change, from their /metrics (rkv_leader_changes_total counts each new
/// leader a node learns of). Read before and after a stretch of the run: the most any node counted in between is the
/// number of leader changes (every node sees each one, unless it was cut off or down, which only lowers its count).
/// </summary>
internal sealed class LeaderChangeCount(ChaosCluster cluster) : IDisposable
{
    private const string Counter = "rkv_leader_changes_total";
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>Each serving node's count now; a node that does not answer is left out.</summary>
    public async Task<IReadOnlyDictionary<string, long>> ReadAsync(CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var node in cluster.Nodes.Where(n => n.IsServing))
        {
            try
            {
                var text = await _http.GetStringAsync(new Uri(node.Address.AdminUrl, "/metrics"), cancellationToken).ConfigureAwait(false);
                counts[node.Id] = Parse(text);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
            }
        }

        return counts;
    }

    /// <summary>The most changes any node counted between <paramref name="before"/> and <paramref name="after"/>; null if no node answered both times.</summary>
    public static long? Between(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var deltas = after.Where(a => before.ContainsKey(a.Key)).Select(a => a.Value - before[a.Key]).ToArray();
        return deltas.Length == 0 ? null : deltas.Max();
    }

    /// <summary>The counter's value in a Prometheus text page (0 when the node has not counted any change yet).</summary>
    public static long Parse(string metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        long total = 0;
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(Counter, StringComparison.Ordinal) && line.Length > Counter.Length && line[Counter.Length] is ' ' or '{')
            {
                // name{labels} value [timestamp]: the value is the first word after the labels.
                var rest = line[(line[Counter.Length] == '{' ? line.IndexOf('}', StringComparison.Ordinal) + 1 : Counter.Length)..];
                var value = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                total += (long)double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    public void Dispose() => _http.Dispose();
}
