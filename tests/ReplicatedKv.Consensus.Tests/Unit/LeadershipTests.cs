namespace ReplicatedKv.Consensus.Tests.Unit;

/// <summary>Requests at the wrong replica, and what a deposed leader does with its work.</summary>
public sealed class LeadershipTests
{
    [Fact]
    public void A_follower_refuses_proposals_and_reads_and_names_the_leader()
    {
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 2, Members = [1, 2, 3] });
        replica.Step(new Heartbeat(1, 2, new Ballot(1, 1), 0, 0));
        replica.Propose(new byte[] { 1 }).Should().Be(RequestOutcome.NotLeader);
        replica.ReadIndex(7).Should().Be(RequestOutcome.NotLeader);
        replica.LeaderId.Should().Be(1);
    }

    [Fact]
    public void A_leader_that_loses_its_majority_steps_down_and_hands_back_its_proposals()
    {
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 1, Members = [1, 2, 3], ElectionTicks = 10 });
        replica.Campaign();
        replica.Step(new PrePromise(2, 1, new Ballot(1, 1), true, Ballot.Zero));
        replica.GetReady();
        replica.Advance();
        replica.Step(new Promise(2, 1, new Ballot(1, 1), 1, 0, []));
        replica.Role.Should().Be(Role.Leader);
        replica.Propose(new byte[] { 9 });
        replica.ReadIndex(5);
        replica.GetReady();
        replica.Advance();

        // No peer answers for a whole election timeout: the leader can decide nothing more.
        for (var i = 0; i < 10; i++)
        {
            replica.Tick();
        }

        replica.Role.Should().Be(Role.Follower);
        var ready = replica.GetReady();
        var dropped = ready.DroppedProposals.Should().ContainSingle().Subject;
        dropped.Commands.Should().ContainSingle().Which.ToArray().Should().Equal(9);
        dropped.MaybeDecided.Should().BeTrue("the command was in a slot sent to acceptors, so another leader may still decide it");
        ready.DroppedReads.Should().ContainSingle().Which.RequestIds.Should().Equal(5);
    }

    [Fact]
    public void A_replica_that_hears_a_live_leader_refuses_to_help_a_higher_ballot()
    {
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 2, Members = [1, 2, 3] });
        replica.Step(new Heartbeat(1, 2, new Ballot(1, 1), 0, 0));
        replica.Step(new PrePrepare(3, 2, new Ballot(2, 3)));
        replica.Step(new Prepare(3, 2, new Ballot(2, 3), 1));
        var ready = replica.GetReady();
        ready.Messages.OfType<PrePromise>().Single().Granted.Should().BeFalse();
        ready.MessagesAfterPersist.Should().NotContain(m => m is Promise);
        replica.Promised.Should().Be(new Ballot(1, 1));
    }

    [Fact]
    public void A_pre_vote_refused_for_a_live_leader_is_granted_once_the_leader_goes_silent_and_only_once()
    {
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 2, Members = [1, 2, 3], ElectionTicks = 10 });
        replica.Step(new Heartbeat(1, 2, new Ballot(1, 1), 0, 0));
        replica.Step(new PrePrepare(3, 2, new Ballot(2, 3)));
        replica.GetReady().Messages.OfType<PrePromise>().Single().Granted.Should().BeFalse("the leader was heard just now");
        replica.Advance();

        // Nine ticks later the leader still counts as heard: nothing yet.
        var grants = new List<PrePromise>();
        for (var tick = 1; tick <= 9; tick++)
        {
            replica.Tick();
            grants.AddRange(replica.GetReady().Messages.OfType<PrePromise>());
            replica.Advance();
        }

        grants.Should().BeEmpty();

        // The tenth: the leader is silent for an election timeout, as the pre-candidate already found; the grant follows.
        for (var tick = 10; tick <= 30; tick++)
        {
            replica.Tick();
            grants.AddRange(replica.GetReady().Messages.OfType<PrePromise>());
            replica.Advance();
        }

        grants.Should().ContainSingle().Which.Should().Match<PrePromise>(p => p.To == 3 && p.Granted && p.Ballot == new Ballot(2, 3));
        replica.Promised.Should().Be(new Ballot(1, 1), "a pre-vote changes nothing");
    }

    [Fact]
    public void A_refused_pre_vote_is_not_granted_late_while_the_leader_keeps_being_heard()
    {
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 2, Members = [1, 2, 3], ElectionTicks = 10 });
        replica.Step(new Heartbeat(1, 2, new Ballot(1, 1), 0, 0));
        replica.Step(new PrePrepare(3, 2, new Ballot(2, 3)));
        replica.GetReady();
        replica.Advance();
        for (var tick = 1; tick <= 40; tick++)
        {
            replica.Tick();
            if (tick % 2 == 0)
            {
                replica.Step(new Heartbeat(1, 2, new Ballot(1, 1), 0, 0));
            }

            replica.GetReady().Messages.OfType<PrePromise>().Should().BeEmpty("the leader is alive");
            replica.Advance();
        }
    }

    [Fact]
    public void Campaigning_again_as_a_candidate_hands_back_the_queued_commands()
    {
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 1, Members = [1, 2, 3] });
        replica.Campaign();
        replica.Step(new PrePromise(2, 1, new Ballot(1, 1), true, Ballot.Zero));
        replica.Role.Should().Be(Role.Candidate);
        replica.Propose(new byte[] { 4 }).Should().Be(RequestOutcome.Accepted);

        replica.Campaign();
        replica.Role.Should().Be(Role.PreCandidate);
        var dropped = replica.GetReady().DroppedProposals.Should().ContainSingle().Subject;
        dropped.Commands.Should().ContainSingle();
        dropped.MaybeDecided.Should().BeFalse("a candidate only queues commands; none reached a slot");
    }
}
