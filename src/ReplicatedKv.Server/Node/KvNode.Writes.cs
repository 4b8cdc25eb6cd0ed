using ReplicatedKv.Consensus;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Node;

// Writes: propose on the leader, forward from a follower, park while no leader is known; answer at apply.
public sealed partial class KvNode
{
    private readonly List<ReadOnlyMemory<byte>> _toPropose = [];
    private readonly List<PendingWrite> _toProposeWrites = [];
    private readonly Wire.ForwardedProposal _toForward = new();
    private readonly List<PendingWrite> _parkedWrites = [];
    private readonly List<ReadOnlyMemory<byte>> _unwrapped = [];
    private readonly Dictionary<long, long> _forwardedAt = [];
    private bool _rerouteParked;

    private void RouteWrite(PendingWrite write)
    {
        if (write.IsDone)
        {
            return;
        }

        if (_replica.Role is Role.Leader)
        {
            _toPropose.Add(write.Envelope);
            _toProposeWrites.Add(write);
        }
        else if (_replica.LeaderId is int leader && leader != _members.SelfId)
        {
            _toForward.Commands.Add(Google.Protobuf.UnsafeByteOperations.UnsafeWrap(write.Envelope));
            if (write.HasRequestId)
            {
                _forwardedAt[write.Proposal] = _ticks;
            }
        }
        else
        {
            _parkedWrites.Add(write);
        }
    }

    /// <summary>Once per loop round: one Propose for everything admitted in it, one forward message, one read round.</summary>
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
                _metrics.Proposed(_toPropose.Count);
            }
            else if (outcome == RequestOutcome.Overloaded)
            {
                foreach (var write in _toProposeWrites)
                {
                    Abandon(write, new OverloadedException("the leader's proposal queue is full"));
                }
            }
            else if (outcome == RequestOutcome.NotLeader)
            {
                _parkedWrites.AddRange(_toProposeWrites);
            }

            _toPropose.Clear();
            _toProposeWrites.Clear();
        }

        if (_toForward.Commands.Count > 0)
        {
            if (_replica.LeaderId is int leader && leader != _members.SelfId)
            {
                SendHost(leader, new Wire.PeerMessage { Forward = _toForward.Clone() });
                _metrics.Forwarded(_toForward.Commands.Count);
            }

            _toForward.Commands.Clear();
        }

        FlushReads();
    }

    private void OnForwardedProposal(int from, Wire.ForwardedProposal forward)
    {
        var commands = new ReadOnlyMemory<byte>[forward.Commands.Count];
        for (var i = 0; i < commands.Length; i++)
        {
            commands[i] = forward.Commands[i].Memory;
        }

        var outcome = _replica.Role == Role.Leader ? _replica.Propose(commands) : RequestOutcome.NotLeader;
        if (outcome == RequestOutcome.Accepted)
        {
            _metrics.Proposed(commands.Length);
        }
        else
        {
            var rejected = new Wire.ForwardRejected { Overloaded = outcome == RequestOutcome.Overloaded };
            rejected.Commands.AddRange(forward.Commands);
            SendHost(from, new Wire.PeerMessage { ForwardRejected = rejected });
        }
    }

    private void OnForwardRejected(Wire.ForwardRejected rejected)
    {
        foreach (var envelope in rejected.Commands)
        {
            if (FindLocalWrite(envelope.Memory) is { } write)
            {
                Reroute(write, rejected.Overloaded, rejected.MaybeDecided);
            }
        }
    }

    private void OnDroppedProposals(DroppedProposals dropped)
    {
        var giveBack = new Wire.ForwardRejected?[_members.Count + 1];
        foreach (var envelope in dropped.Commands)
        {
            CommandEnvelope.Unwrap(envelope, out var origin, out _, out _);
            if (origin == _members.SelfId)
            {
                if (FindLocalWrite(envelope) is { } write)
                {
                    Reroute(write, overloaded: false, dropped.MaybeDecided);
                }
            }
            else if (origin >= 1 && origin <= _members.Count)
            {
                (giveBack[origin] ??= new Wire.ForwardRejected { MaybeDecided = dropped.MaybeDecided }).Commands.Add(Google.Protobuf.UnsafeByteOperations.UnsafeWrap(envelope));
            }
        }

        for (var origin = 1; origin < giveBack.Length; origin++)
        {
            if (giveBack[origin] is { } rejected)
            {
                SendHost(origin, new Wire.PeerMessage { ForwardRejected = rejected });
            }
        }
    }

    private void Reroute(PendingWrite write, bool overloaded, bool maybeDecided)
    {
        if (overloaded)
        {
            Abandon(write, new OverloadedException("the leader's proposal queue is full"));
        }
        else if (!maybeDecided || write.HasRequestId)
        {
            // Safe to propose again: never in a slot, or deduplicated by its request id if it was.
            _parkedWrites.Add(write);
            _rerouteParked = true;
        }

        // Otherwise it may still be decided under the next leader; it stays pending until applied or its deadline.
    }

    /// <summary>
    /// A forwarded write can be lost with a peer link (the leader crashed, the link dropped it). One with a
    /// request id that has waited two election timeouts is forwarded again: the state machine applies a request
    /// id once, so a second copy is harmless. Without a request id a second copy could apply twice; such a write
    /// waits for its slot or its deadline.
    /// </summary>
    private void RetryLostForwards()
    {
        foreach (var proposal in TakeOverdue(_forwardedAt))
        {
            if (_pendingWrites.TryGetValue(proposal, out var write) && !write.IsDone)
            {
                _parkedWrites.Add(write);
                _rerouteParked = true;
            }
        }
    }

    private PendingWrite? FindLocalWrite(ReadOnlyMemory<byte> envelope)
    {
        CommandEnvelope.Unwrap(envelope, out var origin, out var incarnation, out var proposal);
        return origin == _members.SelfId && incarnation == _incarnation && _pendingWrites.TryGetValue(proposal, out var write) ? write : null;
    }

    private void Apply(IReadOnlyList<LogEntry> decided)
    {
        for (var i = 0; i < decided.Count; i++)
        {
            var entry = decided[i];
            var commands = entry.Value.Commands;
            _unwrapped.Clear();
            for (var c = 0; c < commands.Count; c++)
            {
                _unwrapped.Add(CommandEnvelope.Unwrap(commands[c], out _, out _, out _));
            }

            var results = _stateMachine.Apply(entry.Slot, _unwrapped);

            // Counted before its callers are answered, so a caller that scrapes next sees its write.
            _metrics.SlotApplied(commands.Count);
            for (var c = 0; c < commands.Count; c++)
            {
                CommandEnvelope.Unwrap(commands[c], out var origin, out var incarnation, out var proposal);
                if (origin == _members.SelfId && incarnation == _incarnation && _pendingWrites.TryRemove(proposal, out var write))
                {
                    _forwardedAt.Remove(proposal);
                    write.Result.TrySetResult(results[c]);
                }
            }
        }
    }
}

/// <summary>The node cannot take more work right now (RESOURCE_EXHAUSTED).</summary>
public sealed class OverloadedException : Exception
{
    public OverloadedException()
    {
    }

    public OverloadedException(string message)
        : base(message)
    {
    }

    public OverloadedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
