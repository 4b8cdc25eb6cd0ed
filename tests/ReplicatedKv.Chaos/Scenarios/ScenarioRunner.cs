using ReplicatedKv.Chaos.Cluster;
using ReplicatedKv.Chaos.Nemesis;
using ReplicatedKv.Chaos.Workload;
using ReplicatedKv.Testing.Checking;
using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos.Scenarios;

/// <summary>
/// One chaos run end to end: network and cluster up, workload and nemesis for the given time, heal, then the three
/// checks (linearizable, durable across a kill -9 of every node, converged), artifacts, summary.
/// </summary>
internal static class ScenarioRunner
{
    /// <summary>Clients keep going this long on the healed cluster: the history shows it serves again.</summary>
    private static readonly TimeSpan TailAfterHeal = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public static async Task<RunReport> RunAsync(RunOptions options, TextWriter console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        var clock = new RunClock();
        var artifacts = ArtifactFolder.Create(options);
        var report = new RunReport(options, artifacts.Path);
        await console.WriteLineAsync($"rkv-chaos: {options.Scenario.Name()} seed {options.Seed}, artifacts in {artifacts.Path}").ConfigureAwait(false);
        using (var schedule = new ScheduleLog(artifacts.SchedulePath, clock))
        {
            try
            {
                await RunClusterAsync(options, artifacts, report, schedule, clock, console, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                report.Problems.Add("the run was cancelled");
            }
            catch (InvalidOperationException ex)
            {
                report.Problems.Add(ex.Message);
            }
            catch (ArgumentException ex)
            {
                // The checker refuses a malformed history: a harness bug, reported like any other failed check.
                report.Problems.Add("the checker refused the history: " + ex.Message);
            }

            report.Duration = clock.Elapsed;
            schedule.Event(report.Passed ? "PASS" : "FAIL");
        }

        await FinishAsync(report, artifacts, console).ConfigureAwait(false);
        return report;
    }

    private static async Task RunClusterAsync(RunOptions options, ArtifactFolder artifacts, RunReport report, ScheduleLog schedule, RunClock clock,
        TextWriter console, CancellationToken cancellationToken)
    {
        schedule.Note($"rkv-chaos run --scenario {options.Scenario.Name()} --seed {options.Seed} --seconds {options.Seconds} --nodes {options.Nodes} --clients {options.Clients}");
        schedule.Note("replay: " + options.ReplayCommand);
        var binary = ServerBinary.Locate();
        await using var network = await ClusterNetwork.CreateAsync(options.Nodes, options.Network, console).ConfigureAwait(false);
        report.Network = network.Description;
        report.RunPrefix = network.Slot.Prefix;
        schedule.Note("network: " + network.Description);
        if (options.Scenario.NeedsPartitions() && !network.CanPartition)
        {
            report.Problems.Add($"the {options.Scenario.Name()} scenario needs partitions (namespaces or proxies), and this network has none: {network.Description}");
            return;
        }

        var settings = new NodeSettings { EnableFailpoints = options.Scenario.NeedsFailpoints() };
        var cluster = ChaosCluster.Create(network, binary, artifacts.NodesPath, settings, console);
        await using (cluster.ConfigureAwait(false))
        using (EmergencyCleanup.Register(cluster))
        {
            cluster.StartAll();
            if (!await cluster.WaitReadyAsync(StartTimeout, cancellationToken).ConfigureAwait(false))
            {
                report.Problems.Add($"the cluster was not ready {StartTimeout.TotalSeconds:0} s after starting (see nodes/*/node.log)");
                return;
            }

            schedule.Event("cluster ready: " + string.Join(", ", cluster.Nodes.Select(n => $"{n.Id} pid {n.Pid} at {n.Address.ClientUrl}")));
            var history = new HistoryRecorder(clock);
            var nemesis = new ChaosNemesis(cluster, schedule);
            report.ElectionTimeout = settings.TickInterval * settings.ElectionTicks;
            FaultWindow? loadWindow = null;
            if (options.Scenario.IsLostDisk())
            {
                await LostDiskScript.RunAsync(cluster, options, history, nemesis, schedule, report, cancellationToken).ConfigureAwait(false);
            }
            else if (options.Scenario == ScenarioKind.Load)
            {
                loadWindow = await LoadScript.RunAsync(cluster, options, history, schedule, clock, report, cancellationToken).ConfigureAwait(false);
                await CheckAsync(cluster, options, history, nemesis, schedule, report, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await RunFaultsAsync(cluster, options, history, nemesis, schedule, cancellationToken).ConfigureAwait(false);
                report.RestartTimes = await nemesis.RestartTimesAsync().ConfigureAwait(false);
                await CheckAsync(cluster, options, history, nemesis, schedule, report, cancellationToken).ConfigureAwait(false);
            }

            nemesis.NoteUnexpectedExits();
            report.Faults = nemesis.Injected;
            report.UnexpectedExits = nemesis.UnexpectedExits;
            report.Operations = new OperationStats(history.Snapshot().Where(o => o.Client < options.Clients));
            report.WriteGaps = WriteGaps.Measure(history.Snapshot().Where(o => o.Client < options.Clients),
                loadWindow is null ? nemesis.Windows : [.. nemesis.Windows, loadWindow]);
            await HistoryFile.WriteAsync(artifacts.HistoryPath, history.Snapshot(), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Workload and nemesis side by side for the run's seconds, then heal, then a short healthy tail.</summary>
    private static async Task RunFaultsAsync(ChaosCluster cluster, RunOptions options, HistoryRecorder history, ChaosNemesis nemesis, ScheduleLog schedule,
        CancellationToken cancellationToken)
    {
        var plans = NemesisSchedule.Plan(options.Scenario.Faults(cluster.Network.CanPartition), options.Seed, options.Nodes, TimeSpan.FromSeconds(options.Seconds));
        foreach (var plan in plans)
        {
            schedule.Note("plan " + plan);
        }

        using var stopWorkload = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopNemesis = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workload = WorkloadRunner.RunAsync(cluster.ClientUrls, new KeySpace(options.Clients), history, new WorkloadOptions(options.Clients, options.Seed),
            stopWorkload.Token);
        var faults = nemesis.RunAsync(plans, stopNemesis.Token);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(options.Seconds), cancellationToken).ConfigureAwait(false);
            await stopNemesis.CancelAsync().ConfigureAwait(false);
            await faults.ConfigureAwait(false);
            schedule.Event("faults over; healing everything");
            if (!await nemesis.HealAllAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException("the cluster did not become ready again after every fault was healed");
            }

            await Task.Delay(TailAfterHeal, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stopNemesis.CancelAsync().ConfigureAwait(false);
            await stopWorkload.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(faults, workload).ConfigureAwait(false);
        }

        schedule.Event("workload stopped");
    }

    /// <summary>Convergence after a barrier write, the run's history, then every key re-read after kill -9 of every node.</summary>
    private static async Task CheckAsync(ChaosCluster cluster, RunOptions options, HistoryRecorder history, ChaosNemesis nemesis, ScheduleLog schedule,
        RunReport report, CancellationToken cancellationToken)
    {
        await using var harness = new FinalReads(cluster.ClientUrls, history, clientId: options.Clients);
        if (!await harness.BarrierAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false))
        {
            report.Problems.Add("the barrier write after healing did not succeed within 30 s");
        }

        report.Convergence = await ConvergenceCheck.RunAsync(cluster, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        schedule.Event("convergence: " + report.Convergence.Detail);
        report.Linearizability = await CheckHistoryAsync(history.Snapshot(), options).ConfigureAwait(false);
        nemesis.NoteUnexpectedExits();

        schedule.Event("durability: kill -9 every node, then restart them all");
        await cluster.KillAllAsync().ConfigureAwait(false);
        cluster.StartAll();
        if (!await cluster.WaitReadyAsync(StartTimeout, cancellationToken).ConfigureAwait(false))
        {
            report.Problems.Add("the cluster was not ready again after the full restart");
            return;
        }

        await ReadBackAsync(harness, history, options, schedule, report).ConfigureAwait(false);
    }

    /// <summary>One linearizable read of every key, appended to the history, and the whole history checked again.</summary>
    internal static async Task ReadBackAsync(FinalReads harness, HistoryRecorder history, RunOptions options, ScheduleLog schedule, RunReport report)
    {
        var keys = history.Snapshot().Select(o => o.Key).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var unread = await harness.ReadEveryKeyAsync(keys, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        schedule.Event($"read back {keys.Length - unread.Count} of {keys.Length} keys");
        if (unread.Count > 0)
        {
            report.Problems.Add($"{unread.Count} keys could not be read back after the restart: {string.Join(", ", unread.Take(5))}");
        }

        report.Durability = await CheckHistoryAsync(history.Snapshot(), options).ConfigureAwait(false);
    }

    /// <summary>The checker is CPU-bound: off the caller's thread, with a budget that grows with the run.</summary>
    private static Task<LinearizabilityResult> CheckHistoryAsync(IReadOnlyList<Operation> operations, RunOptions options) =>
        Task.Run(() => LinearizabilityChecker.Check(operations, TimeSpan.FromSeconds(Math.Max(60, options.Seconds))));

    private static async Task FinishAsync(RunReport report, ArtifactFolder artifacts, TextWriter console)
    {
        var summary = report.Summary();
        var details = report.ViolationDetails();
        await File.WriteAllTextAsync(artifacts.SummaryPath, summary + Environment.NewLine + details).ConfigureAwait(false);
        await console.WriteLineAsync(summary).ConfigureAwait(false);
        if (report.Passed)
        {
            if (!report.Options.KeepArtifacts)
            {
                artifacts.KeepOnlySummary();
            }

            return;
        }

        await console.WriteAsync(details).ConfigureAwait(false);
        await console.WriteLineAsync($"artifacts (history.jsonl, schedule.txt, nodes/*/node.log, data): {artifacts.Path}").ConfigureAwait(false);
        await console.WriteLineAsync($"replay the schedule: {report.Options.ReplayCommand}").ConfigureAwait(false);
        await console.WriteLineAsync($"re-check the history: dotnet run --project tests/ReplicatedKv.Chaos -- check {artifacts.HistoryPath}").ConfigureAwait(false);
    }
}
