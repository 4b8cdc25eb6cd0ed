using ReplicatedKv.Consensus;

namespace ReplicatedKv.NodeCore.Tests.Routing;

/// <summary>Membership changes through the node core: answered when applied, refused with a reason otherwise.</summary>
public sealed class MembershipChangeTests
{
    [Fact]
    public void A_change_submitted_at_a_follower_is_refused_naming_the_leader()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);
        var caller = cluster.ChangeMembership(2, MembershipChange.AddNonVoter(4, "peer=x"));
        var answer = cluster.AnswerTo(caller);
        answer!.Value.Kind.Should().Be(AnswerKind.Refused);
        answer.Value.Reason.Should().Contain("not the leader").And.Contain("node 1 leads");
    }

    [Fact]
    public void An_added_non_voter_is_answered_when_applied_and_the_quorum_stays_one_of_the_voters()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);
        var caller = cluster.ChangeMembership(1, MembershipChange.AddNonVoter(4, "peer=https://n4"));
        cluster.Run(3);
        cluster.AnswerTo(caller)!.Value.Kind.Should().Be(AnswerKind.MembershipChanged);
        foreach (var id in cluster.Ids)
        {
            var latest = cluster.Node(id).LatestConfiguration.Configuration;
            latest.Voters.Should().Equal(1, 2, 3);
            latest.NonVoters.Should().Equal(4);
            latest.Find(4)!.Payload.Should().Be("peer=https://n4");
        }

        // Node 4 never runs: with a voter cut off, the two remaining voters still decide, since 4 counts for nothing.
        cluster.Isolate(3);
        var write = cluster.Set(1, "k", "v");
        cluster.Run(5);
        cluster.AnswerTo(write)!.Value.Kind.Should().Be(AnswerKind.WriteApplied);
    }

    [Fact]
    public void A_second_change_while_one_is_pending_is_refused()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);
        cluster.ChangeMembership(1, MembershipChange.AddNonVoter(4));
        var second = cluster.ChangeMembership(1, MembershipChange.AddNonVoter(5));
        cluster.AnswerTo(second)!.Value.Reason.Should().Contain("pending");
    }

    [Fact]
    public void Promoting_a_member_whose_lag_is_unknown_is_refused()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);
        cluster.ChangeMembership(1, MembershipChange.AddNonVoter(4));
        cluster.Run(3);
        var promote = cluster.ChangeMembership(1, MembershipChange.Promote(4));
        var answer = cluster.AnswerTo(promote)!.Value;
        answer.Kind.Should().Be(AnswerKind.Refused);
        answer.Reason.Should().Contain("lag is unknown");
    }

    [Fact]
    public void Removing_a_voter_while_another_is_down_is_refused_as_leaving_too_few_able_to_run()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);
        cluster.Isolate(3);
        cluster.Run(ScriptedCluster.ElectionTicks + 1, 1, 2);
        var remove = cluster.ChangeMembership(1, MembershipChange.Remove(2));
        var answer = cluster.AnswerTo(remove)!.Value;
        answer.Kind.Should().Be(AnswerKind.Refused);
        answer.Reason.Should().Contain("1 of 2 voters able to run");
    }

    [Fact]
    public void A_removed_leader_finishes_the_change_steps_down_and_the_others_elect_a_leader_among_themselves()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);
        var remove = cluster.ChangeMembership(1, MembershipChange.Remove(1));
        cluster.Run(3, 1);
        cluster.AnswerTo(remove)!.Value.Kind.Should().Be(AnswerKind.MembershipChanged);
        cluster.IsLeader(1).Should().BeFalse("the leader steps down once the configuration without it governs");
        cluster.Node(1).Replica.IsVotingMember.Should().BeFalse();

        // Only the old leader was ticked: a successor leads because it was told to campaign (TimeoutNow), not
        // because its election timer ran out.
        (cluster.IsLeader(2) || cluster.IsLeader(3)).Should().BeTrue("the removed leader hands over to the most up-to-date remaining voter");
        cluster.IsLeader(1).Should().BeFalse("a removed member never campaigns");
        var leader = cluster.IsLeader(2) ? 2 : 3;
        cluster.Node(leader).GoverningConfiguration.Configuration.Voters.Should().Equal(2, 3);
        var write = cluster.Set(leader, "k", "v");
        cluster.Run(5);
        cluster.AnswerTo(write)!.Value.Kind.Should().Be(AnswerKind.WriteApplied);
    }
}

/// <summary>Leader transfer through the node core.</summary>
public sealed class LeaderTransferTests
{
    [Fact]
    public void The_target_takes_over_without_waiting_for_an_election_timeout_and_serves_writes()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);
        cluster.Node(1).TransferLeadership(3).Should().BeNull();

        // Writes wait while the leader hands over, and go to the new leader.
        var write = cluster.Set(2, "k", "v");
        var ticks = 0;
        while (!cluster.IsLeader(3) && ticks < ScriptedCluster.ElectionTicks)
        {
            cluster.Run(1);
            ticks++;
        }

        cluster.IsLeader(3).Should().BeTrue("the target starts its ballot on TimeoutNow, without a pre-vote or timeout");
        ticks.Should().BeLessThan(ScriptedCluster.ElectionTicks / 2, "logical ticks: a hand-over is a few message hops, not an election timeout");
        cluster.IsLeader(1).Should().BeFalse();
        cluster.Sent.OfType<Prepare>().Should().Contain(p => p.From == 3 && p.LeaderTransfer);
        cluster.RunUntil(() => cluster.AnswerTo(write) is not null).Should().BeTrue();
        cluster.AnswerTo(write)!.Value.Kind.Should().Be(AnswerKind.WriteApplied);
    }

    [Fact]
    public void A_transfer_to_an_unreachable_target_times_out_and_the_leader_serves_again()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);
        cluster.Isolate(3);
        cluster.Node(1).TransferLeadership(3).Should().BeNull();
        cluster.Node(1).Replica.TransferTarget.Should().Be(3);
        cluster.Run(ScriptedCluster.ElectionTicks, 1, 2);
        cluster.Node(1).Replica.TransferTarget.Should().BeNull("given up after an election timeout");
        cluster.IsLeader(1).Should().BeTrue();
        var write = cluster.Set(1, "k", "v");
        cluster.Run(3, 1, 2);
        cluster.AnswerTo(write)!.Value.Kind.Should().Be(AnswerKind.WriteApplied);
    }

    [Fact]
    public void A_transfer_is_refused_to_a_non_voter_and_on_a_follower()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);
        cluster.Node(2).TransferLeadership(3).Should().Contain("not the leader");
        cluster.Node(1).TransferLeadership(7).Should().Contain("not a voter");
    }
}
