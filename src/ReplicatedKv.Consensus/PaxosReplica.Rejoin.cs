using System.Numerics;

namespace ReplicatedKv.Consensus;

// Starting without trustworthy state: probing, the learner, and the rule for regaining the vote (the fence).
// A replica that may have lost its disk must not vote until it has seen one complete Paxos instance started
// after its restart (Paxos Made Live §5.1). The rule and the proof that it is safe are in DESIGN.md beside this file
// ("Rejoining after a lost disk"; without message age for a learner with an incarnation, "Incarnations": its fence
// is challenged, PaxosReplica.FenceChallenge.cs, and it has no quarantine). RejoinTests scripts the counterexamples
// for the alternatives.
public sealed partial class PaxosReplica
{
    // The whole rejoin state: HardState's Rejoining and Bootstrapped flags, RejoinState, and whether the Rejoining
    // flag is durable (until it is, a learner stores nothing: a crash that kept learnt entries but not the flag
    // would restart it as a voter). Changed only by MoveTo, along RejoinPhases.IsLegal.
    private RejoinPhase _phase;

    // HardState.Rejoining as the outstanding Ready writes it; null when that Ready carries no HardState. Advance
    // makes it durable: a set flag moves a non-voter to its durable phase, a cleared one lets it vote.
    private bool? _rejoiningInOutstandingReady;

    private long _rejoinElapsed;
    private int _probeElapsed;
    private long _probeRound;

    // The first probe round sent after the quarantine (0 while it lasts): only answers to it and later count.
    private long _firstCountedRound;
    private ulong _emptyMask;

    // The fence a learner waits on: slot _fenceSlot, proposed by the leader of _fenceBallot after the quarantine.
    private Ballot _fenceBallot;
    private long _fenceSlot;
    private bool _fenceDecidedByLeader;

    // A leader's debt to waiting learners: it proposes a slot at least this high, a no-op if nothing else.
    private long _owedFenceSlot;

#if RKV_FAULT_INJECTION
    // Only for ReplicaFaults.TrustProbeAnswers: the first n-q+1 members to answer a counted probe, and the highest
    // slot and promise they reported.
    private ulong _answeredMask;
    private long _answeredLastSlot;
    private Ballot _answeredPromise;
#endif

    /// <summary>True when this replica takes part in quorums (see <see cref="RejoinState"/>).</summary>
    public bool IsVoter => _phase is RejoinPhase.Voter or RejoinPhase.BootstrappedVoter;

    /// <summary>Voter, learner (rejoining after losing its state) or probing (asking whether the cluster exists).</summary>
    public RejoinState RejoinState => _phase.ToRejoinState();

    /// <summary>
    /// The quarantine is over. It counts only where assumption (A) still carries the argument (DESIGN.md, "What is left
    /// of the age rule"): probe answers, and a fence that answers a plain request (a replica without an incarnation, or
    /// a leader that does not challenge). A fence that answers this incarnation's answer to a challenge needs no
    /// timing bound and counts at once (<see cref="AnswersChallenge"/>).
    /// </summary>
    private bool QuarantineOver => _rejoinElapsed >= _config.RejoinQuarantineTicks;

    /// <summary>Decides how to start: the persisted flag wins; an empty state asks <see cref="ReplicaConfig.RejoinMode"/>.</summary>
    private void InitRejoin(PersistentState state)
    {
        var voter = state.HardState.Bootstrapped ? RejoinPhase.BootstrappedVoter : RejoinPhase.Voter;
        var blank = state.HardState.Promised == Ballot.Zero && state.HardState.DecidedIndex == 0 && !state.HardState.Bootstrapped &&
                    state.SnapshotSlot == 0 && state.Entries.Count == 0;
#if RKV_FAULT_INJECTION
        if (_config.Faults.VoteAfterStateLoss)
        {
            _phase = voter;
            return;
        }
#endif

        if (state.HardState.Rejoining)
        {
            // Still a learner. With nothing learnt yet and Probe configured, asking again is as safe as the first time,
            // and keeps a brand-new cluster whose nodes all crashed while probing from waiting forever on a leader.
            _phase = blank && _config.RejoinMode == RejoinMode.Probe ? RejoinPhase.ProbingDurable : RejoinPhase.LearnerDurable;
        }
        else if (blank && _config.RejoinMode != RejoinMode.Bootstrap)
        {
            _mustSync = true;
            _phase = _config.RejoinMode == RejoinMode.Probe ? RejoinPhase.Probing : RejoinPhase.Learner;
        }
        else
        {
            _phase = voter;
        }

        if (RejoinState == RejoinState.Probing)
        {
            SendProbes();
        }
    }

