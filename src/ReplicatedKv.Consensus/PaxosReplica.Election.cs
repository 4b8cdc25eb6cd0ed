namespace ReplicatedKv.Consensus;

// Leader election: pre-vote, phase 1 (prepare/promise) and the switch into phase 2.
public sealed partial class PaxosReplica
{
    private ulong _prePromiseMask;
    private long _candidacyFromSlot;
    private readonly Dictionary<int, Promise> _promises = [];

    // The members this candidacy sent a Prepare: those of the configurations it knows, then any a recovered configuration names.
    private readonly HashSet<int> _prepared = [];
    private bool _candidacyIsTransfer;

    /// <summary>Starts an election now instead of waiting for the timeout (used by tests and operator tooling).</summary>
    public void Campaign()
    {
        // A non-voter never campaigns: its own promise would count towards its quorum. Nor does a replica that is no
        // voter of the latest configuration (a non-voting member, or a removed one).
        if (_role == Role.Leader || !IsVoter || !IsVotingMember)
        {
            return;
        }

        if (_role == Role.Candidate)
        {
            // Abandoning this candidacy: hand its queued commands back, as a timed-out election does.
            StepDown(null);
        }

        StartPreCandidacy();
    }

    private void TickElection()
    {
        _electionElapsed++;
        GrantDeferredPreVotes();
        TickCatchUp();
        if (!IsVoter)
        {
            TickRejoin();
            return;
        }

        if (_electionElapsed < _randomizedElectionTimeout || !IsVotingMember)
        {
            return;
        }

        if (_role != Role.Follower)
        {
            // The election failed to finish in time: give the queued work back so the host can retry it.
            StepDown(null);
        }

        StartPreCandidacy();
    }

    /// <summary>
    /// True while this replica has reason to believe a leader is alive. Such a replica refuses to help a
    /// higher ballot take over (Raft thesis §4.2.3's "disruptive servers" rule, applied to promises).
    /// </summary>
    private bool HeardFromLeaderRecently() =>
#if RKV_FAULT_INJECTION
        !_config.Faults.PromiseDespiteLiveLeader &&
#endif
        (_role == Role.Leader || (_leaderId is not null && _electionElapsed < _config.ElectionTicks));

    private Ballot NextBallot() => new(Math.Max(_maxSeenRound, _promised.Round) + 1, NodeId);

    private void StartPreCandidacy()
    {
        TransitionTo(Role.PreCandidate);
        _leaderId = null;
        _ballot = NextBallot();
        _prePromiseMask = Bit(NodeId);
        ResetElectionTimer();
#if RKV_FAULT_INJECTION
        if (_config.Faults.NoPreVote)
        {
            StartCandidacy();
            return;
        }
#endif

        if (IsQuorumOfEach(KnownHorizon(), _prePromiseMask))
        {
            StartCandidacy();
            return;
        }

        foreach (var member in MembersOf(KnownHorizon()))
        {
            if (member != NodeId)
            {
                Send(new PrePrepare(NodeId, member, _ballot));
            }
        }
    }

    /// <summary>
    /// Pre-votes refused only because a leader was heard within ElectionTicks, by candidate. After a leader's loss the
    /// members' timers differ by when the last heartbeat reached each and by their tick phases, so the first
    /// pre-candidate is often refused by a member a tick short of its own timeout; without a late grant it would wait
    /// out a whole new election timer. The grant goes out once this member, too, stops hearing the leader: one message
    /// per refusal, where asking again every heartbeat would multiply pre-vote traffic during a partition.
    /// </summary>
    private readonly Dictionary<int, Ballot> _deferredPreVotes = [];

    private void GrantDeferredPreVotes()
    {
        if (_deferredPreVotes.Count == 0 || HeardFromLeaderRecently())
        {
            return;
        }

        foreach (var (candidate, ballot) in _deferredPreVotes)
        {
            if (ballot > _promised)
            {
                Send(new PrePromise(NodeId, candidate, ballot, true, _promised));
            }
        }

        _deferredPreVotes.Clear();
    }

    private void HandlePrePrepare(PrePrepare m)
    {
        var granted = m.Ballot > _promised && !HeardFromLeaderRecently();
        if (m.Ballot > _promised && !granted && _role != Role.Leader &&
            (!_deferredPreVotes.TryGetValue(m.From, out var deferred) || m.Ballot > deferred))
        {
            _deferredPreVotes[m.From] = m.Ballot;
        }

        Send(new PrePromise(NodeId, m.From, m.Ballot, granted, _promised));
    }

