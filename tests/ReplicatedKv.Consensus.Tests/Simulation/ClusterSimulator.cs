using System.Text;

namespace ReplicatedKv.Consensus.Tests.Simulation;

/// <summary>
/// Drives a cluster of pure replicas from one seed: message delay, loss, duplication and reordering (a message
/// older than half the rejoin quarantine is dropped, as the rejoin rule requires), symmetric and one-way partitions, crashes that lose volatile state and unconfirmed writes, crashes that
/// lose the whole data directory (the node restarts empty, probing or rejoining as a learner), restarts,
/// snapshots, and clients that retry. A quarter of the seeds start a brand-new cluster in Probe mode.
/// Safety is checked on every applied slot and on every Ready of a non-voter; liveness after healing.
/// Everything random comes from the seed, so a failing seed replays exactly.
/// </summary>
internal sealed class ClusterSimulator
{
    private readonly SimulationOptions _options;
    private readonly ulong _seed;
    private readonly SimRandom _random;
    private readonly SimNode[] _nodes;
    private readonly SimClient[] _clients;
    private readonly PriorityQueue<SimEnvelope, (long At, ulong Order)> _network = new();
    private readonly bool[,] _blocked;
    private readonly Dictionary<long, SlotValue> _chosen = [];
    private readonly HashSet<string> _proposed = [];
    private readonly Dictionary<string, SimClient> _outstanding = [];
    private readonly Dictionary<long, long> _readFloor = [];
    private readonly double _dropRate;
    private readonly double _duplicateRate;
    private readonly int _maxDelay;
    private readonly int _compactEvery;
    private readonly bool _pipelinedHosts;
    private readonly double _stateLossShare;
    private readonly int _maxMessageAge;
    private long _now;
    private long _nextReadId;
    private long _maxChosenSlot;
    private bool _healing;

    public ClusterSimulator(SimulationOptions options, ulong seed)
    {
        _options = options;
        _seed = seed;
        _random = new SimRandom(seed);
        _dropRate = _random.Next(0, 20) / 100.0;
        _duplicateRate = _random.Next(0, 10) / 100.0;
        _maxDelay = _random.Next(0, 5);
        _compactEvery = _random.Next(3, 40);
        _pipelinedHosts = _random.Chance(0.5);
        var window = _random.Next(1, 9);
        var batch = _random.Next(1, 5);
        var perMessage = _random.Next(1, 17);

        // Half the seeds keep acceptors close to their decided index, where the storage bound bites.
        var slotsAhead = _random.Chance(0.5) ? window + _random.Next(0, 8) : 1 << 16;
        var probeStart = _random.Chance(0.25);
        _stateLossShare = options.StateLoss && _random.Chance(options.StateLossSeeds)
            ? _random.Next(1, 11) / 10.0 * options.MaxStateLossShare
            : 0;
        const int quarantine = 20;

        // The transport keeps the promise the rejoin rule rests on (DESIGN.md, assumption A): a message
        // older than half the quarantine is dropped, never delivered.
        _maxMessageAge = quarantine / 2;
        var members = Enumerable.Range(1, options.Nodes).ToArray();
        _nodes = new SimNode[options.Nodes + 1];
        for (var id = 1; id <= options.Nodes; id++)
        {
            var config = new ReplicaConfig
            {
                NodeId = id,
                Members = members,
                ElectionTicks = 10,
                HeartbeatTicks = 2,
                Window = window,
                MaxBatchCommands = batch,
                MaxEntriesPerMessage = perMessage,
                MaxSlotsAhead = slotsAhead,
                RandomSeed = seed * 1_000_003UL + (ulong)id,
                RejoinMode = probeStart ? RejoinMode.Probe : RejoinMode.Bootstrap,
                RejoinQuarantineTicks = quarantine,
#if RKV_FAULT_INJECTION
                Faults = options.Faults,
#endif
            };
            _nodes[id] = new SimNode(id, config) { Replica = new PaxosReplica(config) };
        }

        _clients = Enumerable.Range(1, options.Clients + _random.Next(0, 13)).Select(i => new SimClient(i)).ToArray();
        _blocked = new bool[options.Nodes + 1, options.Nodes + 1];
    }

    /// <summary>Slots some replica applied, by the value every replica must agree on.</summary>
    public IReadOnlyDictionary<long, SlotValue> Chosen => _chosen;

    /// <summary>Client commands applied at least once.</summary>
    public int CompletedCommands { get; private set; }

    /// <summary>Linearizable reads whose index was checked against earlier decisions.</summary>
    public int CheckedReads { get; private set; }

