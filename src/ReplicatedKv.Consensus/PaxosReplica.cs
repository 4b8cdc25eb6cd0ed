namespace ReplicatedKv.Consensus;

/// <summary>
/// One Multi-Paxos replica (proposer, acceptor and learner in one), as a pure state machine: no I/O,
/// threads, clocks or logging. Inputs are <see cref="Step"/> (a peer message), <see cref="Tick"/> (time),
/// <see cref="Propose(IReadOnlyList{ReadOnlyMemory{byte}})"/> and <see cref="ReadIndex"/> (client work);
/// every effect comes out of <see cref="GetReady"/>, whose contract the host must follow before
/// <see cref="Advance"/>. Not thread-safe: one host loop owns it.
/// </summary>
/// <remarks>
/// <para>Persistence contract. The replica never trusts that anything is on disk until <see cref="Advance"/>:
/// <list type="bullet">
/// <item>A Promise or Accepted leaves only through <see cref="Ready.MessagesAfterPersist"/>, so an acceptor
/// vouches only for state that survives a crash; its own votes (messages to itself) count after Advance too.</item>
/// <item>A restarted replica is rebuilt from <see cref="PersistentState"/>: promised ballot, decided index,
/// accepted entries, snapshot slot and the Rejoining flag. Everything else (role, leader, in-flight
/// bookkeeping) is volatile.</item>
/// <item>A replica that finds nothing persisted may have lost its data directory; <see cref="ReplicaConfig.RejoinMode"/>
/// decides whether it votes at once, probes the others first, or learns until it regains its vote
/// (DESIGN.md states the rule and why it is safe).</item>
/// <item>Losing writes of a Ready never confirmed by Advance is safe: nothing that depends on them left.</item>
/// </list></para>
/// <para>Protocol. Paxos Made Simple §3 (Multi-Paxos): one phase 1 covers every slot from the first the
/// candidate does not know decided; the leader re-proposes, per slot, the value accepted under the highest
/// ballot (a reported decided value beats any ballot) and fills gaps with no-ops, then runs phase 2 for many
/// slots at once. A pre-vote round (<see cref="PrePrepare"/>) and "refuse to promise while a leader is
/// alive" keep a returning replica from deposing a healthy leader; refusing a promise is always safe.</para>
/// </remarks>
public sealed partial class PaxosReplica
{
    private readonly ReplicaConfig _config;
    // The bootstrap members (ReplicaConfig.Members): whom a replica without state probes. Everything else asks the
    // configuration history (PaxosReplica.Membership.cs).
    private readonly int[] _members;
    private readonly int _memberCount;
    private DeterministicRandom _random;

    // The acceptor's state: mirrors what the host has persisted or will persist from the next Ready.
    private Ballot _promised;
    private long _decidedIndex;
    private readonly SlotLog _log;

    // Volatile state. _role starts as Follower (the enum's default) and changes only through TransitionTo.
    private Role _role;
    private int? _leaderId;
    private Ballot _ballot;
    private long _maxSeenRound;
    private long _handedOutIndex;
    private long _now;
    private int _electionElapsed;
    private int _randomizedElectionTimeout;

    // Output collected for the next Ready.
    private readonly List<PeerMessage> _messages = [];
    private readonly List<PeerMessage> _messagesAfterPersist = [];
    private readonly List<PeerMessage> _selfAfterPersist = [];
    private readonly List<PeerMessage> _selfAwaitingAdvance = [];
    private readonly List<LogEntry> _unpersisted = [];
    private readonly List<ReadState> _readStates = [];
    private readonly List<DroppedProposals> _droppedProposals = [];
    private readonly List<DroppedReads> _droppedReads = [];
    private readonly List<int> _snapshotRequests = [];
    private HardState _reportedHardState;
    private SoftState _reportedSoftState;
    private bool _mustSync;
    private bool _readyOutstanding;

