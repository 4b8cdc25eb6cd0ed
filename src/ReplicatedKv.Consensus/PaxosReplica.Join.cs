using System.Numerics;

namespace ReplicatedKv.Consensus;

// Starting without trustworthy state: probing, the learner, and the rule for regaining the vote.
//
// The hazard. An acceptor must remember its promises and acceptances (Paxos Made Simple §2.3). A node that
// restarts on an empty disk has forgotten them; if it voted at once, a quorum holding its old self and one
// holding its new self could share nobody else. With 3 nodes: x is chosen at slot 1 by {N, A}; N loses its
// disk; a leader elected by {N, B} finds nothing at slot 1 and decides a no-op there. So such a replica starts
// as a non-voter (Paxos Made Live §5.1: it "participates in Paxos as a non-voting member" until it "observes
// one complete instance of Paxos that was started after" its restart). Below, that rule made precise.
//
// Notation: T0 is the restart; old N is what the node did before, new N what it does after (messages old N
// sent may still be in flight, and still count); q = ⌊n/2⌋+1 is the quorum size; "others" are the n-1 members
// besides N; Q is RejoinQuarantineTicks.
//
// Assumption (A), the only timing one: no message is delivered more than Q/2 ticks after it was sent. Within
// that, messages may be lost, duplicated and reordered freely. The host's transport must enforce it.
//
// Probe. An empty replica asks every other member for its state (JoinProbe, answered by JoinStatus; probing
// replicas and learners answer too) and counts only answers to probes sent after T0+Q. Any answer with state,
// or any message showing that a phase 1 has begun, makes it a learner at once (always safe). Once n-q+1 others
// (f+1 for odd n) have answered empty, it records Bootstrapped and votes from the moment that is durable (so a
// crash never sends a replica that may have voted back to probing). Why that is safe: old N's votes matter
// only through a phase 1 that counts old N's promise, or through a value old N accepted, which needs a phase 1
// completed before T0.
// Either needs q-1 others to have promised that ballot. A phase 1 completes within one candidacy; by (A) a
// candidacy that can still count old N's promise received it by T0+Q/2, so it began, and sent all its
// prepares, before then, and they arrived by T0+Q. So those q-1 others promised by T0+Q, and a promise never
// returns to zero; but n-q+1 others reported no promise after T0+Q, which leaves only q-2.
//
// The rule for a learner to regain its vote: the fence.
//  1. Quarantine: wait Q ticks after the restart.
//  2. Ask the leader it follows, L with ballot bL, for a fence (JoinProbe with Waiting). L answers with s', the
//     first slot it proposes after receiving the request, and proposes it (a no-op if it has no commands, so
//     an idle cluster does not keep the learner waiting).
//  3. Vote again once: this replica's promise is still bL; L itself has reported, under bL, a decided index of
//     at least s'; and this replica has decided through s' too. Then clear Rejoining in the next HardState,
//     with MustSync, and start voting only when the host confirms that Ready (Advance): a crash before then
//     restarts a learner that never voted. (Its promise may have risen above bL meanwhile; higher is safe.)
//  Slot s' is Paxos Made Live's instance "started after the restart": L starts it after T0+Q, and step 3 sees
//  it complete.
//
// Why it is safe. L decides its own slots only with q acceptances under bL, never N's (a learner does not
// vote), all given after L proposed s', so after T0+Q. Hence (F): at T0+Q at most n-1-q others had promised
// above bL. Paxos needs each phase-1 quorum of a ballot c to meet each quorum that chose a value under a lower
// ballot; quorums of others always meet in an other, so the danger is a pair meeting only in N, old N on one
// side and new N on the other. New N votes only at ballots of at least bL.
//  (X) Old N accepted (s, b, v), v is chosen counting that vote, and a later ballot's phase 1 counts new N.
//      If b > bL: old N accepted under b before T0, so b's phase 1 had completed with q-1 others promising
//      b > bL before T0, contradicting (F). If b = bL: L proposed s before T0, so s < s'. If b < bL: v's
//      quorum is old N and q-1 others; L's phase-1 quorum is old N (a promise sent before T0) and q-1 others,
//      or q others (new N, a learner, promises nothing). Either way some member of it accepted v before
//      promising bL (after, it would have refused b) and reported it, so L recovered slot s, and s < s'. In
//      every case s < s' ≤ new N's decided index: new N's promise reports v as decided.
//  (Y) New N accepted under b ≥ bL, and a ballot c > b completes phase 1 counting old N's promise. That needs
//      q-1 others to promise c; by (A), as for Probe, they did so by T0+Q; c > bL contradicts (F).
//  (Z) Old N led no ballot above bL (that needs q-1 others promising it, contradicting (F)), and new N's own
//      ballots start above its promise bL, so new N never reuses a ballot old N proposed values under.
// (X) needs no timing assumption; (Y) and Probe need (A). Without (A) the hole is real: a Prepare for c sent
// before T0 (old N already promised c) that reaches the others only after the learner regained its vote, or
// old N's Promise for c arriving then at a candidate that reuses c after losing it in a crash, lets c's
// leader count old N's promise and miss a value new N helped choose (JoinTests scripts the second). Closing
// it without a timing bound means hearing from every member (the one holding c could be any of them) and
// sending prepares only once durable; a learner could then never rejoin while any member is down.
// (F) also assumes the acceptors of s' kept their state since T0+Q: a member that lost its own data meanwhile
// may have forgotten a promise above bL. Likewise Probe counts a probing member as empty, which a member that
// lost its data is not. So overlapping losses are outside this argument, as two simultaneous losses are
// outside any majority argument; the simulator exercises them anyway.
//
// Why not trust the probe answers alone (regain once decided past the highest slot n-q+1 others report)? They
// may lag the leader. With 5 nodes: leader A and old N hold slot s+1 that the reporters B, C, D never got; N
// decides through s, past every reported slot, and votes; D then accepts s+1 from A (chosen by A, old N, D)
// while B, C and new N elect a leader that fills s+1 with a no-op (JoinTests scripts it). The fence comes from
// the leader, which holds every slot it proposed.
public sealed partial class PaxosReplica
{
    // The whole rejoin state: HardState's Rejoining and Bootstrapped flags, JoinState, and whether the Rejoining
    // flag is durable (until it is, a learner stores nothing: a crash that kept learnt entries but not the flag
    // would restart it as a voter). Changed only by MoveTo, along RejoinPhases.IsLegal.
    private RejoinPhase _phase;

