using ReplicatedKv.Chaos.Cluster;
using ReplicatedKv.Chaos.Nemesis;
using ReplicatedKv.Chaos.Workload;

namespace ReplicatedKv.Chaos.Scenarios;

/// <summary>
/// The <c>load</c> scenario's middle: the workload at full speed for the run's seconds and no fault at all. A healthy
/// cluster should keep its leader (issue 19: a busy machine's scheduling delays once cost one) and never stall
/// writes; the run counts the leader changes and measures the longest write stall, over the whole workload, as one
/// window that bounds the write pause like a fault that leaves a majority linked.
/// </summary>
internal static class LoadScript
{
    public const string WindowName = "none (load only)";

    public static async Task<FaultWindow> RunAsync(ChaosCluster cluster, RunOptions options, HistoryRecorder history, ScheduleLog schedule, RunClock clock,
        RunReport report, CancellationToken cancellationToken)
    {
        using var leaderChanges = new LeaderChangeCount(cluster);
        var before = await leaderChanges.ReadAsync(cancellationToken).ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var start = clock.Nanos;
        schedule.Event($"load: {options.Clients} clients for {options.Seconds} s, no faults");
        var workload = WorkloadRunner.RunAsync(cluster.ClientUrls, new KeySpace(options.Clients), history, new WorkloadOptions(options.Clients, options.Seed), stop.Token);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(options.Seconds), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await workload.ConfigureAwait(false);
        }

        var end = clock.Nanos;
        report.LeaderChanges = LeaderChangeCount.Between(before, await leaderChanges.ReadAsync(cancellationToken).ConfigureAwait(false));
        schedule.Event($"workload stopped; leader changes under load: {report.LeaderChanges?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "not measured"}");
        return new FaultWindow(0, WindowName, start, end, BoundsWritePause: true);
    }
}
