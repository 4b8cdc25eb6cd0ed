using ScottPlot;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>
/// One PNG per workload: throughput (x) against p99 latency (y, log scale), one line per system, one point per client
/// count, labelled with it (ReplicatedKv's one-client point is the one through the leader). Further right is more throughput, lower is better tail latency: the best curve runs
/// low and far to the right; where a curve turns upward the system is saturated.
/// </summary>
internal static class ThroughputPlot
{
    private static readonly double[] LatencyTicks = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

    public static IReadOnlyList<string> Save(IReadOnlyList<SuiteRow> rows, string pathWithoutExtension)
    {
        var written = new List<string>();
        foreach (var workload in rows.Select(r => r.Workload).Distinct())
        {
            var plot = new Plot();
            plot.Title($"{workload}: throughput against p99 latency (labels: clients)");
            plot.XLabel("ops/s");
            plot.YLabel("p99 latency, ms (log scale)");
            foreach (var line in rows.Where(r => r.Workload == workload && r.Operations > 0 && r.Via != "follower").GroupBy(r => r.Label))
            {
                var points = line.OrderBy(r => r.Clients).ToArray();
                var xs = points.Select(p => p.OpsPerSecond).ToArray();
                var ys = points.Select(p => Math.Log10(Math.Max(p.P99Ms, 0.001))).ToArray();
                var scatter = plot.Add.Scatter(xs, ys);
                scatter.LegendText = line.Key;
                scatter.MarkerSize = 7;
                for (var i = 0; i < points.Length; i++)
                {
                    var text = plot.Add.Text(points[i].Clients.ToString(System.Globalization.CultureInfo.InvariantCulture), xs[i], ys[i]);
                    text.LabelFontSize = 10;
                    text.LabelFontColor = scatter.Color;
                }
            }

            // Log10 values on the axis, ticked at round milliseconds.
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            foreach (var ms in LatencyTicks)
            {
                ticks.AddMajor(Math.Log10(ms), ms.ToString("G", System.Globalization.CultureInfo.InvariantCulture));
            }

            plot.Axes.Left.TickGenerator = ticks;
            plot.ShowLegend(Edge.Right);
            var path = $"{pathWithoutExtension}-{workload}.png";
            plot.SavePng(path, 1000, 650);
            written.Add(path);
        }

        return written;
    }
}
