using System.Runtime.InteropServices;

namespace ReplicatedKv.Consensus;

// The leader's proposer: batching client commands into slots, pipelining phase 2, counting acceptances.
public sealed partial class PaxosReplica
{
    private readonly Queue<ReadOnlyMemory<byte>> _queue = new();
    private readonly Dictionary<long, InFlightSlot> _inFlight = [];
    private long _nextSlot;
    private long _recoveryEnd;
    private int _heartbeatElapsed;
    private int _checkQuorumElapsed;
    private ulong _recentlyActive;
    private readonly Dictionary<int, long> _peerDecided = [];

    // A new leader's recovered values (phase 1's choice per slot) not yet proposed: they wait for the window like any value.
    private readonly Dictionary<long, SlotValue> _recovered = [];

    // The highest decided index this leader has told every follower (by Accept, Heartbeat or Decide).
    private long _announcedDecidedIndex;

    /// <summary>An undecided slot of this leader's ballot: when it was first sent and who has accepted it.</summary>
    private struct InFlightSlot(long sentAt, ulong ackMask)
    {
        public readonly long SentAt = sentAt;
        public ulong AckMask = ackMask;
    }

    /// <summary>
    /// Offers client commands. A leader (or a candidate about to become one) queues them and batches them into
    /// slots as its window allows. Commands may be dropped later (see <see cref="Ready.DroppedProposals"/>)
    /// and may be decided more than once when the host retries: deduplication belongs to the state machine.
    /// </summary>
    public RequestOutcome Propose(IReadOnlyList<ReadOnlyMemory<byte>> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        for (var i = 0; i < commands.Count; i++)
        {
            if (Configuration.LooksLikeConfiguration(commands[i].Span))
            {
                throw new ArgumentException("a command must not start with the configuration marker: membership changes go through ProposeMembershipChange", nameof(commands));
            }
        }

        // A leader handing over takes nothing new: the commands go to the next leader.
        if (_role is not (Role.Leader or Role.Candidate) || _transferTarget is not null)
        {
            return RequestOutcome.NotLeader;
        }

        if (_queue.Count + commands.Count > _config.MaxQueuedCommands)
        {
            return RequestOutcome.Overloaded;
        }

        for (var i = 0; i < commands.Count; i++)
        {
            _queue.Enqueue(commands[i]);
        }

        FlushProposals();
        return RequestOutcome.Accepted;
    }

    /// <summary>Offers one client command; see <see cref="Propose(IReadOnlyList{ReadOnlyMemory{byte}})"/>.</summary>
    public RequestOutcome Propose(ReadOnlyMemory<byte> command) => Propose([command]);

    /// <summary>Progress the leader last heard from each bootstrap member (by index in <see cref="ReplicaConfig.Members"/>); -1 when unknown.</summary>
    public IReadOnlyList<long> PeerDecidedIndexes => [.. _members.Select(id => _peerDecided.TryGetValue(id, out var decided) ? decided : -1)];

    /// <summary>The decided index member <paramref name="id"/> last reported to this leader; -1 when unknown (or not leading).</summary>
    public long PeerDecidedIndex(int id) => _peerDecided.TryGetValue(id, out var decided) ? decided : -1;

    /// <summary>Most slots in flight: the window, and never past the configuration delay (so every proposed slot's configuration is known).</summary>
    private long ProposalLimit => Math.Min(_config.Window, GoverningConfiguration.Configuration.Delay);

    /// <summary>
    /// Whether this leader may propose <paramref name="slot"/> now: within the limit past its decided index (so the
    /// configuration governing the slot is decided and known), and as a voter of that configuration (a removed leader
    /// stops where the configuration without it begins).
    /// </summary>
    private bool MayPropose(long slot) =>
        slot - _decidedIndex <= ProposalLimit && _history.For(slot).IsVoter(NodeId);

    private void InitLeaderState()
    {
        _inFlight.Clear();
        _heartbeatElapsed = 0;
        _checkQuorumElapsed = 0;
        _recentlyActive = 0;
        _owedFenceSlot = 0;
        _announcedDecidedIndex = _decidedIndex;
        _transferTarget = null;
        _peerDecided.Clear();
        _lastAckAt.Clear();
        _recovered.Clear();
        _proposedConfigs.Clear();
        _proposedConfigsVersion++;
        _queuedConfig = null;
    }