    /// <summary>
    /// Lets through the messages a non-voter acts on; drops the rest. A probing replica that sees any sign of
    /// an existing cluster becomes a learner first. A non-voter stays silent where a voter would grant, promise,
    /// accept, refuse or acknowledge: none of its answers could count, and silence is just a lost message,
    /// which every step of the protocol already tolerates (a Nack from it would depose leaders for nothing).
    /// </summary>
    private bool AdmitAsNonVoter(PeerMessage message)
    {
        // Once it has decided to vote, later signs of a cluster are expected: its peers bootstrap and elect too.
        if (_phase.IsUndecidedProbe() && ShowsExistingCluster(message))
        {
            BecomeLearner();
        }

        return message switch
        {
            RejoinProbe or RejoinStatus or CatchUpRequest => true,
            Accept or Heartbeat or Decide or CatchUp => _phase.LearnsDurably(),

            // PrePrepare and Prepare: a non-voter grants nothing. PrePromise, Promise, Accepted, Nack and
            // HeartbeatAck answer requests only a voter sends (these are old answers to the node's former self).
            _ => false,
        };
    }

    /// <summary>
    /// True when <paramref name="message"/> proves some member has state. Every message but a pre-vote request
    /// carries a promise, and a non-zero promise means some phase 1 began. A pre-vote changes nothing, and the
    /// first voters of a brand-new cluster send them while others are still probing.
    /// </summary>
    private static bool ShowsExistingCluster(PeerMessage message) => message switch
    {
        PrePrepare => false,
        PrePromise m => m.Promised != Ballot.Zero,
        RejoinStatus m => !m.IsEmpty,
        CatchUp m => m.Ballot != Ballot.Zero || m.Entries.Count > 0,
        _ => message.Ballot != Ballot.Zero,
    };

    /// <summary>
    /// A probing replica probes when it starts (an existing cluster shows itself at once), when the quarantine
    /// ends (the answers that count), then every election timeout for members that have not answered: probes
    /// go to every member, so probing faster would flood the network for a decision nothing waits on. A learner
    /// asks for its fence every heartbeat interval: one small message to the leader.
    /// </summary>
    private void TickRejoin()
    {
        var quarantineEnds = _rejoinElapsed == _config.RejoinQuarantineTicks - 1;
        _rejoinElapsed++;
        _probeElapsed++;
        if (RejoinState == RejoinState.Probing)
        {
            if (_probeElapsed >= _config.ElectionTicks || quarantineEnds)
            {
                SendProbes();
            }
        }
        else if (_probeElapsed >= _config.HeartbeatTicks || quarantineEnds)
        {
            _probeElapsed = 0;
            RequestFence();
#if RKV_FAULT_INJECTION
            if (_config.Faults.TrustProbeAnswers && QuarantineOver)
            {
                SendProbes();
            }
#endif
        }

        TryRegainVote();
    }

    /// <summary>Probes every member that has not yet answered empty after the quarantine.</summary>
    private void SendProbes()
    {
        _probeElapsed = 0;
        var round = NextProbeRound();
        foreach (var member in _members)
        {
            if (member != NodeId && (_emptyMask & Bit(member)) == 0)
            {
                Send(new RejoinProbe(NodeId, member, _promised, round, Waiting: false));
            }
        }
    }

    /// <summary>
    /// Asks the leader this learner follows for a fence, until it has one for the leader's ballot. A learner with an
    /// incarnation is answered with a challenge first (<see cref="AnswerChallenge"/>).
    /// </summary>
    private void RequestFence()
    {
        // With an incarnation it asks at once: the leader challenges it, and that fence needs no quarantine.
        if (_phase != RejoinPhase.LearnerDurable || (!QuarantineOver && _incarnation == 0) || _fenceBallot == _promised ||
            _leaderId is not int leader || leader != _promised.NodeId)
        {
            return;
        }

        Send(new RejoinProbe(NodeId, leader, _promised, NextProbeRound(), Waiting: true));
    }

    private long NextProbeRound()
    {
        _probeRound++;
        if (_firstCountedRound == 0 && QuarantineOver)
        {
            _firstCountedRound = _probeRound;
        }

        return _probeRound;
    }

    /// <summary>
    /// Anyone answers with its state. The leader answers a waiting learner with a fence: the next slot it will
    /// propose, which it now owes, so it proposes a no-op there if no command comes first. A learner with an
    /// incarnation gets a challenge first, and the fence only for its answer (<see cref="AnswerFenceRequest"/>).
    /// </summary>
    private void HandleRejoinProbe(RejoinProbe m)
    {
        long fence = 0, challenge = 0;
        if (m.Waiting && _role == Role.Leader)
        {
            (fence, challenge) = AnswerFenceRequest(m);
            if (fence > 0)
            {
                _owedFenceSlot = Math.Max(_owedFenceSlot, fence);
                FlushProposals();
            }
        }

        Send(new RejoinStatus(NodeId, m.From, _promised, m.Round, RejoinState, _decidedIndex, _log.FirstSlot, _log.LastSlot, fence) { Challenge = challenge });
    }

