using System.Globalization;
using ReplicatedKv.Chaos.Cluster;

namespace ReplicatedKv.Chaos.Scenarios;

/// <summary>Every node, once healed and idle, reports the same applied slot and the same table hash.</summary>
internal static class ConvergenceCheck
{
    public sealed record Result(bool Converged, string Detail);

    public static async Task<Result> RunAsync(ChaosCluster cluster, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answers";
        while (true)
        {
            var views = await Task.WhenAll(cluster.Nodes.Select(n => cluster.StatusAsync(n, includeStateHash: true, cancellationToken))).ConfigureAwait(false);
            last = string.Join("; ", cluster.Nodes.Select((n, i) => views[i] is { } v
                ? string.Create(CultureInfo.InvariantCulture, $"{n.Id} applied {v.AppliedSlot} hash {Short(v.StateHash)}")
                : $"{n.Id} no answer"));
            if (views.All(v => v is not null) &&
                views.Select(v => v!.AppliedSlot).Distinct().Count() == 1 &&
                views.Select(v => v!.StateHash).Distinct(StringComparer.Ordinal).Count() == 1 &&
                views[0]!.StateHash.Length > 0)
            {
                return new Result(true, string.Create(CultureInfo.InvariantCulture,
                    $"all {views.Length} nodes at applied slot {views[0]!.AppliedSlot}, state hash {Short(views[0]!.StateHash)}"));
            }

            if (DateTime.UtcNow >= deadline)
            {
                return new Result(false, $"still different after {timeout.TotalSeconds:0} s: {last}");
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;
}