    private void FlushProposals()
    {
        if (_role != Role.Leader)
        {
            return;
        }

        List<LogEntry>? batch = null;

        // Recovered slots first, in order: the no-op where phase 1 found nothing.
        while (_nextSlot <= _recoveryEnd && MayPropose(_nextSlot))
        {
            var value = _recovered.Remove(_nextSlot, out var recovered) ? recovered : SlotValue.NoOp;
            ProposeInto(ref batch, value);
        }

        if (_nextSlot <= _recoveryEnd)
        {
            SendBatch(batch);
            return;
        }

        // A membership change gets a slot of its own.
        if (_queuedConfig is { } queued && MayPropose(_nextSlot))
        {
            _queuedConfig = null;
            ProposeInto(ref batch, queued.ToSlotValue());
        }

        while (_queue.Count > 0 && MayPropose(_nextSlot))
        {
            var commands = new List<ReadOnlyMemory<byte>>(Math.Min(_queue.Count, _config.MaxBatchCommands));
            long bytes = 0;
            while (_queue.Count > 0 && commands.Count < _config.MaxBatchCommands)
            {
                var next = _queue.Peek();
                if (commands.Count > 0 && bytes + next.Length > _config.MaxBatchBytes)
                {
                    break;
                }

                commands.Add(_queue.Dequeue());
                bytes += next.Length;
            }

            ProposeInto(ref batch, new SlotValue(commands.ToArray()));
        }

        // Owed slots, with no command to carry them: a waiting learner's fence (a slot proposed after its request), or
        // the slots up to where a proposed configuration governs. A no-op each.
        while (_owedFenceSlot >= _nextSlot && MayPropose(_nextSlot))
        {
            ProposeInto(ref batch, SlotValue.NoOp);
        }

        SendBatch(batch);
    }

    private void ProposeInto(ref List<LogEntry>? batch, SlotValue value)
    {
        var entry = new LogEntry(_nextSlot++, _ballot, value);
        _inFlight[entry.Slot] = new InFlightSlot(_now, 0);
        NoteProposedConfiguration(entry.Slot, value);
        (batch ??= []).Add(entry);
    }

    private void SendBatch(List<LogEntry>? batch)
    {
        if (batch is not null)
        {
            BroadcastAccept(batch);
        }
    }

    /// <summary>Sends entries to every member of the configurations its undecided slots answer to, itself included, in messages of bounded size.</summary>
    private void BroadcastAccept(IReadOnlyList<LogEntry> entries)
    {
        foreach (var member in LeaderHorizonMembers())
        {
            SendAccepts(member, entries);
        }
    }

    private void SendAccepts(int member, IReadOnlyList<LogEntry> entries)
    {
        var max = _config.MaxEntriesPerMessage;
        for (var offset = 0; offset < entries.Count; offset += max)
        {
            var count = Math.Min(max, entries.Count - offset);
            var chunk = new LogEntry[count];
            for (var i = 0; i < count; i++)
            {
                chunk[i] = entries[offset + i];
            }

            Send(new Accept(NodeId, member, _ballot, _decidedIndex, chunk) { Incarnations = _incarnations.Records });
        }
    }

