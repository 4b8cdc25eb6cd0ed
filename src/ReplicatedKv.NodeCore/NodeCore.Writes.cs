using ReplicatedKv.Consensus;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.NodeCore;

// Writes: proposed on the leader, forwarded from a follower, parked while no leader is known; answered when the
// node that took the write applies its slot. A write with a request id may be proposed again (the state machine
// applies a request id once); one without is never proposed twice once it may sit in a slot.
public sealed partial class NodeCore
{
    private readonly Dictionary<long, PendingWrite> _writes = [];
    private readonly List<ReadOnlyMemory<byte>> _toPropose = [];
    private readonly List<PendingWrite> _toProposeWrites = [];
    private readonly List<ReadOnlyMemory<byte>> _toForward = [];
    private readonly List<PendingWrite> _parkedWrites = [];
    private readonly List<ReadOnlyMemory<byte>> _unwrapped = [];
    private readonly Dictionary<long, SentTo> _forwardedAt = [];
    private bool _rerouteParked;

    /// <summary>A write waiting for its slot to be applied on this node.</summary>
    private sealed class PendingWrite(long caller, byte[] envelope, bool hasRequestId)
    {
        public long Caller { get; } = caller;

        public ReadOnlyMemory<byte> Envelope { get; } = envelope;

        public bool HasRequestId { get; } = hasRequestId;

        /// <summary>Answered or abandoned: wherever it is still listed, it is skipped.</summary>
        public bool Done { get; set; }
    }

    private bool HasRoutingWork =>
        _toPropose.Count > 0 || _toForward.Count > 0 || _newReads.Count > 0 ||
        (_rerouteParked && _replica.LeaderId is not null && (_parkedWrites.Count > 0 || _parkedReads.Count > 0));

    /// <summary>
    /// Takes a client write under <paramref name="caller"/>, a number the host chooses and never reuses while the
    /// node runs. The answer comes out of <see cref="Advance"/> once this node applied the write's slot, or as
    /// Overloaded; a write whose caller gives up is dropped with <see cref="Abandon"/>.
    /// </summary>
    public void SubmitWrite(long caller, in KvCommand command)
    {
        var envelope = CommandEnvelope.Wrap(_selfId, _config.Incarnation, caller, CommandCodec.GetEncodedLength(command), out var body);
        CommandCodec.Encode(command, body.Span);
        var write = new PendingWrite(caller, envelope, command.RequestId is not null);
        if (!_writes.TryAdd(caller, write))
        {
            throw new InvariantViolationException($"caller {caller} submitted twice");
        }

        RouteWrite(write);
    }

    /// <summary>
    /// The caller gave up (its deadline passed). The write may still be applied, but nobody is answered for it;
    /// a read is dropped.
    /// </summary>
    public void Abandon(long caller)
    {
        if (_pendingChange is { } change && change.Caller == caller)
        {
            _pendingChange = null;
        }
        else if (_writes.Remove(caller, out var write))
        {
            write.Done = true;
            _forwardedAt.Remove(caller);
        }
        else if (_reads.Remove(caller, out var read))
        {
            read.Done = true;
        }
    }

    private void RouteWrite(PendingWrite write)
    {
        if (write.Done)
        {
            return;
        }

        if (_replica.Role is Role.Leader)
        {
            _toPropose.Add(write.Envelope);
            _toProposeWrites.Add(write);
        }
        else if (_replica.LeaderId is int leader && leader != _selfId)
        {
            _toForward.Add(write.Envelope);
            if (write.HasRequestId)
            {
                _forwardedAt[write.Caller] = new SentTo(_ticks, leader);
            }
        }
        else
        {
            _parkedWrites.Add(write);
        }
    }

    /// <summary>Once per round: one Propose for everything admitted in it, one forward message, one read round.</summary>
    private void FlushRouting()
    {
        if (_rerouteParked && _replica.LeaderId is not null)
        {
            _rerouteParked = false;
            var parked = _parkedWrites.ToArray();
            _parkedWrites.Clear();
            foreach (var write in parked)
            {
                RouteWrite(write);
            }

            RerouteParkedReads();
        }

        if (_toPropose.Count > 0)
        {
            var outcome = _replica.Propose(_toPropose);
            if (outcome == RequestOutcome.Accepted)
            {
                ProposedCommands += _toPropose.Count;
            }
            else if (outcome == RequestOutcome.Overloaded)
            {
                foreach (var write in _toProposeWrites)
                {
                    RefuseWrite(write, "the leader's proposal queue is full");
                }
            }
            else
            {
                _parkedWrites.AddRange(_toProposeWrites);
            }

            _toPropose.Clear();
            _toProposeWrites.Clear();
        }

        if (_toForward.Count > 0)
        {
            if (_replica.LeaderId is int leader && leader != _selfId)
            {
                _routingOut.Add(new ForwardWrites(_selfId, leader, _toForward.ToArray()));
                ForwardedCommands += _toForward.Count;
            }

            _toForward.Clear();
        }

        FlushReads();
        _parkedWrites.RemoveAll(static w => w.Done);
    }

