namespace ReplicatedKv.Consensus.Tests.Unit;

/// <summary>Promises and acceptances leave (and count) only after the host confirmed they are durable.</summary>
public sealed class PersistenceContractTests
{
    [Fact]
    public void A_promise_leaves_only_after_persisting_the_promised_ballot()
    {
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 2, Members = [1, 2, 3] });
        replica.Step(new Prepare(1, 2, new Ballot(1, 1), 1));
        var ready = replica.GetReady();
        ready.HardState.Should().Be(new HardState(new Ballot(1, 1), 0));
        ready.MustSync.Should().BeTrue();
        ready.Messages.Should().BeEmpty();
        ready.MessagesAfterPersist.Should().ContainSingle().Which.Should().BeOfType<Promise>();
    }

    [Fact]
    public void An_acceptance_leaves_only_after_persisting_the_entry()
    {
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 2, Members = [1, 2, 3] });
        var ballot = new Ballot(1, 1);
        replica.Step(new Accept(1, 2, ballot, 0, [new LogEntry(1, ballot, SlotValue.NoOp)]));
        var ready = replica.GetReady();
        ready.Entries.Should().ContainSingle().Which.Slot.Should().Be(1);
        ready.MustSync.Should().BeTrue();
        ready.Messages.Should().BeEmpty();
        ready.MessagesAfterPersist.Should().ContainSingle().Which.Should().BeOfType<Accepted>();
    }

    [Fact]
    public void A_single_node_counts_its_own_vote_only_after_advance()
    {
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 1, Members = [1] });
        replica.Campaign();
        replica.Role.Should().Be(Role.Candidate, "its own promise is not durable yet");
        replica.GetReady();
        replica.Advance();
        replica.Role.Should().Be(Role.Leader);

        replica.Propose(new byte[] { 1 }).Should().Be(RequestOutcome.Accepted);
        var ready = replica.GetReady();
        ready.Entries.Should().NotBeEmpty();
        ready.Decided.Should().BeEmpty("the slot is decided only once its acceptance is on disk");
        replica.Advance();
        replica.GetReady().Decided.Should().ContainSingle();
    }

    [Fact]
    public void The_host_cannot_take_a_second_ready_before_advancing_the_first()
    {
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 1, Members = [1] });
        replica.Campaign();
        replica.GetReady();
        replica.HasReady.Should().BeFalse();
        FluentActions.Invoking(replica.GetReady).Should().Throw<InvariantViolationException>();
    }

    [Fact]
    public void A_restarted_acceptor_keeps_its_promise_and_its_accepted_values()
    {
        var config = new ReplicaConfig { NodeId = 2, Members = [1, 2, 3] };
        var value = new SlotValue([new byte[] { 42 }]);
        var persisted = new PersistentState(new HardState(new Ballot(3, 1), 0), 0, [new LogEntry(1, new Ballot(3, 1), value)]);
        var replica = new PaxosReplica(config, persisted);

        replica.Step(new Prepare(3, 2, new Ballot(2, 3), 1));
        replica.GetReady().Messages.Should().ContainSingle().Which.Should().BeOfType<Nack>();
        replica.Advance();

        replica.Step(new Prepare(3, 2, new Ballot(4, 3), 1));
        var promise = replica.GetReady().MessagesAfterPersist.OfType<Promise>().Single();
        promise.Entries.Should().ContainSingle().Which.Value.ContentEquals(value).Should().BeTrue();
        promise.Entries[0].Ballot.Should().Be(new Ballot(3, 1));
    }

    [Fact]
    public void A_restart_hands_decided_slots_above_the_snapshot_out_again_in_order()
    {
        var config = new ReplicaConfig { NodeId = 2, Members = [1, 2, 3] };
        var b = new Ballot(1, 1);
        var entries = Enumerable.Range(1, 5).Select(s => new LogEntry(s, b, new SlotValue([new byte[] { (byte)s }]))).ToArray();
        var replica = new PaxosReplica(config, new PersistentState(new HardState(b, 4), 2, entries));
        replica.GetReady().Decided.Select(e => e.Slot).Should().Equal(3, 4);
        replica.FirstSlot.Should().Be(3);
    }

    [Fact]
    public void Persisted_state_missing_a_decided_value_is_refused()
    {
        var config = new ReplicaConfig { NodeId = 2, Members = [1, 2, 3] };
        var b = new Ballot(1, 1);
        FluentActions.Invoking(() => new PaxosReplica(config, new PersistentState(new HardState(b, 2), 0, [new LogEntry(2, b, SlotValue.NoOp)])))
            .Should().Throw<InvariantViolationException>();
    }

    [Fact]
    public void A_candidate_leads_only_once_its_own_ballot_is_durable()
    {
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 1, Members = [1, 2, 3] });
        replica.Campaign();
        replica.Step(new PrePromise(2, 1, new Ballot(1, 1), true, Ballot.Zero));
        var ready = replica.GetReady();
        ready.HardState!.Value.Promised.Should().Be(new Ballot(1, 1));

        // Peers' promises arrive before the host confirmed the candidate's own write.
        replica.Step(new Promise(2, 1, new Ballot(1, 1), 1, 0, []));
        replica.Step(new Promise(3, 1, new Ballot(1, 1), 1, 0, []));
        replica.Role.Should().Be(Role.Candidate, "a crash now would forget ballot 1.1, so no Accept may carry it yet");

        replica.Advance();
        replica.Role.Should().Be(Role.Leader);
    }
}
