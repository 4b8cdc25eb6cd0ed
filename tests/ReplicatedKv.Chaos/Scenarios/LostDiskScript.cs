using ReplicatedKv.Chaos.Cluster;
using ReplicatedKv.Chaos.Nemesis;
using ReplicatedKv.Chaos.Workload;
using ReplicatedKv.Testing.Checking;

namespace ReplicatedKv.Chaos.Scenarios;

/// <summary>
/// The deliberately unsafe run, there to prove the pipeline catches a real lost write on the real path (processes,
/// disks, clients, history, durability read-back, checker). A minority of followers is frozen while the leader and
/// the other followers acknowledge writes; then the leader and those followers die, one of them loses its data
/// directory and is restarted with <c>--initial-cluster-state new</c> (README: unsafe on a lost disk), and the frozen
/// followers are thawed. The new majority has never seen the writes acknowledged meanwhile, so reading every key back
/// must expose them as lost. It relies on no bug in the store, only on its documented unsafe setting. In
/// <see cref="ScenarioKind.LostDiskUnsafePartition"/> the minority is cut off by a partition instead of frozen (and
/// the partition healed instead of thawed): a partition that lets anything through hands the minority the writes,
/// the new majority recovers them, and the run passes where it must fail.
/// </summary>
internal static class LostDiskScript
{
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan WritesWhileFrozen = TimeSpan.FromSeconds(3);

    public static async Task RunAsync(ChaosCluster cluster, RunOptions options, HistoryRecorder history, ChaosNemesis nemesis, ScheduleLog schedule,
        RunReport report, CancellationToken cancellationToken)
    {
        using var stopWorkload = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workload = WorkloadRunner.RunAsync(cluster.ClientUrls, new KeySpace(options.Clients), history, new WorkloadOptions(options.Clients, options.Seed),
            stopWorkload.Token);
        var byPartition = options.Scenario == ScenarioKind.LostDiskUnsafePartition;
        List<ChaosNode> isolated, survivors;
        ChaosNode leader;
        try
        {
            await Task.Delay(Warmup, cancellationToken).ConfigureAwait(false);
            leader = await cluster.FindLeaderAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("no leader to aim the lost-disk script at");
            var followers = cluster.Nodes.Where(n => n != leader).ToList();
            var minority = (cluster.Nodes.Count - 1) / 2;
            isolated = followers.Take(minority).ToList();
            survivors = followers.Skip(minority).ToList();
            await IsolateAsync(cluster, isolated, byPartition).ConfigureAwait(false);
            nemesis.Injected.Add(byPartition ? "partition" : "pause");
            schedule.Event($"{(byPartition ? "cut off" : "SIGSTOP")} {Names(isolated)}; {leader.Id} (leader) and {Names(survivors)} go on acknowledging writes");
            await Task.Delay(WritesWhileFrozen, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stopWorkload.CancelAsync().ConfigureAwait(false);
            await workload.ConfigureAwait(false);
        }

        schedule.Event("workload stopped");
        report.Linearizability = await Task.Run(() => LinearizabilityChecker.Check(history.Snapshot(), TimeSpan.FromSeconds(60)), cancellationToken)
            .ConfigureAwait(false);

        await Task.WhenAll(survivors.Append(leader).Select(n => n.KillAsync())).ConfigureAwait(false);
        nemesis.Injected.Add("kill");
        var wiped = survivors[0];
        Directory.Delete(wiped.DataDir, recursive: true);
        nemesis.Injected.Add("lost-disk");
        schedule.Event($"kill -9 {leader.Id} (leader) and {Names(survivors)}; deleted {wiped.Id}'s data directory");

        // Older than --max-message-age by then: whatever the isolated nodes' sockets buffered is dropped, not learnt.
        await Task.Delay(cluster.Settings.MaxMessageAge + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        await RejoinAsync(cluster, isolated, byPartition).ConfigureAwait(false);
        cluster.Start(wiped, ["--initial-cluster-state", "new"]);
        schedule.Event($"{(byPartition ? "healed" : "SIGCONT")} {Names(isolated)}; restarted {wiped.Id} on an empty disk with --initial-cluster-state new (unsafe)");
        if (!await cluster.WaitReadyAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false))
        {
            report.Problems.Add($"{wiped.Id} and {Names(isolated)} did not form a cluster");
            return;
        }

        await using var harness = new FinalReads(cluster.ClientUrls, history, clientId: options.Clients);
        await ScenarioRunner.ReadBackAsync(harness, history, options, schedule, report).ConfigureAwait(false);
    }

    private static async Task IsolateAsync(ChaosCluster cluster, List<ChaosNode> isolated, bool byPartition)
    {
        if (byPartition)
        {
            var cut = isolated.Select(n => n.Address.Index).ToArray();
            var rest = cluster.Nodes.Select(n => n.Address.Index).Except(cut);
            await cluster.Network.CutAsync(LinkCut.Between(cut, rest).ToArray()).ConfigureAwait(false);
            return;
        }

        foreach (var node in isolated)
        {
            node.Pause();
        }
    }

    private static async Task RejoinAsync(ChaosCluster cluster, List<ChaosNode> isolated, bool byPartition)
    {
        if (byPartition)
        {
            await cluster.Network.HealAsync().ConfigureAwait(false);
            return;
        }

        foreach (var node in isolated)
        {
            node.Resume();
        }
    }

    private static string Names(IEnumerable<ChaosNode> nodes) => string.Join(", ", nodes.Select(n => n.Id));
}