    private void HandlePrePromise(PrePromise m)
    {
        if (m.Promised.Round > _maxSeenRound)
        {
            _maxSeenRound = m.Promised.Round;
        }

        if (_role != Role.PreCandidate || m.Ballot != _ballot || !m.Granted)
        {
            return;
        }

        _prePromiseMask |= Bit(m.From);
        if (IsQuorumOfEach(KnownHorizon(), _prePromiseMask))
        {
            StartCandidacy();
        }
    }

    private void StartCandidacy(bool leaderTransfer = false)
    {
        _candidacyIsTransfer = leaderTransfer;
        TransitionTo(Role.Candidate);
        _ballot = NextBallot();
        _promises.Clear();
        _candidacyIncarnations = _incarnations;
        _candidacyFromSlot = _decidedIndex + 1;
        ResetElectionTimer();

        // The replica prepares itself like any other acceptor: its own promise counts only once durable.
        _prepared.Clear();
        SendPrepares(MembersOf(KnownHorizon()));
    }

    /// <summary>Prepares every member not yet prepared in this candidacy.</summary>
    private void SendPrepares(IEnumerable<int> members)
    {
        var fresh = members.Where(_prepared.Add).ToArray();

        // An acceptor far ahead answers the Prepare with decided values instead of a promise.
        foreach (var member in fresh)
        {
            if (member != NodeId)
            {
                _askedForDecided |= Bit(member);
            }
        }

        foreach (var member in fresh)
        {
            Send(new Prepare(NodeId, member, _ballot, _candidacyFromSlot, _candidacyIsTransfer) { Incarnations = _candidacyIncarnations.Records });
        }
    }

    private void HandlePromise(Promise m)
    {
        if (_role != Role.Candidate || m.Ballot != _ballot || m.FromSlot != _candidacyFromSlot || !CountsForCandidacy(m))
        {
            return;
        }

        _promises[m.From] = m;

        // The candidate's own promise arrives only after its ballot is on disk. Waiting for it means a
        // restarted replica always picks a higher round: a proposer must never reuse a ballot with other
        // values (Paxos Made Simple §2.3, "a proposer ... must remember the highest-numbered proposal").
        if (!_promises.ContainsKey(NodeId))
        {
            return;
        }

        // Decided values are facts: take them now, so the configurations they decide are known before counting.
        AdoptDecidedPrefix();
        ScanDecidedConfigs();
        if (!IsVotingMember)
        {
            // The log this candidacy learned says it is no voter any more: it must not lead.
            StepDown(null);
            return;
        }

        // Phase 1 must win a majority of every configuration that may govern a slot this leader proposes in: those the
        // decided prefix names, and any configuration among the values it will propose again (DESIGN.md).
        var needed = KnownHorizon();
        var (recovered, _) = RecoveredValues();
        foreach (var value in recovered.Values)
        {
            if (Configuration.TryFrom(value.Value, out var configuration))
            {
                needed.Add(configuration);
            }
        }

        SendPrepares(MembersOf(needed));
        var mask = 0UL;
        foreach (var from in _promises.Keys)
        {
            mask |= Bit(from);
        }

        if (IsQuorumOfEach(needed, mask))
        {
            BecomeLeader();
        }
    }

    /// <summary>
    /// Per slot above the decided index, the value the promises report accepted under the highest ballot (Paxos Made
    /// Simple §2.2, P2c), and the highest such slot. Only slots within MaxSlotsAhead of the decided index count: no
    /// acceptor stores further ahead.
    /// </summary>
    private (Dictionary<long, (Ballot Ballot, SlotValue Value)> Chosen, long Last) RecoveredValues()
    {
        var start = _decidedIndex + 1;
        var last = _decidedIndex;
        var chosen = new Dictionary<long, (Ballot Ballot, SlotValue Value)>();
        foreach (var promise in _promises.Values)
        {
            foreach (var entry in promise.Entries)
            {
                if (entry.Slot < start || entry.IsEmpty || entry.Slot > _decidedIndex + _config.MaxSlotsAhead)
                {
                    continue;
                }

                last = Math.Max(last, entry.Slot);
                if (!chosen.TryGetValue(entry.Slot, out var best) || entry.Ballot > best.Ballot)
                {
                    chosen[entry.Slot] = (entry.Ballot, entry.Value);
                }
            }
        }

        return (chosen, last);
    }

