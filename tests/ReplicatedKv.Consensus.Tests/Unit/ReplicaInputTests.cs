namespace ReplicatedKv.Consensus.Tests.Unit;

/// <summary>Bad input is ignored or refused without touching the replica's state.</summary>
public sealed class ReplicaInputTests
{
    private static readonly int[] Members = [1, 2, 3];

    private static PaxosReplica Follower(Ballot promised)
    {
        var state = new PersistentState(new HardState(promised, 0), 0, []);
        return new PaxosReplica(new ReplicaConfig { NodeId = 2, Members = Members, MaxSlotsAhead = 1000, Window = 8 }, state);
    }

    private static string Fingerprint(PaxosReplica r) =>
        $"{r.Role}/{r.LeaderId}/{r.Promised}/{r.DecidedIndex}/{r.FirstSlot}/{r.LastSlot}/{r.HasReady}";

    [Fact]
    public void A_message_from_an_unknown_node_is_ignored()
    {
        var replica = Follower(new Ballot(1, 1));
        var before = Fingerprint(replica);
        replica.Step(new Prepare(9, 2, new Ballot(5, 9), 1)).Should().Be(PaxosReplica.StepResult.UnknownSender);
        replica.Step(new Accept(2, 2, new Ballot(5, 2), 0, [])).Should().Be(PaxosReplica.StepResult.UnknownSender);
        Fingerprint(replica).Should().Be(before);
    }

    [Fact]
    public void A_message_for_another_node_is_ignored()
    {
        var replica = Follower(new Ballot(1, 1));
        var before = Fingerprint(replica);
        replica.Step(new Prepare(1, 3, new Ballot(5, 1), 1)).Should().Be(PaxosReplica.StepResult.WrongRecipient);
        Fingerprint(replica).Should().Be(before);
    }

    [Fact]
    public void Malformed_ballots_and_slots_are_ignored()
    {
        var replica = Follower(new Ballot(1, 1));
        var before = Fingerprint(replica);
        replica.Step(new Prepare(1, 2, new Ballot(5, 3), 1)).Should().Be(PaxosReplica.StepResult.Malformed, "ballot of another node");
        replica.Step(new Prepare(1, 2, new Ballot(long.MaxValue, 1), 1)).Should().Be(PaxosReplica.StepResult.Malformed, "round would overflow");
        replica.Step(new Prepare(1, 2, new Ballot(5, 1), 0)).Should().Be(PaxosReplica.StepResult.Malformed, "slots start at 1");
        replica.Step(new Accept(1, 2, new Ballot(-1, 1), 0, [])).Should().Be(PaxosReplica.StepResult.Malformed, "negative round");
        replica.Step(new CatchUpRequest(1, 2, new Ballot(1, 1), -4)).Should().Be(PaxosReplica.StepResult.Malformed);
        Fingerprint(replica).Should().Be(before);
    }

    [Fact]
    public void A_catch_up_request_from_a_node_that_never_promised_is_served()
    {
        // Found by the simulator (a 100,000-seed run): Ballot.Zero names no member, and was refused as malformed.
        var ballot = new Ballot(1, 1);
        var replica = Follower(Ballot.Zero);
        replica.Step(new Accept(1, 2, ballot, 0, [new LogEntry(1, ballot, SlotValue.NoOp)]));
        replica.Step(new Heartbeat(1, 2, ballot, 1, 0));
        replica.GetReady();
        replica.Advance();

        replica.Step(new CatchUpRequest(3, 2, Ballot.Zero, 1)).Should().Be(PaxosReplica.StepResult.Handled);
        replica.GetReady().Messages.OfType<CatchUp>().Should().ContainSingle().Which.Entries.Should().ContainSingle();
    }

    [Fact]
    public void A_stale_ballot_is_refused_with_the_promise_and_changes_nothing()
    {
        var replica = Follower(new Ballot(4, 3));
        replica.Step(new Accept(1, 2, new Ballot(2, 1), 0, [new LogEntry(1, new Ballot(2, 1), SlotValue.NoOp)]));
        replica.Step(new Prepare(1, 2, new Ballot(3, 1), 1));
        var ready = replica.GetReady();
        ready.Entries.Should().BeEmpty();
        ready.MessagesAfterPersist.Should().BeEmpty();
        ready.Messages.Should().AllBeOfType<Nack>().And.HaveCount(2)
            .And.OnlyContain(m => ((Nack)m).Promised == new Ballot(4, 3));
        replica.Promised.Should().Be(new Ballot(4, 3));
    }

    [Fact]
    public void Absurd_slot_numbers_are_not_stored()
    {
        var replica = Follower(Ballot.Zero);
        var ballot = new Ballot(1, 1);
        replica.Step(new Accept(1, 2, ballot, 0, [new LogEntry(1L << 50, ballot, SlotValue.NoOp), new LogEntry(3, ballot, SlotValue.NoOp)]));
        var ready = replica.GetReady();
        ready.Entries.Select(e => e.Slot).Should().Equal(3);
        ready.MessagesAfterPersist.OfType<Accepted>().Single().Slots.Should().Equal(3);
        replica.LastSlot.Should().Be(3);
    }

    [Fact]
    public void A_duplicated_accept_is_harmless()
    {
        var replica = Follower(Ballot.Zero);
        var ballot = new Ballot(1, 1);
        var value = new SlotValue([new byte[] { 7 }]);
        var accept = new Accept(1, 2, ballot, 0, [new LogEntry(1, ballot, value)]);
        replica.Step(accept);
        replica.Step(accept);
        replica.GetReady();
        replica.Advance();
        replica.Step(new Heartbeat(1, 2, ballot, 1, 0));
        replica.Step(new Heartbeat(1, 2, ballot, 1, 0));
        var ready = replica.GetReady();
        ready.Decided.Should().ContainSingle().Which.Value.ContentEquals(value).Should().BeTrue();
    }

    [Fact]
    public void Invalid_settings_are_rejected_naming_the_setting()
    {
        var good = new ReplicaConfig { NodeId = 1, Members = Members };
        FluentActions.Invoking(() => (good with { NodeId = 4 }).Validate()).Should().Throw<ArgumentException>().WithParameterName("NodeId");
        FluentActions.Invoking(() => (good with { Members = [1, 1, 2] }).Validate()).Should().Throw<ArgumentException>().WithParameterName("Members");
        FluentActions.Invoking(() => (good with { HeartbeatTicks = 10 }).Validate()).Should().Throw<ArgumentException>().WithParameterName("HeartbeatTicks");
        FluentActions.Invoking(() => (good with { Window = 0 }).Validate()).Should().Throw<ArgumentException>().WithParameterName("Window");
    }
}
