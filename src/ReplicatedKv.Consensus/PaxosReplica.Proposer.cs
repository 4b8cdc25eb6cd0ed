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
    private long[] _peerDecided = [];

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
        if (_role is not (Role.Leader or Role.Candidate))
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

    /// <summary>Progress the leader last heard from each member (by index in the member list); -1 when unknown.</summary>
    public IReadOnlyList<long> PeerDecidedIndexes => _peerDecided;

    private void InitLeaderState()
    {
        _inFlight.Clear();
        _heartbeatElapsed = 0;
        _checkQuorumElapsed = 0;
        _recentlyActive = 0;
        _owedFenceSlot = 0;
        _announcedDecidedIndex = _decidedIndex;
        _peerDecided = new long[_memberCount];
        Array.Fill(_peerDecided, -1);
    }

    private void FlushProposals()
    {
        if (_role != Role.Leader)
        {
            return;
        }

        List<LogEntry>? batch = null;
        while (_queue.Count > 0 && _nextSlot - 1 - _decidedIndex < _config.Window)
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

            var entry = new LogEntry(_nextSlot++, _ballot, new SlotValue(commands.ToArray()));
            _inFlight[entry.Slot] = new InFlightSlot(_now, 0);
            (batch ??= []).Add(entry);
        }

        // A waiting learner was promised a slot proposed after its request: with no command to carry it, a no-op.
        if (_owedFenceSlot >= _nextSlot && _nextSlot - 1 - _decidedIndex < _config.Window)
        {
            var entry = new LogEntry(_nextSlot++, _ballot, SlotValue.NoOp);
            _inFlight[entry.Slot] = new InFlightSlot(_now, 0);
            (batch ??= []).Add(entry);
        }

        if (batch is not null)
        {
            BroadcastAccept(batch);
        }
    }

    /// <summary>Sends entries to every member, itself included, in messages of bounded size.</summary>
    private void BroadcastAccept(IReadOnlyList<LogEntry> entries)
    {
        foreach (var member in _members)
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

            Send(new Accept(NodeId, member, _ballot, _decidedIndex, chunk));
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
        foreach (var slot in m.Slots)
        {
            ref var inFlight = ref CollectionsMarshal.GetValueRefOrNullRef(_inFlight, slot);
            if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref inFlight))
            {
                inFlight.AckMask |= bit;
            }
        }

        var advanced = false;
        while (_inFlight.TryGetValue(_decidedIndex + 1, out var next) && Quorum.IsMajority(next.AckMask, _memberCount))
        {
            _inFlight.Remove(_decidedIndex + 1);
            _decidedIndex++;
            advanced = true;
        }

        if (advanced)
        {
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
        foreach (var member in _members)
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
            if (!Quorum.IsMajority(active, _memberCount))
            {
                // Cut off from a majority: nothing more can be decided here, so let clients go elsewhere.
                StepDown(null);
            }
        }
    }

    private void BroadcastHeartbeat()
    {
        _heartbeatElapsed = 0;
        foreach (var member in _members)
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
        foreach (var member in _members)
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

        if (inSlots.Count > 0)
        {
            _droppedProposals.Add(new DroppedProposals(inSlots, leaderHint, MaybeDecided: true));
        }

        if (_queue.Count > 0)
        {
            _droppedProposals.Add(new DroppedProposals([.. _queue], leaderHint, MaybeDecided: false));
        }

        _queue.Clear();
        _inFlight.Clear();
        _nextSlot = 0;
        _owedFenceSlot = 0;

        DropReads(leaderHint);
    }
}
