namespace ReplicatedKv.Consensus.Tests.Unit;

/// <summary>
/// A fence only on a live answer (src/ReplicatedKv.Consensus/DESIGN.md, "Ordering fences"): the leader challenges a
/// learner that has an incarnation and records it, with a fence slot, only for the answer to its latest challenge, from
/// the incarnation it challenged. Each edge on its own, and the fence-ordering flaw the challenge closes.
/// </summary>
public sealed class FenceChallengeTests
{
    private static readonly int[] Three = [1, 2, 3];
    private static readonly Ballot Leading = new(1, 1);
    private const ulong OldNode3 = 0xA1;
    private const ulong NewNode3 = 0xA2;

    /// <summary>Node 1 leading ballot 1.1 with slot 1 proposed, so the next fence slot is 2.</summary>
    private static PaxosReplica Leader(bool fenceWithoutChallenge = false)
    {
        var config = new ReplicaConfig { NodeId = 1, Members = Three };
#if RKV_FAULT_INJECTION
        config = config with { Faults = new ReplicaFaults(false, false, FenceWithoutChallenge: fenceWithoutChallenge) };
#endif
        var leader = new PaxosReplica(config);
        leader.Campaign();
        leader.Step(new PrePromise(2, 1, Leading, true, Ballot.Zero));
        Drain(leader);
        leader.Step(new Promise(2, 1, Leading, 1, 0, []));
        leader.Role.Should().Be(Role.Leader);
        leader.Propose(new byte[] { 1 });
        Drain(leader);
        return leader;
    }

    private static void Drain(PaxosReplica replica)
    {
        while (replica.HasReady)
        {
            replica.GetReady();
            replica.Advance();
        }
    }

    private static RejoinProbe Request(ulong incarnation, long round = 1) =>
        new(3, 1, Leading, round, Waiting: true) { FromIncarnation = incarnation };

    private static RejoinProbe Answer(ulong incarnation, long challenge, long round = 2) =>
        new(3, 1, Leading, round, Waiting: true) { FromIncarnation = incarnation, Challenge = challenge };

    /// <summary>Steps the message in and returns the leader's answer and the entries it proposed.</summary>
    private static (RejoinStatus Status, IReadOnlyList<LogEntry> Entries) Exchange(PaxosReplica leader, RejoinProbe probe)
    {
        leader.Step(probe).Should().Be(PaxosReplica.StepResult.Handled);
        var ready = leader.GetReady();
        leader.Advance();
        return (ready.Messages.OfType<RejoinStatus>().Single(), ready.Entries);
    }

    [Fact]
    public void A_learner_with_an_incarnation_is_challenged_first_and_fenced_only_for_its_answer()
    {
        var leader = Leader();
        var (challenge, entries) = Exchange(leader, Request(NewNode3));
        challenge.FenceSlot.Should().Be(0, "the request proves nothing about which incarnation is alive");
        challenge.Challenge.Should().BePositive();
        challenge.ToIncarnation.Should().Be(NewNode3, "a challenge is a reply, so only the incarnation that asked takes it");
        entries.Should().BeEmpty("nothing is owed before the answer");
        leader.Incarnations.For(3).Should().BeNull();

        var (fence, proposed) = Exchange(leader, Answer(NewNode3, challenge.Challenge));
        fence.FenceSlot.Should().Be(2);
        fence.Challenge.Should().Be(0);
        proposed.Should().ContainSingle().Which.Should().Be(new LogEntry(2, Leading, SlotValue.NoOp));
        leader.Incarnations.For(3).Should().Be(new IncarnationRecord(3, IncarnationStamp.Fence(Leading, 2), NewNode3));

        // The challenge is spent: a duplicate of the answer gets nothing.
        var (again, none) = Exchange(leader, Answer(NewNode3, challenge.Challenge));
        again.FenceSlot.Should().Be(0);
        again.Challenge.Should().Be(0);
        none.Should().BeEmpty();
    }