    public long Now => _now;

    /// <summary>Ticks spent in the faulty phase.</summary>
    public long FaultyTicks { get; private set; }

    /// <summary>Times some replica became leader.</summary>
    public int Elections { get; private set; }

    /// <summary>Crashes that lost a node's whole data directory.</summary>
    public int StateLosses { get; private set; }

    /// <summary>Times a replica went from probing or learning to voting.</summary>
    public int VotesGained { get; private set; }

    /// <summary>Runs the faulty phase, then heals and demands progress. Throws <see cref="SimulationFailure"/>.</summary>
    public void Run()
    {
        try
        {
            for (var step = 0; step < _options.Steps; step++)
            {
                FaultyStep();
            }

            FaultyTicks = _now;
            Heal();
        }
        catch (InvariantViolationException e)
        {
            // A replica that trips its own invariant has found a bug too: report it with the replay line.
            Fail("invariant", e.Message);
        }
    }

    /// <summary>
    /// One event. Time advances mostly when nothing else is due, as in a real cluster where a tick is long
    /// next to a message hop; faults are rare enough that elections can finish between them.
    /// </summary>
    private void FaultyStep()
    {
        var roll = _random.Next(0, 1000);
        switch (roll)
        {
            case < 420: DeliverOne(); break;
            case < 750: ProcessOneNode(); break;
            case < 900: ClientStep(_random.Pick(_clients)); break;
            case < 975: Tick(); break;
            case < 980 when _options.Crashes: CrashOrRestart(); break;
            case < 985 when _options.Partitions: ChangePartitions(); break;
            case < 995 when _options.Snapshots: Compact(_nodes[_random.Next(1, _nodes.Length)]); break;
            default: DeliverOne(); break;
        }
    }

    private void Heal()
    {
        _healing = true;
        Array.Clear(_blocked);

        // Liveness needs only a majority of voters: on some seeds up to f replicas stay down for good. A replica
        // that cannot vote yet (probing, learning, or one that would restart so) counts against the same budget:
        // it regains its vote only with a majority of voters up.
        var f = (_nodes.Length - 2) / 2;
        var impaired = Enumerable.Range(1, _nodes.Length - 1).Where(id => Impaired(_nodes[id])).ToHashSet();
        var stayDown = new HashSet<int>();
        for (var i = _random.Next(0, f + 1); i > 0; i--)
        {
            var pick = _random.Next(1, _nodes.Length);
            if (stayDown.Union(impaired).Append(pick).Distinct().Count() <= f)
            {
                stayDown.Add(pick);
            }
        }

        for (var id = 1; id < _nodes.Length; id++)
        {
            var node = _nodes[id];
            if (stayDown.Contains(id) && node.IsUp)
            {
                Crash(node);
            }
            else if (!stayDown.Contains(id) && !node.IsUp)
            {
                Restart(node);
            }
        }

        var deadline = _now + _options.HealTicks;
        while (_now < deadline)
        {
            Quiesce();
            if (IsSettled())
            {
                return;
            }

            foreach (var client in _clients)
            {
                ClientStep(client);
            }

            Tick();
        }

        var applied = string.Join(", ", _nodes.Skip(1).Select(n => $"{n.Id}:{n.Applied.Count}/{(n.Replica is { } r ? $"{r.Role}/{r.RejoinState}" : "down")}"));
        var pending = string.Join(", ", _outstanding.Keys);
        throw new SimulationFailure("liveness",
            $"no progress within {_options.HealTicks} ticks after healing: applied {applied}; outstanding [{pending}]");
    }

    /// <summary>Runs every node's loop and delivers every due message until nothing is left to do this tick.</summary>
    private void Quiesce()
    {
        for (var round = 0; round < 10_000; round++)
        {
            var busy = false;
            foreach (var node in _nodes.Skip(1))
            {
                while (node.IsUp && (node.Pending is not null || node.Replica!.HasReady))
                {
                    ProcessNode(node);
                    busy = true;
                }
            }

            while (_network.TryPeek(out _, out var due) && due.At <= _now)
            {
                DeliverOne();
                busy = true;
            }

            if (!busy)
            {
                return;
            }
        }
    }

    private bool IsSettled()
    {
        if (_outstanding.Count > 0)
        {
            return false;
        }

        foreach (var node in _nodes.Skip(1))
        {
            if (node.IsUp && (node.Applied.Count != _maxChosenSlot || !node.Replica!.IsVoter))
            {
                return false;
            }
        }

        return true;
    }

