using System.Text;
using ReplicatedKv.Consensus;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Testing.Simulation;

// Liveness under partial connectivity (issue 21). Instead of the random faulty phase the run warms up, holds one
// LivenessShape fixed while the clients keep proposing, then heals; a probe command proposed through the node that
// reaches a majority must be decided within a few election timeouts, and the leader must not flap. The safety
// checks and the linearizability check run as in every simulation.
internal sealed partial class ClusterSimulator
{
    // ReplicaConfig's defaults for window, batch and entries per message, as real nodes run: the bounds are about
    // elections, and a one-slot window with a dozen clients queued ahead of a probe would measure throughput instead.
    // With 256 entries per message, a lag of 100 slots is recovered through the prepare itself, as on real nodes.
    private static readonly (int Window, int Batch, int PerMessage) LivenessSizes = (64, 1024, 256);

    // A hop takes at most one tick, as on real nodes (50 ms ticks, LAN hops far shorter). The bounds are tight: the
    // quorum-loss worst case is two timeouts to check-quorum, two of follower jitter and seven hops, so with hops of
    // up to 4 ticks about 2 seeds in 1000 took up to 5.3 election timeouts.
    private const int LivenessMaxDelay = 1;

    private readonly Dictionary<string, LivenessProbe> _probes = [];
    private long _probeSequence;

    private int ElectionTicks => _nodes[1].Config.Replica.ElectionTicks;

    /// <summary>Runs <see cref="SimulationOptions.Shape"/> and returns its figures. Throws <see cref="SimulationFailure"/>.</summary>
    public LivenessResult RunLiveness()
    {
        var shape = _options.Shape ?? throw new InvalidOperationException("RunLiveness needs SimulationOptions.Shape");
        LivenessResult result;
        try
        {
            WarmUp();
            var lag = ApplyShape(shape);
            var start = _now;
            var electionsAtStart = Elections;
            var (first, worst) = HoldShape(start + (LivenessRun.HoldTimeouts * ElectionTicks));
            var leaderChanges = Elections - electionsAtStart;
            if (leaderChanges > LivenessRun.MaxLeaderChanges)
            {
                Fail("liveness", $"{shape}: the leader changed {leaderChanges} times while the shape held (at most {LivenessRun.MaxLeaderChanges})");
            }

            var healed = DecideAfterHeal();
            result = new LivenessResult(shape, _seed, first - start, worst, leaderChanges, healed, lag);
            FaultyTicks = _now;
            Heal();
        }
        catch (InvariantViolationException e)
        {
            Fail("invariant", e.Message);
            throw;
        }

        CheckHistory();
        return result;
    }

    /// <summary>One tick of the healthy host loop: every node and due message handled, clients step, time moves.</summary>
    private void LivenessTick()
    {
        Quiesce();
        foreach (var client in _clients)
        {
            ClientStep(client);
        }

        Tick();
    }

    /// <summary>Runs with every link up until a leader has decided a few slots and every node votes.</summary>
    private void WarmUp()
    {
        var deadline = _now + _options.HealTicks;
        while (CurrentLeader() is not { } leader || leader.Core!.Replica.DecidedIndex < 3 || _nodes.Skip(1).Any(n => !n.Core!.Replica.IsVoter))
        {
            if (_now >= deadline)
            {
                Fail("liveness", $"no leader deciding within {_options.HealTicks} ticks of a healthy start");
            }

            LivenessTick();
        }
    }

    /// <summary>Cuts the shape's links and returns how far the node that reaches a majority lags.</summary>
    private long ApplyShape(LivenessShape shape)
    {
        var leader = CurrentLeader()!.Id;
        var followers = Enumerable.Range(1, _nodes.Length - 1).Where(id => id != leader).ToArray();
        var pick = _random.Pick(followers);
        switch (shape)
        {
            case LivenessShape.Chained:
                SetLink(leader, pick, up: false);
                break;
            case LivenessShape.QuorumLoss:
                CutAllBut(pick, except: 0);
                break;
            default:
                IsolateUntilBehind(pick);
                leader = CurrentLeader()?.Id ?? leader;
                CutAllBut(pick, except: leader);
                break;
        }

        var hub = HubNodes().Single();
        return _nodes.Skip(1).Max(n => n.Core!.Replica.DecidedIndex) - _nodes[hub].Core!.Replica.DecidedIndex;
    }

    /// <summary>
    /// Constrained election, first half: <paramref name="follower"/> is cut off while the others keep deciding,
    /// until it lags by <see cref="LivenessRun.ConstrainedLag"/> slots.
    /// </summary>
    private void IsolateUntilBehind(int follower)
    {
        for (var id = 1; id < _nodes.Length; id++)
        {
            SetLink(follower, id, up: false);
        }

        var deadline = _now + (20 * _options.HealTicks);
        while (_nodes.Skip(1).Max(n => n.Core!.Replica.DecidedIndex) - _nodes[follower].Core!.Replica.DecidedIndex < LivenessRun.ConstrainedLag)
        {
            if (_now >= deadline)
            {
                Fail("liveness", $"node {follower} did not fall {LivenessRun.ConstrainedLag} slots behind while cut off");
            }

            LivenessTick();
        }
    }

    /// <summary>Cuts every link except those of <paramref name="hub"/>, and cuts the hub's link to <paramref name="except"/> too (0: none).</summary>
    private void CutAllBut(int hub, int except)
    {
        for (var a = 1; a < _nodes.Length; a++)
        {
            for (var b = 1; b < _nodes.Length; b++)
            {
                _blocked[a, b] = a != b && ((a != hub && b != hub) || a == except || b == except);
            }
        }
    }

