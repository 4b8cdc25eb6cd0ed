namespace ReplicatedKv.Consensus;

// The acceptor: promises (phase 1b), acceptances (phase 2b) and refusals.
public sealed partial class PaxosReplica
{
    private void HandlePrepare(Prepare m)
    {
        if (m.Ballot < _promised)
        {
            Send(new Nack(NodeId, m.From, m.Ballot, _promised));
            return;
        }

        if (RefusesStaleCandidacy(m))
        {
            // The candidate has not heard of a member's newer incarnation: it could count that member's lost former self.
            Send(new Nack(NodeId, m.From, m.Ballot, _promised) { Incarnations = _incarnations.Records });
            return;
        }

        if (m.Ballot > _promised && m.From != NodeId && !m.LeaderTransfer && HeardFromLeaderRecently())
        {
            // Refusing is always safe, and silence does not depose the live leader.
            return;
        }

#if RKV_FAULT_INJECTION
        if (_config.Faults.RefuseShorterLog && m.From != NodeId && m.FromSlot <= _decidedIndex)
        {
            return;
        }
#endif

        if (m.FromSlot < _log.FirstSlot)
        {
            // The candidate lacks decided slots this replica compacted away: it needs a snapshot first.
            _snapshotRequests.Add(m.From);
            return;
        }

        if (_decidedIndex - m.FromSlot + 1 > _config.MaxEntriesPerMessage && m.From != NodeId)
        {
            // Far behind: a promise would be huge. Help it catch up instead; the others can elect a leader.
            SendCatchUp(m.From, m.FromSlot);
            return;
        }

        if (m.Ballot > _promised)
        {
            RaisePromise(m.Ballot);

            // The old leader's ballot is now refused here: stop routing clients and catch-up requests to it.
            if (m.From != NodeId && _leaderId != m.From)
            {
                _leaderId = null;
                _leaderDecidedIndex = 0;
            }
        }

        var entries = new List<LogEntry>();
        for (var slot = m.FromSlot; slot <= _log.LastSlot; slot++)
        {
            if (_log.TryGet(slot, out var entry))
            {
                entries.Add(entry);
            }
        }

        Send(new Promise(NodeId, m.From, m.Ballot, m.FromSlot, _decidedIndex, entries));
    }

    private void HandleAccept(Accept m)
    {
        if (m.Ballot < _promised)
        {
#if RKV_FAULT_INJECTION
            if (!_config.Faults.AcceptBelowPromise)
#endif
            {
                // A learner's refusal carries no weight, so it stays silent (see AdmitAsNonVoter).
                if (IsVoter)
                {
                    Send(new Nack(NodeId, m.From, m.Ballot, _promised));
                }

                return;
            }
        }
        else
        {
            if (m.Ballot > _promised)
            {
                RaisePromise(m.Ballot);
            }

            if (m.From != NodeId)
            {
                FollowLeader(m.Ballot);
            }
        }

        var acked = new List<long>(m.Entries.Count);
        foreach (var entry in m.Entries)
        {
            if (entry.IsEmpty || entry.Slot < 1 || entry.Slot > _decidedIndex + _config.MaxSlotsAhead)
            {
                continue;
            }

            if (entry.Slot > _decidedIndex)
            {
                Persist(new LogEntry(entry.Slot, m.Ballot, entry.Value));
                acked.Add(entry.Slot);
            }
            else if (entry.Slot < _log.FirstSlot || (_log.TryGet(entry.Slot, out var decided) && decided.Value.ContentEquals(entry.Value)))
            {
                // A decided slot keeps its value, and a leader that lags re-proposes exactly that value (P2c), so
                // the acceptance may be counted; with a majority down it must be. Where the value is still held
                // it is checked, and a different one is never acknowledged.
                acked.Add(entry.Slot);
            }
        }

        // A learner stores what the leader proposed, to learn the decision from the decided index, but never
        // acknowledges it. Keeping the values is safe: if it later votes and reports them in a promise, each is
        // exactly what that ballot proposed for that slot, which is all Paxos asks of a reported value.
        if (acked.Count > 0 && IsVoter)
        {
            Send(new Accepted(NodeId, m.From, m.Ballot, acked));
        }

        if (m.From != NodeId)
        {
            LearnDecided(m.Ballot, m.DecidedIndex);
        }
    }

    private void HandleNack(Nack m)
    {
        if (m.Promised.Round > _maxSeenRound)
        {
            _maxSeenRound = m.Promised.Round;
        }

        if (_role is Role.Leader or Role.Candidate && m.Ballot == _ballot && m.Promised > _ballot)
        {
            StepDown(null);
        }
    }
}
