namespace ReplicatedKv.Consensus.Tests.Unit;

/// <summary>
/// Defence in depth: a member that passed authentication can still be buggy. What it may still make a replica do
/// with decided values, decided indexes and ballots.
/// </summary>
public sealed class ForgedPeerMessageTests
{
    private static readonly int[] Members = [1, 2, 3];
    private static readonly Ballot Leader1 = new(3, 1);
    private static readonly SlotValue Forged = new([new byte[] { 0xBA, 0xD0 }]);

    private static PaxosReplica Replica(Ballot promised) =>
        new(new ReplicaConfig { NodeId = 2, Members = Members, MaxSlotsAhead = 1000, Window = 8 },
            new PersistentState(new HardState(promised, 0), 0, []));

    /// <summary>Replica 2 following leader 1 under <see cref="Leader1"/>, slot 1 decided.</summary>
    private static PaxosReplica FollowerOfLeader1()
    {
        var replica = Replica(Ballot.Zero);
        replica.Step(new Accept(1, 2, Leader1, 0, [new LogEntry(1, Leader1, SlotValue.NoOp)]));
        replica.Step(new Heartbeat(1, 2, Leader1, 1, 0));
        Drain(replica);
        replica.LeaderId.Should().Be(1);
        replica.DecidedIndex.Should().Be(1);
        return replica;
    }

    private static List<PeerMessage> Drain(PaxosReplica replica)
    {
        var sent = new List<PeerMessage>();
        while (replica.HasReady)
        {
            var ready = replica.GetReady();
            sent.AddRange(ready.Messages);
            sent.AddRange(ready.MessagesAfterPersist);
            replica.Advance();
        }

        return sent;
    }

    [Fact]
    public void A_catch_up_from_a_member_neither_followed_nor_asked_is_refused_and_decides_nothing()
    {
        var replica = FollowerOfLeader1();

        var result = replica.Step(new CatchUp(3, 2, new Ballot(3, 1), 2, [new LogEntry(2, Leader1, Forged)]));

        result.Should().Be(PaxosReplica.StepResult.Unsolicited);
        replica.DecidedIndex.Should().Be(1, "the forged value must not be decided");
        replica.LastSlot.Should().Be(1);
        replica.HasReady.Should().BeFalse();
    }

    [Fact]
    public void A_catch_up_from_the_followed_leader_is_taken()
    {
        var replica = FollowerOfLeader1();

        replica.Step(new CatchUp(1, 2, Leader1, 2, [new LogEntry(2, Leader1, SlotValue.NoOp)])).Should().Be(PaxosReplica.StepResult.Handled);

        replica.DecidedIndex.Should().Be(2);
    }

    [Fact]
    public void A_catch_up_from_the_member_asked_is_taken_and_one_never_asked_stays_refused()
    {
        // Replica 2 learns of slot 2 from leader 3 and asks it for the decided values.
        var replica = Replica(new Ballot(4, 3));
        replica.Step(new Heartbeat(3, 2, new Ballot(4, 3), 2, 0));
        var request = Drain(replica).OfType<CatchUpRequest>().Single();
        request.To.Should().Be(3);

        replica.Step(new CatchUp(3, 2, new Ballot(4, 3), 1, [new LogEntry(1, Leader1, SlotValue.NoOp)])).Should().Be(PaxosReplica.StepResult.Handled);
        replica.DecidedIndex.Should().Be(1);
        replica.AcceptsDecidedValuesFrom(1).Should().BeFalse("member 1 was never asked");
    }

    [Fact]
    public void A_snapshot_is_wanted_only_from_the_followed_leader_or_a_member_asked()
    {
        var replica = FollowerOfLeader1();

        replica.WantsSnapshot(3, 10).Should().BeFalse("member 3 was not asked and is not the leader");
        replica.WantsSnapshot(1, 10).Should().BeTrue();
        replica.WantsSnapshot(9, 10).Should().BeFalse("not a member");
    }

    [Fact]
    public void A_decided_index_from_a_promised_candidate_that_leads_nobody_is_ignored()
    {
        // Replica 2 accepted slot 2 under ballot (4,3) and promised it, but never followed node 3 as leader.
        var ballot = new Ballot(4, 3);
        var replica = Replica(Ballot.Zero);
        replica.Step(new Prepare(3, 2, ballot, 1));
        Drain(replica);
        replica.Promised.Should().Be(ballot);
        replica.LeaderId.Should().BeNull();

        replica.Step(new Decide(3, 2, ballot, 5)).Should().Be(PaxosReplica.StepResult.Handled);

        replica.DecidedIndex.Should().Be(0);
        replica.HasReady.Should().BeFalse("an ignored decide asks for nothing either");
    }

    [Fact]
    public void A_ballot_at_the_largest_round_is_refused_before_anything_is_promised()
    {
        var replica = FollowerOfLeader1();
        var before = replica.Promised;

        replica.Step(new Prepare(3, 2, new Ballot(Ballot.MaxRound, 3), 2)).Should().Be(PaxosReplica.StepResult.RoundTooFar);
        replica.Step(new PrePrepare(3, 2, new Ballot(Ballot.MaxRound, 3))).Should().Be(PaxosReplica.StepResult.RoundTooFar);
        replica.Step(new Accept(3, 2, new Ballot(Ballot.MaxRound, 3), 0, [])).Should().Be(PaxosReplica.StepResult.RoundTooFar);

        replica.Promised.Should().Be(before);
        replica.HasReady.Should().BeFalse("nothing promised, nothing to persist or send");
    }

    [Fact]
    public void A_refusal_reporting_an_absurd_promise_does_not_raise_the_next_ballot()
    {
        var replica = Replica(Ballot.Zero);
        replica.Campaign();
        var prePrepare = Drain(replica).OfType<PrePrepare>().First();

        replica.Step(new PrePromise(3, 2, prePrepare.Ballot, false, new Ballot(long.MaxValue, 3))).Should().Be(PaxosReplica.StepResult.RoundTooFar);
        replica.Step(new Nack(3, 2, prePrepare.Ballot, new Ballot(Ballot.MaxRound, 3))).Should().Be(PaxosReplica.StepResult.RoundTooFar);
        replica.Step(new PrePromise(1, 2, prePrepare.Ballot, true, Ballot.Zero));
        var prepare = Drain(replica).OfType<Prepare>().First();

        prepare.Ballot.Round.Should().BeLessThan(Ballot.MaxRoundAdvance, "the refused rounds were never taken as seen");
    }

    [Fact]
    public void A_round_within_the_advance_of_the_highest_seen_is_promised_even_near_the_largest_round()
    {
        var near = Ballot.MaxRound - 10;
        var replica = Replica(new Ballot(near, 1));

        replica.Step(new Prepare(3, 2, new Ballot(near + 5, 3), 1)).Should().Be(PaxosReplica.StepResult.Handled);
        Drain(replica);

        replica.Promised.Should().Be(new Ballot(near + 5, 3));
    }
}