    private void SetLink(int a, int b, bool up)
    {
        _blocked[a, b] = !up && a != b;
        _blocked[b, a] = !up && a != b;
    }

    /// <summary>
    /// The nodes linked (both ways) to a majority of the other members: the ones a client may expect service through.
    /// A node with fewer links can only be served by a leader it may not reach, and a leader the hub prefers.
    /// </summary>
    private int[] HubNodes() =>
        [.. Enumerable.Range(1, _nodes.Length - 1).Where(a =>
            Enumerable.Range(1, _nodes.Length - 1).Count(b => b != a && !_blocked[a, b] && !_blocked[b, a]) > (_nodes.Length - 2) / 2)];

    /// <summary>Holds the shape until <paramref name="end"/>, one probe at a time through the hub; returns when the first was decided and the worst wait.</summary>
    private (long First, long Worst) HoldShape(long end)
    {
        var hub = HubNodes().Single();
        var bound = LivenessRun.DecideTimeouts * ElectionTicks;
        long first = -1, worst = 0;
        var probe = StartProbe(hub);
        while (_now < end)
        {
            LivenessTick();
            RetryProbe(probe);
            if (probe.DecidedAt is { } decided)
            {
                first = first < 0 ? decided : first;
                worst = Math.Max(worst, decided - probe.ProposedAt);
                probe = StartProbe(hub);
            }
            else if (_now - probe.ProposedAt > bound)
            {
                Fail("liveness", $"{_options.Shape}: a command proposed through node {hub} at tick {probe.ProposedAt} was not decided within {bound} ticks; {Roles()}");
            }
        }

        return (first, worst);
    }

    /// <summary>Every link back: a probe through every node at once, each decided within <see cref="LivenessRun.HealedDecideTimeouts"/>.</summary>
    private long DecideAfterHeal()
    {
        Array.Clear(_blocked);
        var start = _now;
        var bound = LivenessRun.HealedDecideTimeouts * ElectionTicks;
        var probes = Enumerable.Range(1, _nodes.Length - 1).Select(StartProbe).ToArray();
        while (probes.Any(p => p.DecidedAt is null))
        {
            if (_now - start > bound)
            {
                var waiting = string.Join(",", probes.Where(p => p.DecidedAt is null).Select(p => p.Node));
                Fail("liveness", $"{_options.Shape}: after the heal, commands proposed through nodes {waiting} were not decided within {bound} ticks; {Roles()}");
            }

            LivenessTick();
            foreach (var probe in probes)
            {
                RetryProbe(probe);
            }
        }

        return probes.Max(p => p.DecidedAt!.Value) - start;
    }

    /// <summary>A write on a key of its own, with a request id, so retrying it like a real client applies it once.</summary>
    private LivenessProbe StartProbe(int node)
    {
        var sequence = ++_probeSequence;
        var command = KvCommand.Set("probe" + sequence, Encoding.UTF8.GetBytes("p"), requestId: new RequestId("liveness-probe", (ulong)sequence));
        var text = Describe(command);
        _proposed.Add(text);
        var probe = new LivenessProbe(node, command, _now);
        _probes[text] = probe;
        SubmitProbe(probe);
        return probe;
    }

    /// <summary>A client that heard nothing for an election timeout tries the same node again, as KvClient would.</summary>
    private void RetryProbe(LivenessProbe probe)
    {
        if (probe.DecidedAt is null && _now - probe.SentAt >= ElectionTicks)
        {
            _nodes[probe.Node].Core!.Abandon(probe.Caller);
            SubmitProbe(probe);
        }
    }

    private void SubmitProbe(LivenessProbe probe)
    {
        probe.SentAt = _now;
        probe.Caller = ++_nextCaller;
        if (TakesInput(_nodes[probe.Node]))
        {
            _nodes[probe.Node].Core!.SubmitWrite(probe.Caller, probe.Command);
        }
    }

    /// <summary>Called for every slot the first time some replica applies it: marks the probes it carries decided.</summary>
    private void NoteProbesDecided(SlotValue value)
    {
        if (_probes.Count == 0)
        {
            return;
        }

        foreach (var command in value.Commands)
        {
            if (_probes.Remove(Describe(command), out var probe))
            {
                probe.DecidedAt = _now;
            }
        }
    }

    /// <summary>The leader with the highest ballot, if any node leads.</summary>
    private SimNode? CurrentLeader() =>
        _nodes.Skip(1).Where(n => n.Core?.Replica.Role == Role.Leader).MaxBy(n => n.Core!.Replica.Promised);

    private string Roles() =>
        string.Join(", ", _nodes.Skip(1).Select(n => $"{n.Id}:{n.Core!.Replica.Role}/leader={n.Core.Replica.LeaderId?.ToString() ?? "-"}/decided={n.Core.Replica.DecidedIndex}"));

    /// <summary>One probe command and the attempt now waiting at its node.</summary>
    private sealed class LivenessProbe(int node, KvCommand command, long proposedAt)
    {
        public int Node { get; } = node;

        public KvCommand Command { get; } = command;

        public long ProposedAt { get; } = proposedAt;

        public long SentAt { get; set; }

        public long Caller { get; set; }

        public long? DecidedAt { get; set; }
    }
}