    [Fact]
    public void A_learner_asking_again_gets_the_same_challenge_so_its_answer_in_flight_still_counts()
    {
        var leader = Leader();
        var first = Exchange(leader, Request(NewNode3, round: 1)).Status.Challenge;
        Exchange(leader, Request(NewNode3, round: 2)).Status.Challenge.Should().Be(first);
        Exchange(leader, Answer(NewNode3, first, round: 3)).Status.FenceSlot.Should().Be(2);
    }

    [Fact]
    public void An_answer_for_another_number_another_incarnation_or_another_ballot_gets_no_fence()
    {
        var leader = Leader();
        var issued = Exchange(leader, Request(NewNode3)).Status.Challenge;

        Exchange(leader, Answer(NewNode3, issued + 1)).Status.FenceSlot.Should().Be(0, "not the number issued");
        Exchange(leader, Answer(OldNode3, issued)).Status.FenceSlot.Should().Be(0, "issued to another incarnation");

        // For another leadership's ballot it is taken as a request: a challenge of this ballot, no fence.
        var (status, _) = Exchange(leader, Answer(NewNode3, issued) with { Ballot = new Ballot(1, 2) });
        status.FenceSlot.Should().Be(0);
        status.Challenge.Should().BePositive();
        leader.Incarnations.For(3).Should().BeNull();
    }

    /// <summary>
    /// The flaw the challenge closes. Node 3's old incarnation asked for a fence and answered the challenge; both
    /// messages are delayed. Node 3 loses its disk; the new incarnation asks, answers and is fenced. Then the old
    /// messages arrive: the answer is to a challenge that is no longer the latest, and the request only draws a
    /// challenge that the lost incarnation can never answer. The record keeps naming the new incarnation.
    /// </summary>
    [Fact]
    public void Late_messages_of_a_lost_incarnation_never_get_a_fence_above_its_successor()
    {
        var leader = Leader();
        var oldChallenge = Exchange(leader, Request(OldNode3)).Status.Challenge;
        var lateAnswer = Answer(OldNode3, oldChallenge);
        var lateRequest = Request(OldNode3, round: 5);

        var newChallenge = Exchange(leader, Request(NewNode3)).Status.Challenge;
        newChallenge.Should().NotBe(oldChallenge, "a challenge to another incarnation voids the outstanding one");
        Exchange(leader, Answer(NewNode3, newChallenge)).Status.FenceSlot.Should().Be(2);

        Exchange(leader, lateAnswer).Status.FenceSlot.Should().Be(0);
        var drawn = Exchange(leader, lateRequest).Status;
        drawn.FenceSlot.Should().Be(0);
        drawn.ToIncarnation.Should().Be(OldNode3, "addressed to the lost incarnation: the new one refuses it by id");
        Exchange(leader, lateAnswer).Status.FenceSlot.Should().Be(0);
        leader.Incarnations.For(3).Should().Be(new IncarnationRecord(3, IncarnationStamp.Fence(Leading, 2), NewNode3));
    }

    [Fact]
    public void Fences_of_one_leadership_strictly_increase_even_while_a_full_window_holds_the_next_slot()
    {
        var leader = new PaxosReplica(new ReplicaConfig { NodeId = 1, Members = Three, Window = 1 });
        leader.Campaign();
        leader.Step(new PrePromise(2, 1, Leading, true, Ballot.Zero));
        Drain(leader);
        leader.Step(new Promise(2, 1, Leading, 1, 0, []));
        leader.Propose(new byte[] { 1 });
        Drain(leader);

        var first = Exchange(leader, Request(OldNode3)).Status.Challenge;
        Exchange(leader, Answer(OldNode3, first)).Status.FenceSlot.Should().Be(2, "slot 1 fills the window: 2 is owed");
        var second = Exchange(leader, Request(NewNode3)).Status.Challenge;
        Exchange(leader, Answer(NewNode3, second)).Status.FenceSlot.Should().Be(3, "the same stamp for two incarnations would order them by id");
        leader.Incarnations.For(3).Should().Be(new IncarnationRecord(3, IncarnationStamp.Fence(Leading, 3), NewNode3));
    }

#if RKV_FAULT_INJECTION
    [Fact]
    public void Without_the_challenge_a_late_request_of_a_lost_incarnation_is_recorded_as_the_newest()
    {
        var leader = Leader(fenceWithoutChallenge: true);
        Exchange(leader, Request(NewNode3)).Status.FenceSlot.Should().Be(2);
        Exchange(leader, Request(OldNode3, round: 5)).Status.FenceSlot.Should().Be(3);
        leader.Incarnations.For(3)!.Value.Id.Should().Be(OldNode3, "the lost incarnation now outranks the live one: the flaw");
    }
#endif

