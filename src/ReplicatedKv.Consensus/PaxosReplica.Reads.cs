namespace ReplicatedKv.Consensus;

// Read index (Raft thesis §6.4, adapted): linearizable reads without writing to the log.
public sealed partial class PaxosReplica
{
    private List<long> _pendingReads = [];
    private List<long> _roundReads = [];
    private long _readRound;
    private long _roundIndex;
    private ulong _readAckMask;

    /// <summary>
    /// Asks for a point at which a read is linearizable. The leader answers through
    /// <see cref="Ready.ReadStates"/> once a majority confirmed, after the request arrived, that no higher
    /// ballot has taken over. One heartbeat round serves every read waiting when it starts. A new leader
    /// answers only after it decided every slot it recovered, so the index covers all earlier decisions.
    /// </summary>
    public RequestOutcome ReadIndex(long requestId)
    {
        if (_role != Role.Leader)
        {
            return RequestOutcome.NotLeader;
        }

        _pendingReads.Add(requestId);
        TryStartReadRound();
        return RequestOutcome.Accepted;
    }

    private void TryStartReadRound()
    {
        if (_role != Role.Leader || _roundReads.Count > 0 || _pendingReads.Count == 0 || _decidedIndex < _recoveryEnd)
        {
            return;
        }

        (_roundReads, _pendingReads) = (_pendingReads, _roundReads);
        _readRound++;
        _roundIndex = _decidedIndex;
        _readAckMask = Bit(NodeId);
        if (IsQuorumOfEach(LeaderHorizon(), _readAckMask))
        {
            CompleteReadRound();
            return;
        }

        BroadcastHeartbeat();
    }

    private void HandleHeartbeat(Heartbeat m)
    {
        if (m.Ballot < _promised)
        {
            if (!IsVoter)
            {
                return;
            }

#if RKV_FAULT_INJECTION
            if (_config.Faults.AcceptBelowPromise)
            {
                Send(new HeartbeatAck(NodeId, m.From, m.Ballot, m.ReadRound, _decidedIndex));
                return;
            }
#endif

            Send(new Nack(NodeId, m.From, m.Ballot, _promised));
            return;
        }

        if (m.Ballot > _promised)
        {
            RaisePromise(m.Ballot);
        }

        FollowLeader(m.Ballot);

        // The ack confirms leadership for read rounds and check-quorum: both count it toward a majority, so a
        // learner, whose promise binds nobody, sends none.
        if (IsVoter)
        {
            Send(new HeartbeatAck(NodeId, m.From, m.Ballot, m.ReadRound, _decidedIndex));
        }

        LearnDecided(m.Ballot, m.DecidedIndex);
    }

    private void HandleHeartbeatAck(HeartbeatAck m)
    {
        if (_role != Role.Leader || m.Ballot != _ballot)
        {
            return;
        }

        var bit = Bit(m.From);
        _recentlyActive |= bit;
        _lastAckAt[m.From] = _now;
        _peerDecided[m.From] = m.DecidedIndex;
        TryHandOver();
        if (_roundReads.Count > 0 && m.ReadRound >= _readRound)
        {
            _readAckMask |= bit;

            // A majority of every configuration that governs an undecided slot of this leader: any higher ballot that
            // decided a new value after the read arrived needed promises from one of them (DESIGN.md).
            if (IsQuorumOfEach(LeaderHorizon(), _readAckMask))
            {
                CompleteReadRound();
            }
        }
    }

    private void CompleteReadRound()
    {
        _readStates.Add(new ReadState(_roundReads.ToArray(), _roundIndex));
        _roundReads.Clear();
        TryStartReadRound();
    }

    private void DropReads(int? leaderHint)
    {
        if (_pendingReads.Count + _roundReads.Count == 0)
        {
            return;
        }

        var ids = new List<long>(_roundReads);
        ids.AddRange(_pendingReads);
        _roundReads.Clear();
        _pendingReads.Clear();
        _droppedReads.Add(new DroppedReads(ids, leaderHint));
    }
}