    // HardState.Rejoining as the outstanding Ready writes it; null when that Ready carries no HardState. Advance
    // makes it durable: a set flag moves a non-voter to its durable phase, a cleared one lets it vote.
    private bool? _rejoiningInOutstandingReady;

    private long _joinElapsed;
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

    /// <summary>True when this replica takes part in quorums (see <see cref="JoinState"/>).</summary>
    public bool IsVoter => _phase is RejoinPhase.Voter or RejoinPhase.BootstrappedVoter;

    /// <summary>Voter, learner (rejoining after losing its state) or probing (asking whether the cluster exists).</summary>
    public JoinState JoinState => _phase.ToJoinState();

    private bool QuarantineOver => _joinElapsed >= _config.RejoinQuarantineTicks;

    /// <summary>Decides how to start: the persisted flag wins; an empty state asks <see cref="ReplicaConfig.Join"/>.</summary>
    private void InitJoin(PersistentState state)
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
            _phase = blank && _config.Join == JoinMode.Probe ? RejoinPhase.ProbingDurable : RejoinPhase.LearnerDurable;
        }
        else if (blank && _config.Join != JoinMode.Bootstrap)
        {
            _mustSync = true;
            _phase = _config.Join == JoinMode.Probe ? RejoinPhase.Probing : RejoinPhase.Learner;
        }
        else
        {
            _phase = voter;
        }

        if (JoinState == JoinState.Probing)
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
            JoinProbe or JoinStatus or CatchUpRequest => true,
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
        JoinStatus m => !m.IsEmpty,
        CatchUp m => m.Ballot != Ballot.Zero || m.Entries.Count > 0,
        _ => message.Ballot != Ballot.Zero,
    };

    /// <summary>
    /// A probing replica probes when it starts (an existing cluster shows itself at once), when the quarantine
    /// ends (the answers that count), then every election timeout for members that have not answered: probes
    /// go to every member, so probing faster would flood the network for a decision nothing waits on. A learner
    /// asks for its fence every heartbeat interval: one small message to the leader.
    /// </summary>
    private void TickJoin()
    {
        var quarantineEnds = _joinElapsed == _config.RejoinQuarantineTicks - 1;
        _joinElapsed++;
        _probeElapsed++;
        if (JoinState == JoinState.Probing)
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
                Send(new JoinProbe(NodeId, member, _promised, round, Waiting: false));
            }
        }
    }

    /// <summary>Asks the leader this learner follows for a fence, until it has one for the leader's ballot.</summary>
    private void RequestFence()
    {
        if (_phase != RejoinPhase.LearnerDurable || !QuarantineOver || _fenceBallot == _promised ||
            _leaderId is not int leader || leader != _promised.NodeId)
        {
            return;
        }

        Send(new JoinProbe(NodeId, leader, _promised, NextProbeRound(), Waiting: true));
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
    /// propose, which it now owes, so it proposes a no-op there if no command comes first.
    /// </summary>
    private void HandleJoinProbe(JoinProbe m)
    {
        long fence = 0;
        if (m.Waiting && _role == Role.Leader)
        {
            fence = _nextSlot;
            _owedFenceSlot = Math.Max(_owedFenceSlot, fence);
            FlushProposals();
        }

        Send(new JoinStatus(NodeId, m.From, _promised, m.Round, JoinState, _decidedIndex, _log.FirstSlot, _log.LastSlot, fence));
    }

    private void HandleJoinStatus(JoinStatus m)
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
        else if (_config.Faults.TrustProbeAnswers && JoinState == JoinState.Learner && counted &&
                 BitOperations.PopCount(_answeredMask) < _memberCount - Quorum.Majority(_memberCount) + 1)
        {
            _answeredMask |= Bit(m.From);
            _answeredLastSlot = Math.Max(_answeredLastSlot, m.LastSlot);
            _answeredPromise = m.Ballot > _answeredPromise ? m.Ballot : _answeredPromise;
        }
#endif
        else if (JoinState == JoinState.Learner && counted && m.FenceSlot > 0 && m.Ballot == _promised &&
                 m.Ballot.NodeId == m.From && _fenceBallot != _promised)
        {
            _fenceBallot = m.Ballot;
            _fenceSlot = m.FenceSlot;
            _fenceDecidedByLeader = false;
        }
    }

    /// <summary>Called with every commit index the followed leader reports under its ballot.</summary>
    private void NoteLeaderCommit(Ballot ballot, long commit)
    {
        if (_fenceSlot > 0 && ballot == _fenceBallot && commit >= _fenceSlot)
        {
            _fenceDecidedByLeader = true;
        }
    }

    /// <summary>Step 3 of the rule at the top of this file.</summary>
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
    private void NoteReadyForJoin(Ready ready) => _rejoiningInOutstandingReady = ready.HardState?.Rejoining;

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