    private void Tick()
    {
        _now++;
        foreach (var node in _nodes.Skip(1))
        {
            if (TakesInput(node))
            {
                node.Replica!.Tick();
            }
        }
    }

    private void ProcessOneNode()
    {
        var start = _random.Next(1, _nodes.Length);
        for (var i = 0; i < _nodes.Length - 1; i++)
        {
            var node = _nodes[1 + ((start - 1 + i) % (_nodes.Length - 1))];
            if (node.IsUp && (node.Pending is not null || node.Replica!.HasReady))
            {
                ProcessNode(node);
                return;
            }
        }

        Tick();
    }

    /// <summary>
    /// One half of the host loop: take a Ready and send what may leave at once, or finish the pending one
    /// (make it durable, send the after-persist messages, apply, answer clients, Advance). Splitting the two lets
    /// a crash land between them, losing writes nobody has vouched for.
    /// </summary>
    private void ProcessNode(SimNode node)
    {
        var replica = node.Replica!;
        if (node.Pending is null)
        {
            if (!replica.HasReady)
            {
                return;
            }

            var wasVoter = replica.IsVoter;
            node.Pending = replica.GetReady();
            if (!wasVoter)
            {
                CheckNonVoterSilent(node, node.Pending);
            }

            foreach (var message in node.Pending.Messages)
            {
                Send(message.From, message.To, message, null);
            }

            return;
        }

        var ready = node.Pending;
        node.Pending = null;
        if (ready.SoftState is { Role: Role.Leader })
        {
            Elections++;
        }

        node.Disk.Persist(ready);
        foreach (var message in ready.MessagesAfterPersist)
        {
            Send(message.From, message.To, message, null);
        }

        foreach (var entry in ready.Decided)
        {
            Apply(node, entry);
        }

        foreach (var read in ready.ReadStates)
        {
            CheckRead(node, read);
        }

        foreach (var dropped in ready.DroppedProposals)
        {
            foreach (var command in dropped.Commands)
            {
                if (_outstanding.TryGetValue(Encoding.UTF8.GetString(command.Span), out var client))
                {
                    client.LeaderHint = dropped.LeaderHint;
                    client.RetryAt = _now + 1;
                }
            }
        }

        foreach (var peer in ready.SnapshotRequests)
        {
            if (node.Disk.SnapshotSlot > 0)
            {
                Send(node.Id, peer, null, new SimSnapshot(node.Disk.SnapshotSlot, node.Disk.SnapshotValues));
            }
        }

        var wasVoting = replica.IsVoter;
        replica.Advance();
        if (!wasVoting && replica.IsVoter)
        {
            VotesGained++;
        }
    }

    /// <summary>
    /// A replica that does not vote must never send anything a quorum could count or that speaks for a promise:
    /// no pre-vote answer, promise, acceptance, refusal or heartbeat acknowledgement; and, never leading, no decision.
    /// </summary>
    private void CheckNonVoterSilent(SimNode node, Ready ready)
    {
        foreach (var message in ready.Messages.Concat(ready.MessagesAfterPersist))
        {
            if (message is PrePromise or Promise or Accepted or Nack or HeartbeatAck or Decide)
            {
                Fail("non-voter silence", $"node {node.Id} ({node.Replica!.RejoinState}) sent {message.GetType().Name} to {message.To}");
            }
        }
    }

    /// <summary>The safety checks: in-order apply, agreement, validity.</summary>
    private void Apply(SimNode node, LogEntry entry)
    {
        if (entry.Slot != node.Applied.Count + 1)
        {
            Fail("order", $"node {node.Id} applied slot {entry.Slot} after slot {node.Applied.Count}");
        }

        RecordChosen(node.Id, entry.Slot, entry.Value);
        foreach (var command in entry.Value.Commands)
        {
            var text = Encoding.UTF8.GetString(command.Span);
            if (!_proposed.Contains(text))
            {
                Fail("validity", $"node {node.Id} applied '{text}' at slot {entry.Slot}, which no client proposed");
            }

            if (_outstanding.Remove(text, out var client))
            {
                client.Outstanding = null;
                CompletedCommands++;
            }
        }

        node.Applied.Add(entry.Value);
    }

    private void RecordChosen(int nodeId, long slot, SlotValue value)
    {
        if (_chosen.TryGetValue(slot, out var earlier))
        {
            if (!earlier.ContentEquals(value))
            {
                Fail("agreement", $"slot {slot} decided as {Describe(earlier)} and, at node {nodeId}, as {Describe(value)}");
            }

            return;
        }

        _chosen[slot] = value;
        _maxChosenSlot = Math.Max(_maxChosenSlot, slot);
    }