    [Fact]
    public void A_replica_without_an_incarnation_keeps_the_fence_on_request()
    {
        var (status, entries) = Exchange(Leader(), Request(incarnation: 0));
        status.FenceSlot.Should().Be(2, "a host that draws no incarnation runs the quarantine rule of assumption (A)");
        status.Challenge.Should().Be(0);
        entries.Should().ContainSingle();
    }

    [Fact]
    public void A_learner_answers_the_challenge_of_the_leader_it_follows_at_once_and_asks_without_quarantine()
    {
        var learner = new PaxosReplica(new ReplicaConfig { NodeId = 3, Members = Three, RejoinMode = RejoinMode.Rejoin, RejoinQuarantineTicks = 50 },
            PersistentState.Empty with { HardState = new HardState(Ballot.Zero, 0, Incarnation: NewNode3) });
        Drain(learner);
        learner.Step(new Heartbeat(1, 3, Leading, 0, 0));
        var ready = learner.GetReady();
        learner.Advance();
        var request = ready.Messages.OfType<RejoinProbe>().Should().ContainSingle(p => p.Waiting, "an incarnation needs no quarantine").Subject;
        request.FromIncarnation.Should().Be(NewNode3);
        request.Challenge.Should().Be(0);

        // A challenge from a member it does not follow is ignored; the leader's is answered at once.
        var challenge = new RejoinStatus(1, 3, Leading, request.Round, RejoinState.Voter, 0, 1, 1, 0) { Challenge = 7, ToIncarnation = NewNode3 };
        learner.Step(challenge with { From = 2, Ballot = new Ballot(1, 2) });
        learner.GetReady().Messages.OfType<RejoinProbe>().Should().BeEmpty();
        learner.Advance();
        learner.Step(challenge);
        ready = learner.GetReady();
        learner.Advance();
        ready.Messages.OfType<RejoinProbe>().Should().ContainSingle()
            .Which.Should().BeEquivalentTo(new { To = 1, Waiting = true, Challenge = 7L, FromIncarnation = NewNode3, Ballot = Leading });
    }

    /// <summary>
    /// Without a timing bound only the challenged fence is safe: a fence that answers a plain request (a leader of
    /// another version, or a wire that dropped the incarnation, gives one) waits for the quarantine as before.
    /// </summary>
    [Fact]
    public void Before_its_quarantine_a_learner_takes_only_a_fence_that_answers_its_answer_to_a_challenge()
    {
        var learner = new PaxosReplica(new ReplicaConfig { NodeId = 3, Members = Three, RejoinMode = RejoinMode.Rejoin, RejoinQuarantineTicks = 50 },
            PersistentState.Empty with { HardState = new HardState(Ballot.Zero, 0, Incarnation: NewNode3) });
        Drain(learner);
        learner.Step(new Heartbeat(1, 3, Leading, 0, 0));
        var request = learner.GetReady().Messages.OfType<RejoinProbe>().Single();
        learner.Advance();

        // An unchallenged fence for the request: not counted, the quarantine is not over.
        var fence = new RejoinStatus(1, 3, Leading, request.Round, RejoinState.Voter, 0, 1, 1, FenceSlot: 1) { ToIncarnation = NewNode3 };
        learner.Step(fence);
        learner.Step(new Accept(1, 3, Leading, 1, [new LogEntry(1, Leading, SlotValue.NoOp)]));
        Drain(learner);
        learner.DecidedIndex.Should().Be(1);
        learner.IsVoter.Should().BeFalse("a fence without a challenge rests on assumption (A), so on the quarantine");

        // The challenged one counts at once.
        learner.Step(new RejoinStatus(1, 3, Leading, request.Round, RejoinState.Voter, 1, 1, 1, 0) { Challenge = 9, ToIncarnation = NewNode3 });
        var answer = learner.GetReady().Messages.OfType<RejoinProbe>().Single();
        learner.Advance();
        answer.Challenge.Should().Be(9);
        learner.Step(fence with { Round = answer.Round, FenceSlot = 2 });
        learner.Step(new Accept(1, 3, Leading, 2, [new LogEntry(2, Leading, SlotValue.NoOp)]));
        Drain(learner);
        learner.IsVoter.Should().BeTrue("the leader recorded this incarnation before it gave the fence");
    }