    /// <summary>Creates a replica, fresh or rebuilt from what it persisted before a restart.</summary>
    public PaxosReplica(ReplicaConfig config, PersistentState? state = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        state ??= PersistentState.Empty;
        _config = config;
        _members = [.. config.Members];
        _memberCount = _members.Length;
        foreach (var member in _members)
        {
            BitIndexOf(member);
        }

        _random = new DeterministicRandom(config.RandomSeed ^ (0x5DEECE66DUL * (ulong)(uint)config.NodeId));
        _log = new SlotLog(state.SnapshotSlot + 1);
        foreach (var entry in state.Entries)
        {
            if (entry.Slot > state.SnapshotSlot)
            {
                _log.Set(entry);
            }
        }

        _promised = state.HardState.Promised;
        _decidedIndex = Math.Max(state.HardState.DecidedIndex, state.SnapshotSlot);
        for (var slot = state.SnapshotSlot + 1; slot <= _decidedIndex; slot++)
        {
            if (!_log.TryGet(slot, out _))
            {
                throw new InvariantViolationException(
                    $"persisted state marks slot {_decidedIndex} decided but holds no value for slot {slot}");
            }
        }

        _handedOutIndex = state.SnapshotSlot;
        InitMembership(state);
        _maxSeenRound = _promised.Round;
        _reportedHardState = state.HardState with { DecidedIndex = _decidedIndex };
        ResetElectionTimer();
        InitLeaderState();
        InitIncarnation(state);
        InitRejoin(state);
        _reportedSoftState = SoftState;
    }

    public int NodeId => _config.NodeId;

    public Role Role => _role;

    /// <summary>The leader this replica follows or is, if it knows one.</summary>
    public int? LeaderId => _leaderId;

    /// <summary>The highest ballot this acceptor promised.</summary>
    public Ballot Promised => _promised;

    /// <summary>Every slot up to this one is decided and held (or compacted into a snapshot).</summary>
    public long DecidedIndex => _decidedIndex;

    /// <summary>The last decided slot handed to the host through <see cref="Ready.Decided"/>.</summary>
    public long HandedOutIndex => _handedOutIndex;

    /// <summary>The lowest slot still in the log: everything below is in the snapshot.</summary>
    public long FirstSlot => _log.FirstSlot;

    /// <summary>The highest slot holding an accepted value.</summary>
    public long LastSlot => _log.LastSlot;

    public SoftState SoftState => new(_role, _leaderId, _role == Role.Follower ? _promised : _ballot, RejoinState);

    /// <summary>Outcome of <see cref="Step"/>: anything but Handled means the message was ignored, state untouched.</summary>
    public enum StepResult
    {
        Handled,
        UnknownSender,
        WrongRecipient,
        Malformed,

        /// <summary>A round more than <see cref="Ballot.MaxRoundAdvance"/> past any this replica has seen (see <see cref="Ballot"/>).</summary>
        RoundTooFar,

        /// <summary>Decided values from a replica this one neither follows nor asked (see <see cref="AcceptsDecidedValuesFrom"/>).</summary>
        Unsolicited,

        /// <summary>Well-formed, but over a size or content limit (the node core's check of forwarded commands).</summary>
        OverLimit,
    }

    /// <summary>Feeds one peer message in. Malformed, misaddressed or foreign messages are ignored.</summary>
    public StepResult Step(PeerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.To != NodeId)
        {
            return StepResult.WrongRecipient;
        }

        // A member this replica does not know may still lead a configuration it has not caught up with, so what
        // speaks for a leader or answers is let through (it counts only where its sender is a voter); requests that
        // would make this replica promise, grant or serve come only from known members.
        if (message.From == NodeId ||
            (message is PrePrepare or Prepare or RejoinProbe or CatchUpRequest && !IsKnownMember(message.From)))
        {
            return StepResult.UnknownSender;
        }

        if (!IsWellFormed(message))
        {
            return StepResult.Malformed;
        }

        if (HighestRoundIn(message) > Math.Max(_maxSeenRound, _promised.Round) + Ballot.MaxRoundAdvance)
        {
            return StepResult.RoundTooFar;
        }

        if (message is CatchUp && !AcceptsDecidedValuesFrom(message.From))
        {
            return StepResult.Unsolicited;
        }