    /// <summary>Answers a write as refused (Overloaded, with the reason): the caller learns it was not applied.</summary>
    private void RefuseWrite(PendingWrite write, string reason)
    {
        if (_writes.Remove(write.Caller))
        {
            write.Done = true;
            _forwardedAt.Remove(write.Caller);
            _answers.Add(new Answer(write.Caller, AnswerKind.Overloaded, Reason: reason));
        }
    }

    /// <summary>
    /// A member's forwarded writes. Checked as carefully as a client's: an authenticated member can still be buggy,
    /// and a command that reached the log unchecked (over the key or value limit, or too big for a log record) would
    /// be applied, or fail to be written, on every replica. A message with any bad command is refused whole, with
    /// the reason, so the sender answers its callers instead of retrying.
    /// </summary>
    private PaxosReplica.StepResult OnForwardWrites(ForwardWrites forward)
    {
        if (CheckForwarded(forward) is { } refusal)
        {
            _routingOut.Add(new ForwardRefused(_selfId, forward.From, forward.Commands, Overloaded: false, MaybeDecided: false, refusal.Reason));
            return refusal.Result;
        }

        var outcome = _replica.Role == Role.Leader ? _replica.Propose(forward.Commands) : RequestOutcome.NotLeader;
        if (outcome == RequestOutcome.Accepted)
        {
            ProposedCommands += forward.Commands.Count;
        }
        else
        {
            _routingOut.Add(new ForwardRefused(_selfId, forward.From, forward.Commands, outcome == RequestOutcome.Overloaded, MaybeDecided: false));
        }

        return PaxosReplica.StepResult.Handled;
    }

    /// <summary>Null when every forwarded command is a well-formed command the sender took, within the limits.</summary>
    private (PaxosReplica.StepResult Result, string Reason)? CheckForwarded(ForwardWrites forward)
    {
        foreach (var envelope in forward.Commands)
        {
            var body = CommandEnvelope.Unwrap(envelope, out var origin, out _, out _);
            if (origin != forward.From)
            {
                return (PaxosReplica.StepResult.Malformed, "a forwarded command must be a command envelope from its sender");
            }

            if (!CommandCodec.TryDecode(body.Span, out var command))
            {
                return (PaxosReplica.StepResult.Malformed, "a forwarded command is not a well-formed command");
            }

            if (_config.CommandLimits.Check(command) is { } over)
            {
                return (PaxosReplica.StepResult.OverLimit, "a forwarded command breaks a limit: " + over);
            }
        }

        return null;
    }

    private void OnForwardRefused(ForwardRefused refused)
    {
        foreach (var envelope in refused.Commands)
        {
            if (FindLocalWrite(envelope) is not { } write)
            {
                continue;
            }

            if (refused.Reason is { } reason)
            {
                RefuseWrite(write, "the leader refused the command: " + reason);
            }
            else
            {
                Reroute(write, refused.Overloaded, refused.MaybeDecided, retryNow: false);
            }
        }
    }

    /// <summary>The replica gave up on commands (lost leadership): ours are rerouted, others go back to their origin.</summary>
    private void OnDroppedProposals(DroppedProposals dropped)
    {
        Dictionary<int, List<ReadOnlyMemory<byte>>>? giveBack = null;
        foreach (var envelope in dropped.Commands)
        {
            CommandEnvelope.Unwrap(envelope, out var origin, out _, out _);
            if (origin == _selfId)
            {
                if (FindLocalWrite(envelope) is { } write)
                {
                    Reroute(write, overloaded: false, dropped.MaybeDecided, retryNow: true);
                }
            }
            else if (IsMember(origin))
            {
                giveBack ??= [];
                if (!giveBack.TryGetValue(origin, out var commands))
                {
                    giveBack[origin] = commands = [];
                }

                commands.Add(envelope);
            }
        }

        if (giveBack is not null)
        {
            foreach (var (origin, commands) in giveBack)
            {
                _routingOut.Add(new ForwardRefused(_selfId, origin, commands, Overloaded: false, dropped.MaybeDecided));
            }
        }
    }