    /// <summary>A read index must cover every slot known decided anywhere before the read was asked for.</summary>
    private void CheckRead(SimNode node, ReadState read)
    {
        foreach (var id in read.RequestIds)
        {
            if (!_readFloor.Remove(id, out var floor))
            {
                continue;
            }

            if (read.Index < floor)
            {
                Fail("linearizable read", $"node {node.Id} answered read {id} at index {read.Index}, but slot {floor} was decided before it began");
            }

            CheckedReads++;
        }
    }

    private void ClientStep(SimClient client)
    {
        if (client.Outstanding is null)
        {
            if (_healing)
            {
                return;
            }

            if (_random.Chance(0.25))
            {
                IssueRead(client);
                return;
            }

            client.Sequence++;
            client.Outstanding = $"c{client.Id}-{client.Sequence}";
            _proposed.Add(client.Outstanding);
            _outstanding[client.Outstanding] = client;
            client.RetryAt = _now;
        }

        if (_now < client.RetryAt)
        {
            return;
        }

        var target = _nodes[client.LeaderHint ?? _random.Next(1, _nodes.Length)];
        if (!TakesInput(target))
        {
            client.LeaderHint = null;
            client.RetryAt = _now + 1;
            return;
        }

        var replica = target.Replica!;
        switch (replica.Propose(Encoding.UTF8.GetBytes(client.Outstanding)))
        {
            case RequestOutcome.Accepted:
                // Proposals vanish with a crashed leader: give up waiting after a while and retry.
                client.RetryAt = _now + 40 + _random.Next(0, 20);
                break;
            default:
                client.LeaderHint = replica.LeaderId is int leader && leader != target.Id ? leader : null;
                client.RetryAt = _now + _random.Next(1, 4);
                break;
        }
    }

    private void IssueRead(SimClient client)
    {
        var target = _nodes[client.LeaderHint ?? _random.Next(1, _nodes.Length)];
        if (!TakesInput(target))
        {
            return;
        }

        var id = ++_nextReadId;
        if (target.Replica!.ReadIndex(id) == RequestOutcome.Accepted)
        {
            _readFloor[id] = _maxChosenSlot;
        }
    }