    [Fact]
    public void A_probing_replica_keeps_its_quarantine_even_with_an_incarnation()
    {
        var prober = new PaxosReplica(new ReplicaConfig { NodeId = 3, Members = Three, RejoinMode = RejoinMode.Probe, RejoinQuarantineTicks = 4 },
            PersistentState.Empty with { HardState = new HardState(Ballot.Zero, 0, Incarnation: NewNode3) });
        var first = prober.GetReady();
        prober.Advance();
        var early = first.Messages.OfType<RejoinProbe>().First();

        // Empty answers to probes sent before the quarantine ends do not count (DESIGN.md, "What is left of the age rule").
        prober.Step(new RejoinStatus(1, 3, Ballot.Zero, early.Round, RejoinState.Probing, 0, 1, 0, 0) { ToIncarnation = NewNode3 });
        prober.Step(new RejoinStatus(2, 3, Ballot.Zero, early.Round, RejoinState.Probing, 0, 1, 0, 0) { ToIncarnation = NewNode3 });
        Drain(prober);
        prober.RejoinState.Should().Be(RejoinState.Probing);
    }

    [Fact]
    public void Messages_carrying_a_record_no_replica_may_hold_are_refused_before_anything_is_merged()
    {
        var acceptor = new PaxosReplica(new ReplicaConfig { NodeId = 2, Members = Three });
        var good = new IncarnationRecord(3, IncarnationStamp.Fence(Leading, 2), NewNode3);
        IncarnationRecord[] bad =
        [
            good with { Id = 0 },
            good with { Stamp = IncarnationStamp.Original },
            good with { Member = 0 },
            good with { Stamp = new IncarnationStamp(Leading, -1, 0) },
        ];
        foreach (var record in bad)
        {
            acceptor.Step(new Prepare(1, 2, Leading, 1) { Incarnations = [record] }).Should().Be(PaxosReplica.StepResult.Malformed, $"{record}");
            acceptor.Step(new Accept(1, 2, Leading, 0, []) { Incarnations = [record] }).Should().Be(PaxosReplica.StepResult.Malformed, $"{record}");
            acceptor.Step(new Nack(1, 2, new Ballot(1, 2), Leading) { Incarnations = [record] }).Should().Be(PaxosReplica.StepResult.Malformed, $"{record}");
        }

        acceptor.Incarnations.Records.Should().BeEmpty();
        acceptor.Step(new Prepare(1, 2, Leading, 1) { Incarnations = [good] }).Should().Be(PaxosReplica.StepResult.Handled);
        acceptor.Incarnations.For(3).Should().Be(good);
    }

    [Fact]
    public void Malformed_challenges_are_refused()
    {
        var leader = Leader();
        leader.Step(new RejoinProbe(3, 1, Leading, 1, Waiting: false) { Challenge = 1 }).Should().Be(PaxosReplica.StepResult.Malformed, "only a waiting probe answers a challenge");
        leader.Step(Answer(NewNode3, -1)).Should().Be(PaxosReplica.StepResult.Malformed);
        var status = new RejoinStatus(2, 1, new Ballot(1, 2), 1, RejoinState.Voter, 0, 1, 0, 0);
        leader.Step(status with { Challenge = -1 }).Should().Be(PaxosReplica.StepResult.Malformed);
        leader.Step(status with { From = 3, Challenge = 1 }).Should().Be(PaxosReplica.StepResult.Malformed, "a challenge names the leader's own ballot");
        leader.Step(status with { Challenge = 1, FenceSlot = 2 }).Should().Be(PaxosReplica.StepResult.Malformed, "a challenge and a fence are two answers");
    }
}
