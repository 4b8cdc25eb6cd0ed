using System.Diagnostics;
using ReplicatedKv.Chaos.Cluster;

namespace ReplicatedKv.Chaos.Nemesis;

/// <summary>
/// Carries out a fault schedule against a running cluster: quiet, fault, heal, in turn, each step written to
/// schedule.txt. Nodes that exit without being told to are findings, noted as they are discovered.
/// </summary>
internal sealed class ChaosNemesis(ChaosCluster cluster, ScheduleLog log)
{
    /// <summary>Longest wait for an armed node to reach the log write that crashes it.</summary>
    private static readonly TimeSpan CrashWait = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan ReadyWait = TimeSpan.FromSeconds(30);
    private readonly List<string> _unexpectedExits = [];
    private readonly List<FaultWindow> _windows = [];
    private readonly List<Task<RestartTime?>> _restarts = [];

    public FaultCounts Injected { get; } = new();

    /// <summary>Nodes that exited on their own (a crash the harness did not cause), with their exit codes.</summary>
    public IReadOnlyList<string> UnexpectedExits => _unexpectedExits;

    /// <summary>When each fault was in force, from injection to heal, for the write-gap report.</summary>
    public IReadOnlyList<FaultWindow> Windows => _windows;

    public async Task RunAsync(IReadOnlyList<FaultPlan> plans, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(plans);
        foreach (var plan in plans)
        {
            Func<Task>? heal = null;
            var injectedAt = 0L;
            try
            {
                await Task.Delay(plan.QuietBefore, stop).ConfigureAwait(false);
                NoteUnexpectedExits();

                // A node restarted by the last heal may still be starting; faulting another one now could take down
                // a majority, so the quiet interval lasts until every node is ready again.
                if (!await cluster.WaitReadyAsync(ReadyWait, stop).ConfigureAwait(false))
                {
                    log.Event($"not every node ready {ReadyWait.TotalSeconds:0} s after the last heal; injecting anyway");
                }

                injectedAt = log.Nanos;
                (heal, var hold) = await InjectAsync(plan, stop).ConfigureAwait(false);
                await Task.Delay(hold, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            finally
            {
                if (heal is not null)
                {
                    await heal().ConfigureAwait(false);
                    _windows.Add(FaultWindow.Of(plan, injectedAt, log.Nanos, cluster.Network.CanPartition));
                }
            }
        }
    }

    /// <summary>
    /// How long each restart took from process start to ready (<c>/readyz</c> 200), measured beside the run; a node
    /// not ready within <see cref="ReadyWait"/> is left out (the next fault's readiness wait logs it).
    /// </summary>
    public async Task<IReadOnlyList<RestartTime>> RestartTimesAsync()
    {
        var times = await Task.WhenAll(_restarts).ConfigureAwait(false);
        return [.. times.OfType<RestartTime>()];
    }

    /// <summary>Flushes every partition rule, thaws paused nodes, restarts dead ones, and waits for a ready cluster.</summary>
    public async Task<bool> HealAllAsync(CancellationToken cancellationToken)
    {
        await cluster.Network.HealAsync().ConfigureAwait(false);
        NoteUnexpectedExits();
        foreach (var node in cluster.Nodes)
        {
            node.Resume();
            if (!node.IsRunning)
            {
                cluster.Start(node);
            }
        }

        var ready = await cluster.WaitReadyAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        var leader = await cluster.FindLeaderAsync(cancellationToken).ConfigureAwait(false);
        log.Event($"healed everything: {(ready ? "every node ready" : "NOT every node ready")}, leader {leader?.Id ?? "unknown"}");
        return ready;
    }

    public void NoteUnexpectedExits()
    {
        foreach (var node in cluster.Nodes.Where(n => n is { IsRunning: false, ExitExpected: false, Starts: > 0 }))
        {
            var line = $"{node.Id} (pid {node.Pid}) exited on its own with code {node.ExitCode}";
            if (!_unexpectedExits.Contains(line))
            {
                _unexpectedExits.Add(line);
                log.Event("FINDING: " + line);
            }
        }
    }

    /// <summary>Injects the fault; returns how to undo it and how long to hold it first.</summary>
    private async Task<(Func<Task> Heal, TimeSpan Hold)> InjectAsync(FaultPlan plan, CancellationToken stop)
    {
        var random = new Random(plan.Pick);
        var leader = await cluster.FindLeaderAsync(stop).ConfigureAwait(false);
        var targets = Targets(plan, leader, random);
        switch (plan.Kind)
        {
            case FaultKind.Kill:
                await Task.WhenAll(targets.Select(n => n.KillAsync())).ConfigureAwait(false);
                Injected.Add(FaultCounts.Key(FaultKind.Kill));
                log.Event($"fault #{plan.Number}: kill -9 {Describe(targets, leader)}");
                return (() => RestartAsync(plan, targets), plan.Duration);

            case FaultKind.RestartAll:
                var everyone = cluster.Nodes.Where(n => n.IsRunning).ToList();
                await Task.WhenAll(everyone.Select(n => n.KillAsync())).ConfigureAwait(false);
                Injected.Add(FaultCounts.Key(FaultKind.RestartAll));
                log.Event($"fault #{plan.Number}: kill -9 every node at once: {Describe(everyone, leader)}");
                return (() => RestartEveryoneAsync(plan, everyone, stop), plan.Duration);

            case FaultKind.Pause:
                foreach (var node in targets)
                {
                    node.Pause();
                }

                Injected.Add(FaultCounts.Key(FaultKind.Pause));
                log.Event($"fault #{plan.Number}: SIGSTOP {Describe(targets, leader)}");
                return (() => ResumeAsync(plan, targets), plan.Duration);

            case FaultKind.Partition:
                if (!cluster.Network.CanPartition)
                {
                    log.Event($"fault #{plan.Number}: partition skipped: {cluster.Network.Description}");
                    return (() => Task.CompletedTask, plan.Duration);
                }

                var partition = PartitionPlanner.Plan(plan.Shape, cluster.Nodes.Count, leader is null ? null : IndexOf(leader), plan.Targets, random);
                var hold = plan.Duration;
                if (partition.LeadIn is { } leadIn)
                {
                    await cluster.Network.CutAsync(leadIn).ConfigureAwait(false);
                    log.Event($"fault #{plan.Number}: partition {plan.Shape} lead-in, {leadIn.Count} links cut (leader was {leader?.Id ?? "unknown"})");
                    await Task.Delay(hold / 2, stop).ConfigureAwait(false);
                    hold -= hold / 2;
                }

                await cluster.Network.CutAsync(partition.Cuts).ConfigureAwait(false);
                Injected.Add(FaultCounts.Key(FaultKind.Partition));
                Injected.Add("partition:" + plan.Shape);
                log.Event($"fault #{plan.Number}: partition {plan.Shape} {partition.Description} (leader was {leader?.Id ?? "unknown"})");
                return (() => HealPartitionAsync(plan), hold);

            default:
                var crashed = await CrashInFsyncAsync(plan, targets[0], leader, stop).ConfigureAwait(false);
                return (() => RestartAsync(plan, crashed), crashed.Count > 0 ? plan.Duration : TimeSpan.Zero);
        }
    }

    private async Task<IReadOnlyList<ChaosNode>> CrashInFsyncAsync(FaultPlan plan, ChaosNode node, ChaosNode? leader, CancellationToken stop)
    {
        node.ExitExpected = true;
        var spec = "after:" + plan.FailpointAfter;
        var arming = await cluster.ArmFailpointAsync(node, FailpointNames.WalCrashMidBatch, spec, stop).ConfigureAwait(false);
        if (arming == FailpointArming.Refused)
        {
            node.ExitExpected = false;
            log.Event($"fault #{plan.Number}: {node.Id} refused to arm {FailpointNames.WalCrashMidBatch} (are failpoints enabled?)");
            return [];
        }

        log.Event(arming == FailpointArming.Armed
            ? $"fault #{plan.Number}: armed {FailpointNames.WalCrashMidBatch}={spec} on {Describe([node], leader)}"
            : $"fault #{plan.Number}: no answer arming {FailpointNames.WalCrashMidBatch}={spec} on {Describe([node], leader)}; treated as armed");
        bool crashed;
        try
        {
            crashed = await node.WaitForExitAsync(CrashWait, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The fault period ended while waiting: a node left armed would crash during the checks, unnoticed.
            await DisarmAsync(node).ConfigureAwait(false);
            log.Event($"fault #{plan.Number}: cut short by the end of the faults; {node.Id} disarmed");
            throw;
        }

        if (crashed)
        {
            Injected.Add(FaultCounts.Key(FaultKind.FsyncCrash));
            log.Event($"fault #{plan.Number}: {node.Id} crashed inside a log write (exit code {node.ExitCode})");
            return [node];
        }

        // No log write came in time (an idle or cut-off node): disarm, or it would crash at some random later moment.
        await DisarmAsync(node).ConfigureAwait(false);
        if (!node.IsRunning)
        {
            Injected.Add(FaultCounts.Key(FaultKind.FsyncCrash));
            log.Event($"fault #{plan.Number}: {node.Id} crashed inside a log write just before the disarm (exit code {node.ExitCode})");
            return [node];
        }

        log.Event($"fault #{plan.Number}: {node.Id} did not reach write {plan.FailpointAfter} in {CrashWait.TotalSeconds:0}s; disarmed");
        return [];
    }

    // Not cancellable: whoever stops the nemesis still needs the node disarmed. The HTTP call has its own timeout.
    private async Task DisarmAsync(ChaosNode node)
    {
        if (node.IsRunning)
        {
            await cluster.ArmFailpointAsync(node, FailpointNames.WalCrashMidBatch, "off", CancellationToken.None).ConfigureAwait(false);
        }

        // A crash that raced the disarm is still the failpoint's, not a finding.
        node.ExitExpected = !node.IsRunning;
    }

    private Task RestartAsync(FaultPlan plan, IReadOnlyList<ChaosNode> nodes)
    {
        foreach (var node in nodes.Where(n => !n.IsRunning))
        {
            cluster.Start(node);
            _restarts.Add(TimeRestartAsync(plan, node, Stopwatch.GetTimestamp(), whole: false));
            log.Event($"heal #{plan.Number}: restarted {node.Id} (pid {node.Pid})");
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Restarts every node together and holds the fault until all are ready, so the fault's window (and its write
    /// stall) runs from the power cut to a writable cluster.
    /// </summary>
    private async Task RestartEveryoneAsync(FaultPlan plan, IReadOnlyList<ChaosNode> nodes, CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var node in nodes.Where(n => !n.IsRunning))
        {
            cluster.Start(node);
            _restarts.Add(TimeRestartAsync(plan, node, Stopwatch.GetTimestamp(), whole: true));
        }

        log.Event($"heal #{plan.Number}: restarted every node: {string.Join(", ", nodes.Select(n => $"{n.Id} (pid {n.Pid})"))}");
        try
        {
            var ready = await cluster.WaitReadyAsync(ReadyWait, stop).ConfigureAwait(false);
            log.Event($"heal #{plan.Number}: {(ready ? "every node ready" : "NOT every node ready")} {Stopwatch.GetElapsedTime(started).TotalSeconds:0.00} s after the restart");
        }
        catch (OperationCanceledException)
        {
            // The run's fault time ended first; HealAllAsync waits for readiness.
        }
    }

    private async Task<RestartTime?> TimeRestartAsync(FaultPlan plan, ChaosNode node, long started, bool whole)
    {
        var elapsed = await cluster.TimeUntilReadyAsync(node, started, ReadyWait).ConfigureAwait(false);
        return elapsed is { } time ? new RestartTime(FaultCounts.Key(plan.Kind), node.Id, whole, time) : null;
    }

    private Task ResumeAsync(FaultPlan plan, IReadOnlyList<ChaosNode> nodes)
    {
        foreach (var node in nodes)
        {
            node.Resume();
        }

        log.Event($"heal #{plan.Number}: SIGCONT {string.Join(", ", nodes.Select(n => n.Id))}");
        return Task.CompletedTask;
    }

    private async Task HealPartitionAsync(FaultPlan plan)
    {
        await cluster.Network.HealAsync().ConfigureAwait(false);
        log.Event($"heal #{plan.Number}: partition healed");
    }

    /// <summary>Up to a minority of serving nodes: the leader first when the plan aims at it, the rest at random.</summary>
    private List<ChaosNode> Targets(FaultPlan plan, ChaosNode? leader, Random random)
    {
        var serving = cluster.Nodes.Where(n => n.IsServing).OrderBy(_ => random.Next()).ToList();
        if (plan.AtLeader && leader is not null && serving.Remove(leader))
        {
            serving.Insert(0, leader);
        }

        // Never take down a majority, counting nodes already down: the cluster must stay able to make progress.
        var down = cluster.Nodes.Count - serving.Count;
        var count = Math.Max(1, Math.Min(plan.Targets, ((cluster.Nodes.Count - 1) / 2) - down));
        return serving.Take(count).ToList();
    }

    private int IndexOf(ChaosNode node) => cluster.Nodes.ToList().IndexOf(node);

    private static string Describe(IEnumerable<ChaosNode> nodes, ChaosNode? leader) =>
        string.Join(", ", nodes.Select(n => $"{n.Id} (pid {n.Pid}{(n == leader ? ", leader" : "")})"));
}