    /// <summary>
    /// Phase 1 is complete. First adopt the decided prefix the promises report: those values are final, and an
    /// acceptor may hold decided slots further ahead than any window. Then choose a value for every slot above
    /// it (Paxos Made Simple §2.2, P2c): the value accepted under the highest ballot, else a no-op. Every
    /// acceptor holds values at most MaxSlotsAhead past its decided index, which the adopted prefix covers,
    /// so this leader's own acceptor can store everything it proposes.
    /// </summary>
    private void BecomeLeader()
    {
        AdoptDecidedPrefix();
        ScanDecidedConfigs();
        var start = _decidedIndex + 1;
        var (chosen, last) = RecoveredValues();
        _promises.Clear();
        TransitionTo(Role.Leader);
        _leaderId = NodeId;
        InitLeaderState();
        ForgetChallenges();
        _nextSlot = start;
        _recoveryEnd = last;
        for (var slot = start; slot <= last; slot++)
        {
#if RKV_FAULT_INJECTION
            var value = !_config.Faults.SkipRecoveredValues && chosen.TryGetValue(slot, out var c) ? c.Value : SlotValue.NoOp;
#else
            var value = chosen.TryGetValue(slot, out var c) ? c.Value : SlotValue.NoOp;
#endif
            _recovered[slot] = value;
        }

        // The recovered slots within the window go out first, in one batch; the rest follow as the window moves.
        List<LogEntry>? batch = null;
        while (_nextSlot <= _recoveryEnd && MayPropose(_nextSlot))
        {
            _recovered.Remove(_nextSlot, out var value);
            ProposeInto(ref batch, value!);
        }

        SendBatch(batch);
        BroadcastHeartbeat();
        FlushProposals();
    }

    /// <summary>Marks decided, in order, every slot some promise reports as decided (with its value).</summary>
    private void AdoptDecidedPrefix()
    {
#if RKV_FAULT_INJECTION
        if (_config.Faults.SkipRecoveredValues)
        {
            return;
        }
#endif

        var adopted = true;
        while (adopted)
        {
            adopted = false;
            var slot = _decidedIndex + 1;
            foreach (var promise in _promises.Values)
            {
                if (slot > promise.DecidedIndex || slot < promise.FromSlot)
                {
                    continue;
                }

                var index = (int)Math.Min(slot - promise.FromSlot, promise.Entries.Count - 1);
                while (index >= 0 && promise.Entries[index].Slot > slot)
                {
                    index--;
                }

                if (index >= 0 && promise.Entries[index].Slot == slot && !promise.Entries[index].IsEmpty)
                {
                    Persist(promise.Entries[index]);
                    _decidedIndex = slot;
                    adopted = true;
                    break;
                }
            }
        }
    }

    /// <summary>Follows the leader of <paramref name="ballot"/>, whose messages prove it is alive.</summary>
    private void FollowLeader(Ballot ballot)
    {
        if (_role != Role.Follower)
        {
            StepDown(ballot.NodeId);
        }

        if (_leaderId != ballot.NodeId)
        {
            _leaderId = ballot.NodeId;
            _leaderDecidedIndex = 0;

            // Requests made under the old view are answered, if at all, by members it no longer relies on.
            _askedForDecided = 0;

            // A learner asks a new leader for its fence at once rather than at its next probe tick.
            RequestFence();
        }

        _electionElapsed = 0;
    }

    /// <summary>
    /// Gives up leadership or candidacy. Everything this replica was driving is handed back to the host as
    /// dropped, promptly, so clients retry at the new leader instead of waiting for a timeout.
    /// </summary>
    private void StepDown(int? leaderHint)
    {
        var wasDriving = _role is Role.Leader or Role.Candidate;
        TransitionTo(Role.Follower);
        _leaderId = leaderHint;
        _leaderDecidedIndex = 0;
        _promises.Clear();
        _prepared.Clear();
        ResetElectionTimer();
        if (wasDriving)
        {
            DropLeaderWork(leaderHint);
        }
    }
}