        // A reply to a request of another incarnation of this replica answers its lost former self (DESIGN.md, "Incarnations").
        if (AnswersAnotherIncarnation(message))
        {
            return StepResult.Unsolicited;
        }

        MergeCarriedIncarnations(message);
        Dispatch(message);
        return StepResult.Handled;
    }

    /// <summary>Advances logical time by one tick: election timeouts, heartbeats, resends, catch-up retries.</summary>
    public void Tick()
    {
        _now++;
        if (_role == Role.Leader)
        {
            TickLeader();
        }
        else
        {
            TickElection();
        }
    }

    /// <summary>True when <see cref="GetReady"/> has something for the host.</summary>
    public bool HasReady =>
        !_readyOutstanding &&
        (_unpersisted.Count > 0 || _messages.Count > 0 || _messagesAfterPersist.Count > 0 ||
         _selfAfterPersist.Count > 0 || _readStates.Count > 0 || _droppedProposals.Count > 0 ||
         _droppedReads.Count > 0 || _snapshotRequests.Count > 0 || _mustSync || _incarnationsUnpersisted ||
         _handedOutIndex < _decidedIndex || DecidedUnannounced || CurrentHardState != _reportedHardState ||
         SoftState != _reportedSoftState);

    /// <summary>
    /// Hands out everything collected since the last Ready. The host must process it as <see cref="Ready"/>
    /// describes and call <see cref="Advance"/> before asking for another.
    /// </summary>
    public Ready GetReady()
    {
        if (_readyOutstanding)
        {
            throw new InvariantViolationException("GetReady called before Advance confirmed the previous Ready");
        }

        var ready = new Ready();
        var hardState = CurrentHardState;
        if (hardState != _reportedHardState)
        {
            ready.HardState = hardState;
            _reportedHardState = hardState;
        }

        NoteReadyForRejoin(ready);
        TakeIncarnationsForReady(ready);

        ready.Entries = Drain(_unpersisted);
        ready.MustSync = _mustSync || ready.Entries.Count > 0;
        _mustSync = false;
        AnnounceDecided();
        ready.Messages = Drain(_messages);
        ready.MessagesAfterPersist = Drain(_messagesAfterPersist);
        ready.Decided = TakeDecided();
        var softState = SoftState;
        if (softState != _reportedSoftState)
        {
            ready.SoftState = softState;
            _reportedSoftState = softState;
        }

        ready.ReadStates = Drain(_readStates);
        ready.DroppedProposals = Drain(_droppedProposals);
        ready.DroppedReads = Drain(_droppedReads);
        ready.SnapshotRequests = Drain(_snapshotRequests);
        _selfAwaitingAdvance.AddRange(_selfAfterPersist);
        _selfAfterPersist.Clear();
        _readyOutstanding = true;
        return ready;
    }

    /// <summary>
    /// Confirms the last Ready was handled: its writes are durable and its after-persist messages sent.
    /// The replica's own promises and acceptances count only from here on.
    /// </summary>
    public void Advance()
    {
        if (!_readyOutstanding)
        {
            throw new InvariantViolationException("Advance called without an outstanding Ready");
        }

        _readyOutstanding = false;
        NoteVoteDurable();
        if (_selfAwaitingAdvance.Count == 0)
        {
            return;
        }

        var own = _selfAwaitingAdvance.ToArray();
        _selfAwaitingAdvance.Clear();
        foreach (var message in own)
        {
            Dispatch(message);
        }
    }

    private void Dispatch(PeerMessage message)
    {
        if (message.Ballot.Round > _maxSeenRound && message is not (PrePrepare or PrePromise))
        {
            _maxSeenRound = message.Ballot.Round;
        }

        if (!IsVoter && !AdmitAsNonVoter(message))
        {
            return;
        }

        var answering = _answering;
        _answering = message;
        try
        {
            DispatchByType(message);
        }
        finally
        {
            _answering = answering;
        }

        TryRegainVote();
        ScanDecidedConfigs();
        StepDownIfRemoved();
    }

    private void DispatchByType(PeerMessage message)
    {
        switch (message)
        {
            case PrePrepare m: HandlePrePrepare(m); break;
            case PrePromise m: HandlePrePromise(m); break;
            case Prepare m: HandlePrepare(m); break;
            case Promise m: HandlePromise(m); break;
            case Accept m: HandleAccept(m); break;
            case Accepted m: HandleAccepted(m); break;
            case Nack m: HandleNack(m); break;
            case Heartbeat m: HandleHeartbeat(m); break;
            case HeartbeatAck m: HandleHeartbeatAck(m); break;
            case Decide m: HandleDecide(m); break;
            case CatchUpRequest m: HandleCatchUpRequest(m); break;
            case CatchUp m: HandleCatchUp(m); break;
            case RejoinProbe m: HandleRejoinProbe(m); break;
            case RejoinStatus m: HandleRejoinStatus(m); break;
            case TimeoutNow m: HandleTimeoutNow(m); break;
            default: throw new InvariantViolationException($"unknown message type {message.GetType().Name}");
        }
    }

    private bool IsWellFormed(PeerMessage message)
    {
        // A round near long.MaxValue would overflow the next ballot; no honest replica gets there.
        if (message.Ballot.Round < 0 || message.Ballot.Round > Ballot.MaxRound)
        {
            return false;
        }

        // Catch-up and join messages carry the sender's promise, which is Ballot.Zero before it promised anything.
        if (message.Ballot.NodeId < 1 &&
            !(message is CatchUpRequest or CatchUp or RejoinProbe or RejoinStatus && message.Ballot == Ballot.Zero))
        {
            return false;
        }

        // Carried incarnation records are merged before dispatch: one a replica may not hold would throw there.
        if (!CarriesValidIncarnations(message))
        {
            return false;
        }

        return message switch
        {
            PrePrepare or Prepare or Accept or Heartbeat or Decide or TimeoutNow => message.Ballot.NodeId == message.From &&
                message is not Prepare { FromSlot: < 1 } && message is not Accept { DecidedIndex: < 0 } && message is not Heartbeat { DecidedIndex: < 0 } &&
                message is not Decide { DecidedIndex: < 0 },
            PrePromise or Promise or Accepted or HeartbeatAck or Nack => message.Ballot.NodeId == NodeId,
            CatchUpRequest r => r.FromSlot >= 1,
            RejoinProbe p => p.Round >= 1 && p.Challenge >= 0 && (p.Challenge == 0 || p.Waiting),
            RejoinStatus s => s.Round >= 1 && Enum.IsDefined(s.State) && s.FirstSlot >= 1 && s.LastSlot >= s.FirstSlot - 1 &&
                s.DecidedIndex >= s.FirstSlot - 1 && s.FenceSlot >= 0 && (s.FenceSlot == 0 || s.Ballot.NodeId == s.From) &&
                s.Challenge >= 0 && (s.Challenge == 0 || (s.Ballot.NodeId == s.From && s.FenceSlot == 0)),
            _ => true,
        };
    }

    /// <summary>The highest round a message names: its ballot's, or the promise a refusal reports if higher.</summary>
    private static long HighestRoundIn(PeerMessage message) => message switch
    {
        PrePromise m => Math.Max(m.Ballot.Round, m.Promised.Round),
        Nack m => Math.Max(m.Ballot.Round, m.Promised.Round),
        _ => message.Ballot.Round,
    };

    private HardState CurrentHardState => new(_promised, _decidedIndex, _phase.Rejoining(), _phase.Bootstrapped(), _incarnation);

    /// <summary>
    /// Whether a message may leave only once this Ready's writes are durable: exactly those that vouch for durable
    /// state a quorum counts. A Promise vouches for the promise and the values reported; an Accepted for the
    /// entries just stored. Every other type may leave at once: a Nack or PrePromise reports a promise but is
    /// never counted towards a quorum (the worst a forgotten one does is make a proposer step down or retry);
    /// a HeartbeatAck says "I had promised nothing above your ballot", true whether or not the promise to that
    /// ballot survives a crash, since a promise that never reached disk was never sent; a RejoinStatus of
    /// in-memory state errs only towards "not empty" (which makes the prober a learner, the safe side); and
    /// Accept, Heartbeat, Decide and CatchUp speak for a leader's ballot (durable before it led) or for values
    /// already decided.
    /// </summary>
    private static bool NeedsPersist(PeerMessage message) => message is Promise or Accepted;

    private void Send(PeerMessage message)
    {
        message = StampIncarnation(message);
        var afterPersist = NeedsPersist(message);
        if (message.To == NodeId)
        {
            if (afterPersist)
            {
                _selfAfterPersist.Add(message);
            }
            else
            {
                Dispatch(message);
            }

            return;
        }

        (afterPersist ? _messagesAfterPersist : _messages).Add(message);
    }

    /// <summary>
    /// The only way <see cref="Role"/> changes. Legal moves: a follower (or a pre-candidate starting over) runs a
    /// pre-vote; a pre-candidate with a pre-vote majority becomes a candidate; a candidate with a promise majority
    /// becomes leader; anyone driving an election or leading steps down to follower. Anything else (say, a
    /// follower becoming leader without a candidacy) means the replica's own bookkeeping is broken.
    /// </summary>
    private void TransitionTo(Role next)
    {
        var legal = (_role, next) switch
        {
            (Role.Follower or Role.PreCandidate, Role.PreCandidate) => true,
            (Role.PreCandidate, Role.Candidate) => true,
            (Role.Candidate, Role.Leader) => true,
            (Role.PreCandidate or Role.Candidate or Role.Leader, Role.Follower) => true,
            _ => false,
        };
        if (!legal)
        {
            throw new InvariantViolationException($"replica {NodeId}: illegal role change {_role} -> {next}");
        }

        _role = next;
    }

    private void Persist(LogEntry entry)
    {
        _log.Set(entry);
        _unpersisted.Add(entry);
    }

    private void RaisePromise(Ballot ballot)
    {
        _promised = ballot;
        _mustSync = true;
        if (ballot.Round > _maxSeenRound)
        {
            _maxSeenRound = ballot.Round;
        }

        if (_role != Role.Follower && ballot != _ballot)
        {
            StepDown(null);
        }
    }

    /// <summary>
    /// How far past ElectionTicks a replica's election timer may be drawn: half an election timeout (at least two
    /// ticks), not Raft's whole one. Raft spreads timers over [T, 2T) because a term has one vote per member and two
    /// candidates in one term can both lose; here ballots are totally ordered and an acceptor promises any higher one,
    /// so simultaneous candidates resolve to the higher ballot within the same round trips. A narrower spread is what
    /// lets writes resume within 1.5 election timeouts of a leader's loss (issue 19; DESIGN.md "Failover").
    /// </summary>
    internal static int ElectionSpread(int electionTicks) => Math.Max(2, electionTicks / 2);

    private void ResetElectionTimer()
    {
        _electionElapsed = 0;
        _randomizedElectionTimeout = _random.Next(_config.ElectionTicks, _config.ElectionTicks + ElectionSpread(_config.ElectionTicks));
    }

    private LogEntry[] TakeDecided()
    {
        if (_handedOutIndex >= _decidedIndex)
        {
            return [];
        }

        var decided = new LogEntry[_decidedIndex - _handedOutIndex];
        for (var i = 0; i < decided.Length; i++)
        {
            decided[i] = EntryAt(_handedOutIndex + 1 + i);
        }

        _handedOutIndex = _decidedIndex;
        return decided;
    }

    private LogEntry EntryAt(long slot) =>
        _log.TryGet(slot, out var entry)
            ? entry
            : throw new InvariantViolationException($"replica {NodeId} holds no value for slot {slot}");

    private static T[] Drain<T>(List<T> list)
    {
        if (list.Count == 0)
        {
            return [];
        }

        var items = list.ToArray();
        list.Clear();
        return items;
    }
}