    private void HandleRejoinStatus(RejoinStatus m)
    {
        var counted = _firstCountedRound > 0 && m.Round >= _firstCountedRound;
        if (_phase.IsUndecidedProbe() && counted && m.IsEmpty)
        {
            // AdmitAsNonVoter already turned a probing replica into a learner on any answer with state.
            _emptyMask |= Bit(m.From);
            if (BitOperations.PopCount(_emptyMask) >= _memberCount - Quorum.Majority(_memberCount) + 1)
            {
                Bootstrap();
            }
        }
#if RKV_FAULT_INJECTION
        else if (_config.Faults.TrustProbeAnswers && RejoinState == RejoinState.Learner && counted &&
                 BitOperations.PopCount(_answeredMask) < _memberCount - Quorum.Majority(_memberCount) + 1)
        {
            _answeredMask |= Bit(m.From);
            _answeredLastSlot = Math.Max(_answeredLastSlot, m.LastSlot);
            _answeredPromise = m.Ballot > _answeredPromise ? m.Ballot : _answeredPromise;
        }
#endif
        else if (RejoinState == RejoinState.Learner && (counted || AnswersChallenge(m)) && m.FenceSlot > 0 && m.Ballot == _promised &&
                 m.Ballot.NodeId == m.From && _fenceBallot != _promised)
        {
            _fenceBallot = m.Ballot;
            _fenceSlot = m.FenceSlot;
            _fenceDecidedByLeader = false;
        }
        else if (RejoinState == RejoinState.Learner)
        {
            AnswerChallenge(m);
        }
    }

    /// <summary>Called with every decided index the followed leader reports under its ballot.</summary>
    private void NoteLeaderDecided(Ballot ballot, long decidedIndex)
    {
        if (_fenceSlot > 0 && ballot == _fenceBallot && decidedIndex >= _fenceSlot)
        {
            _fenceDecidedByLeader = true;
        }
    }

    /// <summary>Step 3 of the fence rule (DESIGN.md).</summary>
    private void TryRegainVote()
    {
#if RKV_FAULT_INJECTION
        if (_config.Faults.TrustProbeAnswers)
        {
            if (_phase is RejoinPhase.Learner or RejoinPhase.LearnerDurable &&
                BitOperations.PopCount(_answeredMask) >= _memberCount - Quorum.Majority(_memberCount) + 1 &&
                _decidedIndex > _answeredLastSlot && _promised >= _answeredPromise && _leaderId == _promised.NodeId)
            {
                DecideToVote();
            }

            return;
        }
#endif

        if (_phase is not (RejoinPhase.Learner or RejoinPhase.LearnerDurable) || _fenceSlot == 0 || _fenceBallot != _promised ||
            !_fenceDecidedByLeader || _decidedIndex < _fenceSlot)
        {
            return;
        }

        DecideToVote();
    }

    private void BecomeLearner()
    {
        MoveTo(_phase == RejoinPhase.ProbingDurable ? RejoinPhase.LearnerDurable : RejoinPhase.Learner);
        _fenceSlot = 0;
        _fenceBallot = Ballot.Zero;
        RequestFence();
    }

    /// <summary>Enough members answered empty after the quarantine: a brand-new cluster, so vote.</summary>
    private void Bootstrap()
    {
        MoveTo(RejoinPhase.Bootstrapping);
        DecideToVote();
    }

    /// <summary>
    /// Clears Rejoining in the next HardState (the phase is Bootstrapping or Regaining), fsynced. The replica keeps
    /// behaving as a non-voter until the host confirms that Ready (<see cref="NoteVoteDurable"/>): a crash before
    /// then restarts it as it was, having cast no vote that depended on the change.
    /// </summary>
    private void DecideToVote()
    {
        if (_phase != RejoinPhase.Bootstrapping)
        {
            MoveTo(RejoinPhase.Regaining);
        }

        _mustSync = true;
        _fenceSlot = 0;
        _fenceBallot = Ballot.Zero;
    }

    /// <summary>Called by GetReady: what the Ready's HardState says about Rejoining, made durable by Advance.</summary>
    private void NoteReadyForRejoin(Ready ready) => _rejoiningInOutstandingReady = ready.HardState?.Rejoining;

    /// <summary>Called by Advance: the outstanding Ready is durable.</summary>
    private void NoteVoteDurable()
    {
        var written = _rejoiningInOutstandingReady;
        _rejoiningInOutstandingReady = null;
        if (written == true && _phase is RejoinPhase.Probing or RejoinPhase.Learner)
        {
            MoveTo(_phase == RejoinPhase.Probing ? RejoinPhase.ProbingDurable : RejoinPhase.LearnerDurable);
            RequestFence();
        }
        else if (written == false && _phase is RejoinPhase.Bootstrapping or RejoinPhase.Regaining)
        {
            MoveTo(_phase == RejoinPhase.Bootstrapping ? RejoinPhase.BootstrappedVoter : RejoinPhase.Voter);
            ResetElectionTimer();
        }
    }

    /// <summary>The only way the rejoin phase changes after the start; refuses any move RejoinPhases.IsLegal does not list.</summary>
    private void MoveTo(RejoinPhase next)
    {
        if (!RejoinPhases.IsLegal(_phase, next))
        {
            throw new InvariantViolationException($"replica {NodeId}: illegal rejoin phase change {_phase} -> {next}");
        }

        _phase = next;
    }
}