    /// <summary>
    /// Routes a write again that a leader gave up on or refused. A refusal from the node we take for leader means our
    /// view is stale: waiting for the next leader change (or the periodic retry) keeps a stale view from turning into a
    /// forward-refuse loop between two nodes.
    /// </summary>
    private void Reroute(PendingWrite write, bool overloaded, bool maybeDecided, bool retryNow)
    {
        if (overloaded)
        {
            RefuseWrite(write, "the leader's proposal queue is full");
        }
        else if (!maybeDecided || write.HasRequestId || ReproposesMaybeDecided)
        {
            // Safe to propose again: never in a slot, or deduplicated by its request id if it was. Parked, it is no
            // longer a forward in flight.
            _forwardedAt.Remove(write.Caller);
            _parkedWrites.Add(write);
            _rerouteParked |= retryNow;
        }

        // Otherwise it may still be decided under the next leader; it stays pending until applied or abandoned.
    }

    /// <summary>
    /// A forwarded write can be lost with a peer link (the leader crashed, the link dropped it). One with a request
    /// id that waited <see cref="NodeCoreConfig.RetryTicks"/> is routed again: the state machine applies a request id
    /// once, so a second copy is harmless. One without waits for its slot or its caller's deadline.
    /// </summary>
    private void RetryLostForwards()
    {
        foreach (var caller in TakeOverdue(_forwardedAt))
        {
            if (_writes.TryGetValue(caller, out var write))
            {
                _parkedWrites.Add(write);
                _rerouteParked = true;
            }
        }
    }

    /// <summary>
    /// A new leader became known: writes forwarded to another node (a leader that crashed, was cut off or deposed)
    /// are routed again now rather than after the retry interval, which is what made a follower's writes wait up to
    /// three election timeouts after a failover. Only writes with a request id are tracked, so a second copy is
    /// harmless; one that reached the old leader's log is applied once.
    /// </summary>
    private void RerouteForwardsToOldLeaders(int leader)
    {
        foreach (var caller in TakeSentElsewhere(_forwardedAt, leader))
        {
            if (_writes.TryGetValue(caller, out var write))
            {
                _parkedWrites.Add(write);
                _rerouteParked = true;
            }
        }
    }

    /// <summary>Removes and returns the ids in <paramref name="sentAt"/> sent more than the retry interval ago.</summary>
    private List<long> TakeOverdue(Dictionary<long, SentTo> sentAt) => Take(sentAt, s => _ticks - s.Tick > _config.EffectiveRetryTicks);

    /// <summary>Removes and returns the ids in <paramref name="sentAt"/> sent to a node other than <paramref name="leader"/>.</summary>
    private static List<long> TakeSentElsewhere(Dictionary<long, SentTo> sentAt, int leader) => Take(sentAt, s => s.Leader != leader);

    private static List<long> Take(Dictionary<long, SentTo> sentAt, Func<SentTo, bool> take)
    {
        var taken = new List<long>();
        foreach (var (id, sent) in sentAt)
        {
            if (take(sent))
            {
                taken.Add(id);
            }
        }

        foreach (var id in taken)
        {
            sentAt.Remove(id);
        }

        return taken;
    }

    /// <summary>When a forward or read-index request left, and the node it went to (the leader then).</summary>
    private readonly record struct SentTo(long Tick, int Leader);

    private PendingWrite? FindLocalWrite(ReadOnlyMemory<byte> envelope)
    {
        CommandEnvelope.Unwrap(envelope, out var origin, out var incarnation, out var caller);
        return origin == _selfId && incarnation == _config.Incarnation && _writes.TryGetValue(caller, out var write) ? write : null;
    }

    /// <summary>Applies decided slots in order and answers this node's callers whose commands came out of the log.</summary>
    private void Apply(IReadOnlyList<LogEntry> decided)
    {
        for (var i = 0; i < decided.Count; i++)
        {
            var entry = decided[i];
            if (Configuration.TryFrom(entry.Value, out var configuration))
            {
                ApplyConfiguration(entry.Slot, configuration);
                continue;
            }

            var commands = entry.Value.Commands;
            _unwrapped.Clear();
            for (var c = 0; c < commands.Count; c++)
            {
                _unwrapped.Add(CommandEnvelope.Unwrap(commands[c], out _, out _, out _));
            }

            var results = _stateMachine.Apply(entry.Slot, _unwrapped);
            AppliedSlots++;
            AppliedCommands += commands.Count;
            for (var c = 0; c < commands.Count; c++)
            {
                CommandEnvelope.Unwrap(commands[c], out var origin, out var incarnation, out var caller);
                if (origin == _selfId && incarnation == _config.Incarnation && _writes.Remove(caller, out var write))
                {
                    write.Done = true;
                    _forwardedAt.Remove(caller);
                    _answers.Add(new Answer(caller, AnswerKind.WriteApplied, Write: results[c]));
                }
            }
        }
    }

#if RKV_FAULT_INJECTION
    private bool ReproposesMaybeDecided => _config.Faults.ReproposeMaybeDecided;
#else
    private static bool ReproposesMaybeDecided => false;
#endif
}
