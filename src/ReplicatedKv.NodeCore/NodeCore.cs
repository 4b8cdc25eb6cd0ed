using ReplicatedKv.Consensus;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.NodeCore;

/// <summary>
/// The pure node: owns the consensus replica and the state machine and decides everything about client work —
/// where a write goes (proposed here, forwarded to the leader, parked while no leader is known, retried after
/// <see cref="NodeCoreConfig.RetryTicks"/>), how a linearizable read gets its index, and when each caller is answered
/// and with what. Inputs: <see cref="SubmitWrite"/>, <see cref="SubmitRead"/>, <see cref="Abandon"/>,
/// <see cref="Step(PeerMessage)"/>, <see cref="Step(RoutingMessage)"/>, <see cref="Tick"/>; effects come out of
/// <see cref="GetReady"/> and <see cref="Advance"/>. No I/O, threads, clocks or logging: a test enforces it. Not
/// thread-safe: one host loop owns it. DESIGN.md beside this file explains the routing rules.
/// </summary>
public sealed partial class NodeCore
{
    private readonly NodeCoreConfig _config;
    private readonly PaxosReplica _replica;
    private readonly int _selfId;
    private readonly Dictionary<int, long> _lastHeard = [];
    private readonly List<RoutingMessage> _routingOut = [];
    private readonly List<Answer> _answers = [];
    private KeyValueStateMachine _stateMachine;
    private long _ticks;
    private NodeReady? _outstanding;

    /// <summary>Builds the node from what storage recovered: the replica's persisted state and the restored table.</summary>
    public NodeCore(NodeCoreConfig config, PersistentState? state, KeyValueStateMachine stateMachine)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(stateMachine);
        _config = config;
        _replica = new PaxosReplica(config.Replica, state);
        _stateMachine = stateMachine;
        _selfId = config.Replica.NodeId;
        _nextReadId = (long)config.Incarnation << 24;
    }

    public int NodeId => _selfId;

    /// <summary>The consensus replica, for reading status (role, ballot, slots); only the core changes it.</summary>
    public PaxosReplica Replica => _replica;

    /// <summary>The state machine as applied so far, for reading status and taking snapshots; only the core changes it.</summary>
    public KeyValueStateMachine StateMachine => _stateMachine;

    /// <summary>Ticks since the node started.</summary>
    public long Ticks => _ticks;

    /// <summary>Commands this node proposed as leader (its own and forwarded ones), for metrics.</summary>
    public long ProposedCommands { get; private set; }

    /// <summary>Commands this node forwarded to a leader, for metrics.</summary>
    public long ForwardedCommands { get; private set; }

    /// <summary>Commands applied to the state machine, for metrics.</summary>
    public long AppliedCommands { get; private set; }

    /// <summary>Slots applied to the state machine, for metrics.</summary>
    public long AppliedSlots { get; private set; }

    /// <summary>Ticks since a message last came from <paramref name="peer"/>; null if none ever did.</summary>
    public long? TicksSinceHeard(int peer) => _lastHeard.TryGetValue(peer, out var at) ? _ticks - at : null;

    /// <summary>
    /// True when this node leads, or follows a leader it heard from within an election timeout. A leader steps
    /// down by itself without a majority, so for a leader this is its own judgement.
    /// </summary>
    public bool SeesLiveLeader =>
        _replica.Role == Role.Leader ||
        (_replica.LeaderId is int leader && leader != _selfId && TicksSinceHeard(leader) <= _config.Replica.ElectionTicks);

    /// <summary>Advances logical time by one tick: the replica's timers, and retries of lost forwards and read requests.</summary>
    public void Tick()
    {
        _ticks++;
        _replica.Tick();
        if (_ticks % _config.Replica.ElectionTicks == 0)
        {
            RetryLostReadRequests();
            RetryLostForwards();

            // Whatever waits for a leader is tried again now and then, even if no leader change was seen.
            _rerouteParked |= _parkedWrites.Count > 0 || _parkedReads.Count > 0;
        }
    }

    /// <summary>Feeds one consensus message in; anything but Handled means it was ignored.</summary>
    public PaxosReplica.StepResult Step(PeerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var result = _replica.Step(message);
        if (result == PaxosReplica.StepResult.Handled)
        {
            _lastHeard[message.From] = _ticks;
        }

        return result;
    }

    /// <summary>Feeds one routing message in. Messages not addressed to this node or from a non-member are ignored.</summary>
    public PaxosReplica.StepResult Step(RoutingMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.To != _selfId)
        {
            return PaxosReplica.StepResult.WrongRecipient;
        }

        if (message.From == _selfId || !IsMember(message.From))
        {
            return PaxosReplica.StepResult.UnknownSender;
        }

        _lastHeard[message.From] = _ticks;
        switch (message)
        {
            case ForwardWrites m: return OnForwardWrites(m);
            case ForwardRefused m: OnForwardRefused(m); break;
            case ReadIndexRequest m: OnReadIndexRequest(m); break;
            case ReadIndexReply m: OnReadIndexReply(m); break;
            default: return PaxosReplica.StepResult.Malformed;
        }

        return PaxosReplica.StepResult.Handled;
    }

    /// <summary>True when <see cref="GetReady"/> has something for the host.</summary>
    public bool HasReady =>
        _outstanding is null &&
        (_replica.HasReady || _routingOut.Count > 0 || _answers.Count > 0 || HasRoutingWork || HasServableReads);

    /// <summary>
    /// Routes everything submitted since the last round (one proposal, one forward, one read round: this is where
    /// batching comes from) and hands out what the host must do. Process it as <see cref="NodeReady"/> says, then
    /// call <see cref="Advance"/>.
    /// </summary>
    public NodeReady GetReady()
    {
        if (_outstanding is not null)
        {
            throw new InvariantViolationException("GetReady called before Advance confirmed the previous NodeReady");
        }

        FlushRouting();
        var consensus = _replica.GetReady();

        // A leader became known: whatever waited for one can go in the next round.
        if (consensus.SoftState is { LeaderId: int leader })
        {
            _rerouteParked = true;
            RerouteForwardsToOldLeaders(leader);
            ReaskReadsOfOldLeaders(leader);
        }

        var routing = _routingOut.Count == 0 ? Array.Empty<RoutingMessage>() : _routingOut.ToArray();
        _routingOut.Clear();
        _outstanding = new NodeReady(consensus, routing);
        return _outstanding;
    }

    /// <summary>
    /// Confirms the outstanding <see cref="NodeReady"/>'s writes are durable and its after-persist messages sent:
    /// applies its decided slots in order, settles dropped proposals and read indexes, and returns the callers to
    /// answer now (the list is reused by the next call: consume it before calling again).
    /// </summary>
    public IReadOnlyList<Answer> Advance()
    {
        var ready = _outstanding ?? throw new InvariantViolationException("Advance called without an outstanding NodeReady");
        _outstanding = null;
        var consensus = ready.Consensus;
        Apply(consensus.Decided);
        foreach (var dropped in consensus.DroppedProposals)
        {
            OnDroppedProposals(dropped);
            OnDroppedMembershipChange(dropped);
        }

        foreach (var state in consensus.ReadStates)
        {
            OnReadState(state);
        }

        foreach (var dropped in consensus.DroppedReads)
        {
            OnDroppedReads(dropped);
        }

        _replica.Advance();
        ServeAppliedReads();
        _answersOut.Clear();
        _answersOut.AddRange(_answers);
        _answers.Clear();
        return _answersOut;
    }

    private readonly List<Answer> _answersOut = [];

    private bool IsMember(int id) => _replica.IsKnownMember(id);
}