    private void Send(int from, int to, PeerMessage? message, SimSnapshot? snapshot)
    {
        if (_random.Chance(_dropRate))
        {
            return;
        }

        var copies = _random.Chance(_duplicateRate) ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            _network.Enqueue(new SimEnvelope(from, to, message, snapshot, _now), (_now + _random.Next(0, _maxDelay + 1), _random.NextUInt64()));
        }
    }

    private void DeliverOne()
    {
        if (!_network.TryPeek(out _, out var due) || due.At > _now)
        {
            ProcessOneNode();
            return;
        }

        var envelope = _network.Dequeue();
        var node = _nodes[envelope.To];
        if (!node.IsUp || _blocked[envelope.From, envelope.To] || _now - envelope.SentAt > _maxMessageAge)
        {
            return;
        }

        var busy = envelope.Message is null ? !node.IsIdle : !TakesInput(node);
        if (busy)
        {
            // The host is busy with its disk; the message waits in its socket buffer.
            _network.Enqueue(envelope, (_now + 1, _random.NextUInt64()));
            return;
        }

        if (envelope.Message is not null)
        {
            var result = node.Replica!.Step(envelope.Message);
            if (result != PaxosReplica.StepResult.Handled)
            {
                Fail("transport", $"node {node.Id} refused a well-formed message: {result}");
            }
        }
        else
        {
            InstallSnapshot(node, envelope.Snapshot!);
        }
    }

    /// <summary>
    /// Whether the host loop feeds input to the replica now. A sequential host waits for its fsync; a
    /// pipelined host keeps stepping the replica while the previous Ready is being made durable, so the
    /// replica must never let anything depend on writes that are not yet confirmed.
    /// </summary>
    private bool TakesInput(SimNode node) => node.IsUp && (node.Pending is null || _pipelinedHosts);

    private void InstallSnapshot(SimNode node, SimSnapshot snapshot)
    {
        var replica = node.Replica!;
        if (!replica.WantsSnapshot(snapshot.Slot))
        {
            return;
        }

        for (var slot = 1; slot <= snapshot.Slot; slot++)
        {
            RecordChosen(node.Id, slot, snapshot.Values[slot - 1]);
        }

        node.Disk.Sync();
        node.Disk.SnapshotSlot = snapshot.Slot;
        node.Disk.SnapshotValues = snapshot.Values;
        node.Disk.TrimBelowSnapshot();
        node.Applied = [.. snapshot.Values];
        replica.InstallSnapshot(snapshot.Slot);
    }

    private void Compact(SimNode node)
    {
        if (!node.IsIdle || node.Applied.Count - node.Disk.SnapshotSlot < _compactEvery)
        {
            return;
        }

        // Saving a snapshot fsyncs the log behind it (the storage layer's snapshot marker does).
        node.Disk.Sync();
        node.Disk.SnapshotSlot = node.Applied.Count;
        node.Disk.SnapshotValues = node.Applied.ToArray();
        node.Disk.TrimBelowSnapshot();
        node.Replica!.Compact(node.Disk.SnapshotSlot);
    }

    private void CrashOrRestart()
    {
        var node = _nodes[_random.Next(1, _nodes.Length)];
        if (!node.IsUp)
        {
            Restart(node);
        }
        else if (_stateLossShare > 0 && _random.Chance(_stateLossShare) && MayLoseState(node))
        {
            LoseState(node);
        }
        else
        {
            Crash(node);
        }
    }

    /// <summary>
    /// The node's disk is gone: it restarts empty, told either that the cluster exists (Rejoin) or to find out
    /// (Probe). Counted against the f-failures budget until it votes again, so losses never outnumber what a
    /// majority survives.
    /// </summary>
    private void LoseState(SimNode node)
    {
        Crash(node);
        node.Disk = new SimDisk();
        node.Config = node.Config with { RejoinMode = _random.Chance(0.5) ? RejoinMode.Probe : RejoinMode.Rejoin };
        StateLosses++;
    }

    private bool MayLoseState(SimNode node)
    {
        var f = (_nodes.Length - 2) / 2;
        return _nodes.Skip(1).Count(other => other != node && Impaired(other)) < f;
    }

    /// <summary>
    /// True for a node that cannot vote now, or would not after a restart from its disk (a wiped disk, or one
    /// still flagged Rejoining, or a blank one under Probe): it needs a majority of voters to get its vote back.
    /// </summary>
    private static bool Impaired(SimNode node) =>
        (node.IsUp && !node.Replica!.IsVoter) || !new PaxosReplica(node.Config, node.Disk.ToPersistentState()).IsVoter;

    /// <summary>Loses the replica and the state machine; of the writes not yet fsynced, any prefix survives.</summary>
    private void Crash(SimNode node)
    {
        if (node.Pending is { } pending)
        {
            node.Disk.Write(pending);
            node.Pending = null;
        }

        node.Disk.KeepUnsynced(_random.Next(0, node.Disk.UnsyncedCount + 1));

        node.Replica = null;
        node.Applied = [];
    }

    private static void Restart(SimNode node)
    {
        node.Replica = new PaxosReplica(node.Config, node.Disk.ToPersistentState());
        node.Applied = [.. node.Disk.SnapshotValues];
    }

    private void ChangePartitions()
    {
        Array.Clear(_blocked);
        switch (_random.Next(0, 4))
        {
            case 0:
                return; // healed
            case 1:
                // Symmetric split into two sides.
                var side = new bool[_nodes.Length];
                for (var id = 1; id < _nodes.Length; id++)
                {
                    side[id] = _random.Chance(0.5);
                }

                for (var a = 1; a < _nodes.Length; a++)
                {
                    for (var b = 1; b < _nodes.Length; b++)
                    {
                        _blocked[a, b] = side[a] != side[b];
                    }
                }

                return;
            case 2:
                // One node isolated.
                var isolated = _random.Next(1, _nodes.Length);
                for (var id = 1; id < _nodes.Length; id++)
                {
                    _blocked[isolated, id] = _blocked[id, isolated] = id != isolated;
                }

                return;
            default:
                // One-way loss on a single link.
                var from = _random.Next(1, _nodes.Length);
                var to = _random.Next(1, _nodes.Length);
                _blocked[from, to] = from != to;
                return;
        }
    }

    private void Fail(string check, string detail) =>
        throw new SimulationFailure(check,
            $"{check} violated at tick {_now}, seed {_seed}: {detail}{Environment.NewLine}  replay: {_options.ReplayCommand(_seed)}");

    private static string Describe(SlotValue value) =>
        value.IsNoOp ? "no-op" : "[" + string.Join(",", value.Commands.Select(c => Encoding.UTF8.GetString(c.Span))) + "]";
}
