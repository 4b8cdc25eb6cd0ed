using ReplicatedKv.Consensus;
using System.Text;
using ReplicatedKv.NodeCore;
using ReplicatedKv.StateMachine;
using ReplicatedKv.Testing.Checking;
using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Testing.Simulation;

/// <summary>
/// Drives a cluster of node cores (the same routing code rkv-server runs, through the same <see cref="ReadyProcessor"/>) from one seed: message delay, loss, duplication and reordering (a message
/// older than half the rejoin quarantine is dropped, as the rejoin rule requires), symmetric and one-way partitions, crashes that lose volatile state and unconfirmed writes, crashes that
/// lose the whole data directory (the node restarts empty, probing or rejoining as a learner), restarts,
/// snapshots, and clients that behave like real ones (any node, deadlines, retries with request ids). A quarter of
/// the seeds start a brand-new cluster in Probe mode. Safety is checked on every applied slot and on every Ready of a
/// non-voter, the clients' history is checked for linearizability at the end, and liveness after healing.
/// Everything random comes from the seed, so a failing seed replays exactly.
/// </summary>
internal sealed partial class ClusterSimulator
{
    private readonly SimulationOptions _options;

    // Without message age, this share of the messages sent while the faults last is delayed up to AgeFreeMaxDelay.
    private const double AgeFreeLongDelayShare = 0.2;
    private readonly ulong _seed;
    private readonly SimRandom _random;
    private readonly SimNode[] _nodes;
    private readonly SimClient[] _clients;
    private readonly PriorityQueue<SimEnvelope, (long At, ulong Order)> _network = new();
    private readonly bool[,] _blocked;
    private readonly Dictionary<long, SlotValue> _chosen = [];
    private readonly HashSet<string> _proposed = [];
    private readonly Dictionary<long, SimClient> _callers = [];
    private readonly List<Operation> _history = [];
    private readonly double _dropRate;
    private readonly double _duplicateRate;
    private readonly int _maxDelay;
    private readonly int _compactEvery;
    private readonly bool _pipelinedHosts;
    private readonly double _stateLossShare;
    private readonly int _maxMessageAge;
    private readonly SimNetwork _networkTwin;
    private long _now;
    private long _clock;
    private long _nextCaller;
    private long _maxChosenSlot;
    private bool _healing;

    public ClusterSimulator(SimulationOptions options, ulong seed)
    {
        _options = options;
        _seed = seed;
        _random = new SimRandom(seed);
        _networkTwin = new SimNetwork(this);
        var dropRate = _random.Next(0, 20) / 100.0;

        // A liveness shape's cut links are its only loss: random loss would blur what the check measures.
        _dropRate = options.Shape is null ? dropRate : 0;
        _duplicateRate = _random.Next(0, 10) / 100.0;
        var maxDelay = _random.Next(0, 5);
        _maxDelay = options.Shape is null ? maxDelay : Math.Min(maxDelay, LivenessMaxDelay);
        _compactEvery = _random.Next(3, 40);
        _pipelinedHosts = _random.Chance(0.5);
        var window = _random.Next(1, 9);
        var batch = _random.Next(1, 5);
        var perMessage = _random.Next(1, 17);
        (window, batch, perMessage) = options.Shape is null ? (window, batch, perMessage) : LivenessSizes;

        // Half the seeds keep acceptors close to their decided index, where the storage bound bites.
        var slotsAhead = _random.Chance(0.5) ? window + _random.Next(0, 8) : 1 << 16;

        // With four voters a slot needs two followers: one lagging just past a tiny bound stalls every slot, and the
        // clients' retries then outrun what the leader decides. Membership runs keep some room.
        slotsAhead = options.Membership ? Math.Max(slotsAhead, window + 8) : slotsAhead;
        var ageFree = options.AgeFreeMaxDelay > 0;
        var probeStart = _random.Chance(0.25) && !ageFree;
        _stateLossShare = options.StateLoss && _random.Chance(options.StateLossSeeds)
            ? _random.Next(1, 11) / 10.0 * options.MaxStateLossShare
            : 0;
        var quarantine = ageFree ? 0 : 20;

        // The transport keeps the promise the rejoin rule rests on (DESIGN.md, assumption A): a message
        // older than half the quarantine is dropped, never delivered. Without age, incarnations do that job.
        _maxMessageAge = ageFree ? int.MaxValue : quarantine / 2;
        var members = Enumerable.Range(1, options.Nodes).ToArray();
        _nodes = new SimNode[options.Nodes + 1 + (options.Membership ? SpareNodes : 0)];
        _active.AddRange(members);
        for (var id = 1; id <= options.Nodes; id++)
        {
            var replica = new ReplicaConfig
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
                MaxPromotionLag = 8,
#if RKV_FAULT_INJECTION
                Faults = options.Faults,
#endif
            };
            var config = new NodeCoreConfig
            {
                Replica = replica,
                Incarnation = (uint)_random.Next(1, int.MaxValue),
#if RKV_FAULT_INJECTION
                Faults = options.NodeFaults,
#endif
            };
            _nodes[id] = new SimNode(id, config, NewDisk(id));
            if (options.StartRound > 0)
            {
                _nodes[id].Disk.Promise(new HardState(new Ballot(options.StartRound, 1), 0));
            }

            Start(_nodes[id]);
        }

