using System.Globalization;

namespace ReplicatedKv.Chaos.Nemesis;

/// <summary>One restart from process start to ready: after a fault of <see cref="Kind"/>, alone or with every node (<see cref="WholeCluster"/>).</summary>
internal sealed record RestartTime(string Kind, string Node, bool WholeCluster, TimeSpan Elapsed)
{
    /// <summary>"restart to ready: one node p50 1.20 s, max 2.31 s (4); whole cluster p50 ..." or null with none measured.</summary>
    public static string? Describe(IReadOnlyList<RestartTime> times)
    {
        ArgumentNullException.ThrowIfNull(times);
        if (times.Count == 0)
        {
            return null;
        }

        var parts = times
            .GroupBy(t => t.WholeCluster)
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var sorted = g.Select(t => t.Elapsed.TotalSeconds).Order().ToArray();
                return string.Create(CultureInfo.InvariantCulture,
                    $"{(g.Key ? "whole cluster" : "one node")} p50 {sorted[(sorted.Length - 1) / 2]:0.00} s, max {sorted[^1]:0.00} s ({sorted.Length})");
            });
        return "Restart to ready (process start to /readyz 200): " + string.Join("; ", parts);
    }
}