    private void HandleAccepted(Accepted m)
    {
        if (_role != Role.Leader || m.Ballot != _ballot)
        {
            return;
        }

        var bit = Bit(m.From);
        _recentlyActive |= bit;
        _lastAckAt[m.From] = _now;
        foreach (var slot in m.Slots)
        {
            ref var inFlight = ref CollectionsMarshal.GetValueRefOrNullRef(_inFlight, slot);
            if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref inFlight))
            {
                inFlight.AckMask |= bit;
            }
        }

        var advanced = false;
        // Each slot is counted in the configuration that governs it, known because it is within the delay of the decided index.
        while (_inFlight.TryGetValue(_decidedIndex + 1, out var next) && IsQuorumOf(_history.For(_decidedIndex + 1), next.AckMask))
        {
            _inFlight.Remove(_decidedIndex + 1);
            _decidedIndex++;
            advanced = true;
            ScanDecidedConfigs();
        }

        if (advanced)
        {
            StepDownIfRemoved();
            if (_role != Role.Leader)
            {
                return;
            }

            FlushProposals();
            TryStartReadRound();
        }
    }

    private bool DecidedUnannounced => _role == Role.Leader && _decidedIndex > _announcedDecidedIndex;

    /// <summary>
    /// Called by GetReady: when this leader's decided index advanced since it last told the followers, adds one
    /// <see cref="Decide"/> per follower carrying the latest index, except to a follower that an Accept or
    /// Heartbeat of this Ready already tells as much. Coalescing here, not where the index moves, keeps it to at
    /// most one per follower per Ready however many Accepted messages arrived in between.
    /// </summary>
    private void AnnounceDecided()
    {
        if (!DecidedUnannounced)
        {
            return;
        }

        _announcedDecidedIndex = _decidedIndex;
        foreach (var member in LeaderHorizonMembers())
        {
            if (member != NodeId && !AlreadyToldDecided(member))
            {
                Send(new Decide(NodeId, member, _ballot, _decidedIndex));
            }
        }
    }

    private bool AlreadyToldDecided(int member)
    {
        foreach (var message in _messages)
        {
            var told = message switch
            {
                Accept a => a.DecidedIndex,
                Heartbeat h => h.DecidedIndex,
                _ => -1,
            };
            if (message.To == member && message.Ballot == _ballot && told >= _decidedIndex)
            {
                return true;
            }
        }

        return false;
    }

    private void TickLeader()
    {
        _heartbeatElapsed++;
        _checkQuorumElapsed++;
        TickTransfer();
        if (_heartbeatElapsed >= _config.HeartbeatTicks)
        {
            BroadcastHeartbeat();
            ResendUnacknowledged();
        }

        if (_checkQuorumElapsed >= _config.ElectionTicks)
        {
            _checkQuorumElapsed = 0;
            var active = _recentlyActive | Bit(NodeId);
            _recentlyActive = 0;
            if (!IsQuorumOfEach(LeaderHorizon(), active))
            {
                // Cut off from a majority: nothing more can be decided here, so let clients go elsewhere.
                StepDown(null);
            }
        }
    }

    private void BroadcastHeartbeat()
    {
        _heartbeatElapsed = 0;
        foreach (var member in LeaderHorizonMembers())
        {
            if (member != NodeId)
            {
                Send(new Heartbeat(NodeId, member, _ballot, _decidedIndex, _readRound));
            }
        }
    }

    /// <summary>Accepts may be lost: send each undecided slot again to the acceptors that have not accepted it.</summary>
    private void ResendUnacknowledged()
    {
        foreach (var member in LeaderHorizonMembers())
        {
            if (member == NodeId)
            {
                continue;
            }

            var bit = Bit(member);
            List<LogEntry>? missing = null;
            for (var slot = _decidedIndex + 1; slot < _nextSlot; slot++)
            {
                if (_inFlight.TryGetValue(slot, out var inFlight) && (inFlight.AckMask & bit) == 0 &&
                    _now - inFlight.SentAt >= _config.HeartbeatTicks)
                {
                    (missing ??= []).Add(EntryAt(slot));
                }
            }

            if (missing is not null)
            {
                SendAccepts(member, missing);
            }
        }
    }

    private void DropLeaderWork(int? leaderHint)
    {
        // Commands already in a slot may still be decided under another leader; queued ones never will be.
        // The host may offer the queued ones again at once, but must not duplicate the others blindly.
        var inSlots = new List<ReadOnlyMemory<byte>>();
        for (var slot = _decidedIndex + 1; slot < _nextSlot; slot++)
        {
            if (_inFlight.ContainsKey(slot) && _log.TryGet(slot, out var entry))
            {
                inSlots.AddRange(entry.Value.Commands);
            }
        }

        // Recovered values not yet proposed again were proposed by an earlier leader, and may be decided too.
        foreach (var value in _recovered.Values)
        {
            inSlots.AddRange(value.Commands);
        }

        if (inSlots.Count > 0)
        {
            _droppedProposals.Add(new DroppedProposals(inSlots, leaderHint, MaybeDecided: true));
        }

        if (_queue.Count > 0 || _queuedConfig is not null)
        {
            // A membership change still waiting for a slot is given back too (as its encoded configuration).
            ReadOnlyMemory<byte>[] queued = _queuedConfig is { } config ? [.. _queue, config.Encode()] : [.. _queue];
            _droppedProposals.Add(new DroppedProposals(queued, leaderHint, MaybeDecided: false));
        }

        _queue.Clear();
        _inFlight.Clear();
        _nextSlot = 0;
        _owedFenceSlot = 0;
        _recoveryEnd = 0;
        _recovered.Clear();
        _proposedConfigs.Clear();
        _proposedConfigsVersion++;
        _queuedConfig = null;

        DropReads(leaderHint);
    }
}