        InitMembership();

        // Most clients send request ids, as KvClient does; some do not, so the no-duplicate rule is exercised too.
        _clients = Enumerable.Range(1, options.Clients + _random.Next(0, 13)).Select(i => new SimClient(i, !_random.Chance(0.25))).ToArray();
        _blocked = new bool[_nodes.Length, _nodes.Length];
    }

    /// <summary>Slots some replica applied, by the value every replica must agree on.</summary>
    /// <summary>Slots some replica applied, by the value every replica must agree on.</summary>
    public IReadOnlyDictionary<long, SlotValue> Chosen => _chosen;

    /// <summary>Client calls answered (writes applied and reads served) and recorded in the history.</summary>
    public int CompletedCalls { get; private set; }

    /// <summary>Client calls whose outcome stayed unknown (a write without request id past its deadline).</summary>
    public int UnknownCalls { get; private set; }

    /// <summary>The clients' history, as the linearizability checker read it.</summary>
    public IReadOnlyList<Operation> History => _history;

    public long Now => _now;

    /// <summary>Ticks spent in the faulty phase.</summary>
    public long FaultyTicks { get; private set; }

    /// <summary>Times some replica became leader.</summary>
    public int Elections { get; private set; }

    /// <summary>Crashes that lost a node's whole data directory.</summary>
    public int StateLosses { get; private set; }

    /// <summary>Times a replica went from probing or learning to voting.</summary>
    public int VotesGained { get; private set; }

    /// <summary>Runs the faulty phase, heals and demands progress, then checks the history. Throws <see cref="SimulationFailure"/>.</summary>
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

        CheckHistory();
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
            case < 995 when _options.Snapshots: Compact(_nodes[PickActiveId()]); break;
            case < 998 when _options.Membership: MembershipStep(); break;
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
        var f = FailureBudget;
        var impaired = _active.Where(id => Impaired(_nodes[id])).ToHashSet();
        var stayDown = new HashSet<int>();
        for (var i = _random.Next(0, f + 1); i > 0; i--)
        {
            var pick = PickActiveId();
            if (stayDown.Union(impaired).Append(pick).Distinct().Count() <= f)
            {
                stayDown.Add(pick);
            }
        }

        foreach (var id in _active)
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
            RetireRemoved();
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

        var applied = string.Join(", ", _active.Select(id => _nodes[id]).Select(n => $"{n.Id}:{n.Applied.Count}/{(n.Core is { } c ? $"{c.Replica.Role}/{c.Replica.RejoinState}{MembershipView(c)}{IncarnationView(c.Replica)}" : "down")}"));
        var pending = string.Join(", ", _clients.Where(c => c.Call is not null).Select(c => $"c{c.Id}@{c.Call!.Node}"));
        throw new SimulationFailure("liveness",
            $"no progress within {_options.HealTicks} ticks after healing, seed {_seed}: applied {applied}; calls waiting [{pending}]{Environment.NewLine}  replay: {_options.ReplayCommand(_seed)}");
    }

    /// <summary>The node's incarnation and the records it holds, when either is set (a lost disk happened).</summary>
    private static string IncarnationView(PaxosReplica replica) =>
        replica.Incarnation == 0 && replica.Incarnations.Records.Count == 0 ? "" : $" incarnation {replica.Incarnation:x} records {replica.Incarnations} promised {replica.Promised}";

    /// <summary>Runs every node's loop and delivers every due message until nothing is left to do this tick.</summary>
    private void Quiesce()
    {
        for (var round = 0; round < 10_000; round++)
        {
            var busy = false;
            foreach (var node in _nodes.Skip(1))
            {
                while (node.IsUp && (node.Pending is not null || node.Core!.HasReady))
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
        foreach (var client in _clients)
        {
            if (client.Call is not null)
            {
                return false;
            }
        }

        foreach (var node in _nodes.Skip(1))
        {
            if (node.IsUp && (node.Applied.Count != _maxChosenSlot || !node.Core!.Replica.IsVoter))
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
                node.Core!.Tick();
            }
        }
    }

    private void ProcessOneNode()
    {
        var start = _random.Next(1, _nodes.Length);
        for (var i = 0; i < _nodes.Length - 1; i++)
        {
            var node = _nodes[1 + ((start - 1 + i) % (_nodes.Length - 1))];
            if (node.IsUp && (node.Pending is not null || node.Core!.HasReady))
            {
                ProcessNode(node);
                return;
            }
        }

        Tick();
    }

    /// <summary>
    /// One half of the host loop, through the same <see cref="ReadyProcessor"/> the server uses: take a Ready and
    /// send what may leave at once, or finish the pending one (persist, send what vouches for it, apply, answer).
    /// Splitting the two lets a crash land between them, losing writes nobody has vouched for.
    /// </summary>
    private void ProcessNode(SimNode node)
    {
        if (node.Pending is null)
        {
            var wasVoter = node.Core!.Replica.IsVoter;
            node.Pending = node.Processor!.Begin();
            if (node.Pending is not null && !wasVoter)
            {
                CheckNonVoterSilent(node, node.Pending.Consensus);
            }

            return;
        }

        var ready = node.Pending;
        node.Pending = null;
        var wasVoting = node.Core!.Replica.IsVoter;

        // The slots this Ready applies are checked before the processor persists and applies them.
        foreach (var entry in ready.Consensus.Decided)
        {
            CheckDecided(node, entry);
        }

        if (ready.Consensus.SoftState is { Role: Role.Leader })
        {
            Elections++;
        }

        node.Processor!.Finish(ready);
        if (!wasVoting && node.Core.Replica.IsVoter)
        {
            VotesGained++;
        }
    }

    /// <summary>
    /// A replica that does not vote must never send anything a quorum could count or that speaks for a promise:
    /// no pre-vote answer, promise, acceptance, refusal or heartbeat acknowledgement.
    /// </summary>
    private void CheckNonVoterSilent(SimNode node, Ready ready)
    {
        foreach (var message in ready.Messages.Concat(ready.MessagesAfterPersist))
        {
            if (message is PrePromise or Promise or Accepted or Nack or HeartbeatAck or Decide)
            {
                Fail("non-voter silence", $"node {node.Id} ({node.Core!.Replica.RejoinState}) sent {message.GetType().Name} to {message.To}");
            }
        }
    }

    /// <summary>The safety checks on every slot a node is about to apply: in-order apply, agreement, validity.</summary>
    private void CheckDecided(SimNode node, LogEntry entry)
    {
        if (entry.Slot != node.Applied.Count + 1)
        {
            Fail("order", $"node {node.Id} applied slot {entry.Slot} after slot {node.Applied.Count}");
        }

        RecordChosen(node.Id, entry.Slot, entry.Value);
        if (Configuration.TryFrom(entry.Value, out _))
        {
            node.Applied.Add(entry.Value);
            return;
        }

        foreach (var command in entry.Value.Commands)
        {
            var text = Describe(command);
            if (!_proposed.Contains(text))
            {
                Fail("validity", $"node {node.Id} applied '{text}' at slot {entry.Slot}, which no client proposed");
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
        NoteProbesDecided(value);
        NoteChosenConfiguration(slot, value);
    }

    /// <summary>A client either starts a call or, past its attempt's deadline, gives up on that attempt.</summary>
    private void ClientStep(SimClient client)
    {
        if (client.Call is not { } call)
        {
            if (!_healing && _now >= client.IdleUntil)
            {
                StartCall(client);
            }

            return;
        }

        if (_now < call.Deadline)
        {
            return;
        }

        // The attempt timed out: the node may have crashed, lost the forward, or be cut off. Tell it (a deadline
        // reaching the server) and try elsewhere.
        var node = _nodes[call.Node];
        if (node.IsUp)
        {
            node.Core!.Abandon(call.Caller);
        }

        _callers.Remove(call.Caller);
        client.LeaderHint = null;
        if (call.Kind == OperationKind.Get || client.UsesRequestIds)
        {
            // Reads change nothing, and a write with a request id is applied once however often it is sent.
            Attempt(client, call);
        }
        else
        {
            Finish(client, call, OperationOutcome.Unknown, error: "deadline");
            UnknownCalls++;
        }
    }

    private void StartCall(SimClient client)
    {
        var key = "k" + _random.Next(0, _options.Keys);
        client.Sequence++;
        var requestId = client.UsesRequestIds ? new RequestId("client-" + client.Id, client.Sequence) : (RequestId?)null;
        var roll = _random.Next(0, 100);
        SimCall call;
        if (roll < 30)
        {
            call = new SimCall(++_clock, key, OperationKind.Get, null, null);
        }
        else if (roll < 40)
        {
            var command = KvCommand.Remove(key, requestId: requestId);
            _proposed.Add(Describe(command));
            call = new SimCall(++_clock, key, OperationKind.Remove, null, command);
        }
        else
        {
            var value = $"c{client.Id}-{client.Sequence}";
            var command = KvCommand.Set(key, Encoding.UTF8.GetBytes(value), requestId: requestId);
            _proposed.Add(Describe(command));
            call = new SimCall(++_clock, key, OperationKind.Set, value, command);
        }

        client.Call = call;
        Attempt(client, call);
    }

    /// <summary>Sends the call to the leader the client last heard of, or to any node, with a fresh deadline.</summary>
    private void Attempt(SimClient client, SimCall call)
    {
        var target = _nodes[client.LeaderHint ?? PickActiveId()];
        call.Attempts++;
        call.Node = target.Id;
        call.Caller = ++_nextCaller;
        call.Deadline = _now + 40 + _random.Next(0, 20);
        if (!TakesInput(target))
        {
            // Connection refused (or the host is stuck on its disk): the deadline takes care of it.
            return;
        }

        _callers[call.Caller] = client;
        if (call.Command is { } command)
        {
            target.Core!.SubmitWrite(call.Caller, command);
        }
        else
        {
            target.Core!.SubmitRead(call.Caller, call.Key, ReadKind.Get, linearizable: true);
        }
    }

    /// <summary>A node answered a caller: the call ends, or (refused for load) goes on elsewhere.</summary>
    private void OnAnswer(SimNode node, Answer answer)
    {
        if (!_callers.Remove(answer.Caller, out var client) || client.Call is not { } call || call.Caller != answer.Caller)
        {
            return;
        }

        client.LeaderHint = node.Core!.Replica.LeaderId;
        switch (answer.Kind)
        {
            case AnswerKind.ReadServed:
                var read = answer.Read;
                Finish(client, call, OperationOutcome.Ok, read.Found, read.Found ? Encoding.UTF8.GetString(read.Value.Span) : null, read.Version);
                break;
            case AnswerKind.WriteApplied when answer.Write.Status == CommandStatus.Ok:
                Finish(client, call, OperationOutcome.Ok, found: call.Kind == OperationKind.Remove, version: answer.Write.Version);
                break;
            case AnswerKind.WriteApplied when answer.Write.Status == CommandStatus.NotFound && call.Kind == OperationKind.Remove:
                Finish(client, call, OperationOutcome.Ok, found: false);
                break;
            case AnswerKind.WriteApplied:
                Fail("client", $"node {node.Id} answered {call.Kind} {call.Key} with {answer.Write.Status}");
                break;
            default:
                // Overloaded: nothing applied by this attempt, but an earlier one may have been; keep going.
                call.Deadline = _now;
                _callers[answer.Caller] = client;
                break;
        }
    }

    private void Finish(SimClient client, SimCall call, OperationOutcome outcome, bool found = false, string? readValue = null, ulong version = 0, string? error = null)
    {
        _history.Add(new Operation(_history.Count + 1, client.Id, call.Key, call.Kind, call.Value, null, call.InvokeTime,
            outcome == OperationOutcome.Unknown ? null : ++_clock, outcome, found, readValue, version, error));
        if (outcome == OperationOutcome.Ok)
        {
            CompletedCalls++;
        }

        client.Call = null;
        client.IdleUntil = _now + _random.Next(0, 3);
    }

    /// <summary>The clients' history must be linearizable: every call took effect at one instant between its invoke and return.</summary>
    private void CheckHistory()
    {
        var result = LinearizabilityChecker.Check(_history, TimeSpan.FromSeconds(20));
        if (result.Violations.Count > 0)
        {
            var violation = result.Violations[0];
            Fail("linearizability", $"key {violation.Key}: {violation.Explanation}");
        }

        if (result.TimedOut)
        {
            Fail("linearizability", "the check ran out of time: inconclusive (a history this small should never need that long)");
        }
    }

    private void Send(int from, int to, PeerMessage? message, RoutingMessage? routing, SimSnapshot? snapshot)
    {
        if (_random.Chance(_dropRate))
        {
            return;
        }

        // Consensus messages must survive duplicates (a resent accept, a retried catch-up). The transport itself
        // delivers at most once (IPeerTransport), which forwarded writes without a request id rely on.
        var copies = routing is null && _random.Chance(_duplicateRate) ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            var maxDelay = _options.AgeFreeMaxDelay > 0 && !_healing && _random.Chance(AgeFreeLongDelayShare) ? _options.AgeFreeMaxDelay : _maxDelay;
            _network.Enqueue(new SimEnvelope(from, to, message, routing, snapshot, _now), (_now + _random.Next(0, maxDelay + 1), _random.NextUInt64()));
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

        var busy = envelope.Snapshot is not null ? !node.IsIdle : !TakesInput(node);
        if (busy)
        {
            // The host is busy with its disk; the message waits in its socket buffer.
            _network.Enqueue(envelope, (_now + 1, _random.NextUInt64()));
            return;
        }

        var result = envelope.Message is not null ? node.Core!.Step(envelope.Message)
            : envelope.Routing is not null ? node.Core!.Step(envelope.Routing)
            : InstallSnapshot(node, envelope.Snapshot!);
        // Decided values from a member no longer followed or asked are refused by rule: a duplicated or late answer.
        // With membership changes, so is a request from a member the receiver does not know (removed, or added later).
        if (result is not (PaxosReplica.StepResult.Handled or PaxosReplica.StepResult.Unsolicited) &&
            !(result == PaxosReplica.StepResult.UnknownSender && _options.Membership))
        {
            Fail("transport", $"node {node.Id} refused a well-formed message: {result}");
        }
    }

    /// <summary>
    /// Whether the host loop feeds input to the core now. A sequential host waits for its fsync; a pipelined host
    /// keeps stepping the core while the previous Ready is being made durable, so the core must never let anything
    /// depend on writes that are not yet confirmed.
    /// </summary>
    private bool TakesInput(SimNode node) => node.IsUp && (node.Pending is null || _pipelinedHosts);

    private PaxosReplica.StepResult InstallSnapshot(SimNode node, SimSnapshot snapshot)
    {
        var core = node.Core!;
        if (!core.WantsSnapshot(snapshot.Slot))
        {
            return PaxosReplica.StepResult.Handled;
        }

        for (var slot = 1; slot <= snapshot.Slot; slot++)
        {
            RecordChosen(node.Id, slot, snapshot.Values[slot - 1]);
        }

        node.Disk.SaveSnapshot(snapshot.Slot, snapshot.Values, snapshot.Membership);
        node.Applied = [.. snapshot.Values];
        core.InstallSnapshot(snapshot.Slot, EnvelopedCommands.RestoreTable(snapshot.Values), snapshot.Membership);
        return PaxosReplica.StepResult.Handled;
    }

    private void Compact(SimNode node)
    {
        if (!node.IsIdle || node.Applied.Count - node.Disk.SnapshotSlot < _compactEvery)
        {
            return;
        }

        node.Disk.SaveSnapshot(node.Applied.Count, node.Applied.ToArray(), node.Core!.SnapshotMembership);
        node.Core!.SnapshotSaved(node.Disk.SnapshotSlot, keepEntries: 0);
    }

    private void CrashOrRestart()
    {
        var node = _nodes[PickActiveId()];
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
        node.Disk.Dispose();
        node.Disk = NewDisk(node.Id);

        // Distinct for every loss, as a random id would be, without drawing from the seed's random stream.
        node.DataIncarnation = ((ulong)(uint)node.Id << 32) | (uint)(StateLosses + 1);
        var probe = _random.Chance(0.5) && _options.AgeFreeMaxDelay == 0;
        node.Config = node.Config with { Replica = node.Config.Replica with { RejoinMode = probe ? RejoinMode.Probe : RejoinMode.Rejoin } };
        StateLosses++;
    }

    private bool MayLoseState(SimNode node)
    {
        var f = FailureBudget;
        return _active.Select(id => _nodes[id]).Count(other => other != node && Impaired(other)) < f;
    }

    /// <summary>
    /// True for a node that cannot vote now, or would not after a restart from its disk (a wiped disk, or one
    /// still flagged Rejoining, or a blank one under Probe): it needs a majority of voters to get its vote back.
    /// </summary>
    private static bool Impaired(SimNode node) =>
        (node.IsUp && !node.Core!.Replica.IsVoter) || node.Disk.DurableState is not { } durable || !new PaxosReplica(node.Config.Replica, durable).IsVoter;

    /// <summary>Loses the core and the state machine; of the writes not yet fsynced, what the disk's model allows survives.</summary>
    private void Crash(SimNode node)
    {
        node.Disk.Crash(node.Pending?.Consensus, _random, mayLoseDurable: MayLoseState(node));
        CheckRecovery(node);
        node.Pending = null;
        node.Core = null;
        node.Processor = null;
        node.Applied = [];
    }

    /// <summary>A new process on the node's disk: a new incarnation, the table rebuilt from the snapshot.</summary>
    private void Restart(SimNode node)
    {
        node.Config = node.Config with { Incarnation = (uint)_random.Next(1, int.MaxValue) };
        Start(node);
    }

    private void Start(SimNode node)
    {
        if (node.Disk.DurableState is not { } durable)
        {
            // The storage refused to start: the node is down for good, like a host whose operator must step in.
            return;
        }

        if (durable.HardState.Incarnation == 0 && node.DataIncarnation != 0)
        {
            // The host reads the directory's incarnation before the core starts (the storage need not hold it yet).
            durable = durable with { HardState = durable.HardState with { Incarnation = node.DataIncarnation } };
        }

        node.Core = new NodeCore.NodeCore(node.Config, durable, EnvelopedCommands.RestoreTable(node.Disk.SnapshotValues));
        node.Processor = new ReadyProcessor(node.Core, new TwinHost(node.Id, node.Disk, _networkTwin));
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
        value.IsNoOp ? "no-op" : Configuration.TryFrom(value, out var configuration) ? $"configuration {configuration}"
        : "[" + string.Join(",", value.Commands.Select(Describe)) + "]";

    private static string Describe(ReadOnlyMemory<byte> envelope) =>
        EnvelopedCommands.TryDecode(envelope, out var command) ? Describe(command) : "undecodable";

    private static string Describe(in KvCommand command) =>
        $"{command.Kind} {command.Key}={Encoding.UTF8.GetString(command.Value.Span)} {command.RequestId?.ToString() ?? "-"}";

    /// <summary>The simulated network as every node's <see cref="TwinHost"/> sees it (each node's disk is its own <see cref="SimDisk"/>).</summary>
    private sealed class SimNetwork(ClusterSimulator simulator) : INetworkTwin
    {
        public void Send(PeerMessage message) => simulator.Send(message.From, message.To, message, null, null);

        public void Send(RoutingMessage message) => simulator.Send(message.From, message.To, null, message, null);

        public void SendSnapshot(int from, int to)
        {
            var disk = simulator._nodes[from].Disk;
            if (disk.SnapshotSlot > 0)
            {
                simulator.Send(from, to, null, null, new SimSnapshot(disk.SnapshotSlot, disk.SnapshotValues, disk.SnapshotMembership));
            }
        }

        public void Answer(int node, IReadOnlyList<Answer> answers)
        {
            foreach (var answer in answers)
            {
                if (simulator.OnMembershipAnswer(answer))
                {
                    continue;
                }

                simulator.OnAnswer(simulator._nodes[node], answer);
            }
        }
    }
}
