namespace ReplicatedKv.Consensus;

// The fence is recorded only on a live answer (DESIGN.md, "Ordering fences: a fence only on a live answer"). A learner
// with an incarnation asks the leader for a fence; the leader answers with a challenge (its ballot and a number) and
// only when the learner answers the latest challenge the leader issued to that member, from the incarnation it was
// issued to, does the leader record the incarnation, assign the fence slot and propose it. A lost incarnation cannot
// answer a challenge issued after it died, and its answers to older challenges no longer count once a newer one was
// issued, so however late its messages arrive, no leader records it above an incarnation that began after it.
public sealed partial class PaxosReplica
{
    // The challenge this leader last issued to each member, with the incarnation it was issued to. Only an answer to
    // exactly that one counts. Cleared when a leadership starts: a challenge belongs to one ballot.
    private readonly Dictionary<int, (long Number, ulong Incarnation)> _challenges = [];
    private long _lastChallenge;

    // A learner's answers to challenges, by probe round: one per challenge it answers, at most MaxChallengeAnswersKept.
    private readonly HashSet<long> _challengeAnswerRounds = [];
    private const int MaxChallengeAnswersKept = 64;

    // The last fence slot this leadership gave after a challenge: the next is above it even while a full window keeps
    // the next slot where it is, so one leadership's fence stamps strictly increase (DESIGN.md, (M), case b = bL).
    private long _lastChallengedFence;

    // ReplicaFaults.FenceWithoutChallenge (test builds only; always false in Release). Set by InitIncarnation.
    private bool _fencesWithoutChallenge;

    /// <summary>Called when a leadership starts: challenges of an earlier ballot are void.</summary>
    private void ForgetChallenges()
    {
        _challenges.Clear();
        _lastChallengedFence = 0;
    }

    /// <summary>
    /// The leader's answer to a waiting probe: the fence slot, or a challenge first. Returns the fence slot it now owes
    /// (0 when it answers with a challenge or refuses) and the challenge number to send (0 for none).
    /// </summary>
    private (long Fence, long Challenge) AnswerFenceRequest(RejoinProbe m)
    {
        if (m.FromIncarnation == 0 || _fencesWithoutChallenge)
        {
            // A replica without an incarnation (a host that draws none) keeps the old rule, whose safety rests on its
            // quarantine and the transport's age bound (assumption A); the broken variant skips the challenge too.
            RecordFencedIncarnation(m.From, m.FromIncarnation, _nextSlot);
            return (_nextSlot, 0);
        }

        if (m.Challenge == 0 || m.Ballot != _ballot)
        {
            // A request (or an answer to another leadership's challenge): issue a challenge, or repeat the outstanding
            // one while it is still for the same incarnation, so a learner that asks again does not void its own answer.
            if (!_challenges.TryGetValue(m.From, out var outstanding) || outstanding.Incarnation != m.FromIncarnation)
            {
                outstanding = (++_lastChallenge, m.FromIncarnation);
                _challenges[m.From] = outstanding;
            }

            return (0, outstanding.Number);
        }

        if (!_challenges.TryGetValue(m.From, out var issued) || issued != (m.Challenge, m.FromIncarnation))
        {
            // An answer to a challenge that is no longer the latest, or from another incarnation: it proves nothing
            // about who is alive now. The learner asks again on its next tick.
            return (0, 0);
        }

        _challenges.Remove(m.From);
        var fence = Math.Max(_nextSlot, _lastChallengedFence + 1);
        _lastChallengedFence = fence;
        RecordFencedIncarnation(m.From, m.FromIncarnation, fence);
        if (_incarnations.For(m.From) is not { } record || record.Id != m.FromIncarnation)
        {
            // The table already names another incarnation above this fence (overlapping losses): no fence for this one.
            return (0, 0);
        }

        return (fence, 0);
    }

    /// <summary>
    /// A learner answers the challenge of the leader it follows at once, from its current incarnation (the challenge is
    /// a reply, so one addressed to another incarnation never gets here). It remembers the rounds of its answers: a
    /// fence that answers one of them counts without the quarantine.
    /// </summary>
    private void AnswerChallenge(RejoinStatus m)
    {
        if (_phase == RejoinPhase.LearnerDurable && m.Challenge > 0 && m.Ballot == _promised && m.Ballot.NodeId == m.From &&
            _fenceBallot != _promised && _incarnation != 0)
        {
            var round = NextProbeRound();
            if (_challengeAnswerRounds.Count >= MaxChallengeAnswersKept)
            {
                // A fence still in flight for a forgotten answer is ignored; the learner asks again on its next tick.
                _challengeAnswerRounds.Clear();
            }

            _challengeAnswerRounds.Add(round);
            Send(new RejoinProbe(NodeId, m.From, _promised, round, Waiting: true) { Challenge = m.Challenge });
        }
    }

    /// <summary>
    /// True for a fence that answers this incarnation's answer to a challenge: the leader recorded it (I1), which is
    /// what makes the fence safe without a timing bound. A fence answering a plain request (a leader that does not
    /// challenge: another version, or a wire that dropped the incarnation) counts only after the quarantine.
    /// </summary>
    private bool AnswersChallenge(RejoinStatus m) => _incarnation != 0 && m.FenceSlot > 0 && _challengeAnswerRounds.Contains(m.Round);

}
