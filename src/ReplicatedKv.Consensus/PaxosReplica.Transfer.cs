namespace ReplicatedKv.Consensus;

// Leader transfer: the leader stops taking new proposals, waits until the target has decided every slot it proposed,
// and tells it to start its ballot at once (TimeoutNow); the target's prepares say so, and acceptors that still hear
// the old leader promise anyway. If the target has not taken over within an election timeout, the leader carries on.
// Only liveness is at stake: promising is always safe, and the old leader's slots are all decided before it hands over.
public sealed partial class PaxosReplica
{
    private int? _transferTarget;
    private int _transferElapsed;

    /// <summary>The member this leader is handing leadership to, if a transfer is under way.</summary>
    public int? TransferTarget => _transferTarget;

    /// <summary>
    /// Starts handing leadership to <paramref name="target"/>, a voter of the latest and the governing configuration.
    /// Returns null when started, else the one-line reason it was not. While it lasts, <see cref="Propose(IReadOnlyList{ReadOnlyMemory{byte}})"/>
    /// answers NotLeader (the host parks writes until the new leader is known).
    /// </summary>
    public string? TransferLeadership(int target)
    {
        if (_role != Role.Leader)
        {
            return "this node is not the leader";
        }

        if (target == NodeId)
        {
            return "this node already leads";
        }

        if (!_history.Latest.Configuration.IsVoter(target) || !GoverningConfiguration.Configuration.IsVoter(target))
        {
            return $"node {target} is not a voter of the configuration in force";
        }

        if (_transferTarget is int other)
        {
            return $"a transfer to node {other} is under way";
        }

        _transferTarget = target;
        _transferElapsed = 0;
        TryHandOver();
        return null;
    }

    /// <summary>Sends TimeoutNow once the target has decided everything this leader proposed (nothing in flight, nothing queued).</summary>
    private void TryHandOver()
    {
        if (_role != Role.Leader || _transferTarget is not int target || _inFlight.Count > 0 || _queue.Count > 0 ||
            _nextSlot <= _recoveryEnd || _queuedConfig is not null || !_peerDecided.TryGetValue(target, out var decided) || decided < _decidedIndex)
        {
            return;
        }

        Send(new TimeoutNow(NodeId, target, _ballot));
    }

    /// <summary>Gives the transfer up after an election timeout; asks the target to catch up meanwhile (heartbeats carry the decided index).</summary>
    private void TickTransfer()
    {
        if (_transferTarget is null)
        {
            return;
        }

        if (++_transferElapsed >= _config.ElectionTicks)
        {
            _transferTarget = null;
            FlushProposals();
            return;
        }

        TryHandOver();
    }

    /// <summary>The leader this replica follows hands over: campaign now, skipping the pre-vote and the timeout.</summary>
    private void HandleTimeoutNow(TimeoutNow m)
    {
        if (m.Ballot != _promised || _leaderId != m.From || _role != Role.Follower || !IsVoter || !IsVotingMember)
        {
            return;
        }

        TransitionTo(Role.PreCandidate);
        _leaderId = null;
        StartCandidacy(leaderTransfer: true);
    }
}
