using ReplicatedKv.StateMachine;

namespace ReplicatedKv.NodeCore.Tests.Routing;

/// <summary>Where a write goes (proposed, forwarded, parked) and who answers it, one routing rule per test.</summary>
public sealed class WriteRoutingTests
{
    [Fact]
    public void A_write_at_the_leader_is_proposed_and_answered_after_it_is_applied()
    {
        var cluster = new ScriptedCluster(3);
        var leader = cluster.ElectLeader(1);

        var write = cluster.Set(leader, "k", "v");
        cluster.Node(leader).ProposedCommands.Should().Be(1);
        cluster.AnswerTo(write).Should().BeNull("nothing is decided before a majority accepted it");

        cluster.Deliver();
        var answer = cluster.AnswerTo(write)!.Value;
        answer.Kind.Should().Be(AnswerKind.WriteApplied);
        answer.Write.Status.Should().Be(CommandStatus.Ok);
        cluster.AppliedCopies(leader, write).Should().Be(1);
        cluster.Node(leader).StateMachine.TryGet("k", out _, out var version).Should().BeTrue();
        version.Should().Be(answer.Write.Version);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void A_write_at_a_follower_is_forwarded_and_answered_there_once_decided_without_a_tick(int size)
    {
        var cluster = new ScriptedCluster(size);
        var leader = cluster.ElectLeader(1);
        var follower = size;

        var write = cluster.Set(follower, "k", "v");
        cluster.Sent[^1].Should().BeOfType<ForwardWrites>().Which.To.Should().Be(leader);

        // One round trip: forward, accept, decide. No timer is needed for the follower to learn the decision.
        cluster.Deliver();
        cluster.AnswerTo(write)!.Value.Kind.Should().Be(AnswerKind.WriteApplied);
        cluster.AnsweredBy(write).Should().Be(follower, "the node that took the write answers it");
        cluster.Node(follower).ForwardedCommands.Should().Be(1);
        cluster.Node(leader).ProposedCommands.Should().Be(1);
    }

    [Fact]
    public void A_write_while_no_leader_is_known_is_parked_and_goes_out_when_a_leader_appears()
    {
        var cluster = new ScriptedCluster(3);

        var write = cluster.Set(2, "k", "v");
        cluster.Deliver();
        cluster.SentCount<ForwardWrites>().Should().Be(0, "there is nobody to forward to");
        cluster.AnswerTo(write).Should().BeNull();

        cluster.ElectLeader(1);
        cluster.SentCount<ForwardWrites>(m => m.From == 2 && m.To == 1).Should().Be(1);
        cluster.AnswerTo(write)!.Value.Kind.Should().Be(AnswerKind.WriteApplied);
        cluster.AppliedCopies(1, write).Should().Be(1);
    }

    [Fact]
    public void A_lost_forward_with_a_request_id_is_sent_again_after_RetryTicks_and_applied_once_even_if_the_original_arrives_late()
    {
        var cluster = new ScriptedCluster(3);
        var leader = cluster.ElectLeader(1);

        var write = cluster.Set(2, "k", "v", new RequestId("client", 1));
        var lost = cluster.Hold(m => m is ForwardWrites);

        cluster.Run(ScriptedCluster.RetryTicks);
        cluster.SentCount<ForwardWrites>().Should().Be(1, "the retry interval has not passed yet");
        cluster.AnswerTo(write).Should().BeNull();

        cluster.RunUntil(() => cluster.AnswerTo(write) is not null, maxTicks: ScriptedCluster.ElectionTicks).Should().BeTrue();
        cluster.SentCount<ForwardWrites>().Should().Be(2);
        var answer = cluster.AnswerTo(write)!.Value;

        // The first copy turns up after all: the leader proposes it too, and the state machine applies it as a duplicate.
        cluster.Release(lost);
        cluster.Run(2);
        foreach (var node in cluster.Ids)
        {
            cluster.AppliedCopies(node, write).Should().Be(2, "both copies reached the log");
            cluster.Node(node).StateMachine.Revision.Should().Be(1, "only one of them changed the table");
            cluster.Node(node).StateMachine.TryGet("k", out _, out var version).Should().BeTrue();
            version.Should().Be(answer.Write.Version);
        }

        cluster.Node(leader).ProposedCommands.Should().Be(2);
    }

    [Fact]
    public void A_lost_forward_without_a_request_id_is_never_sent_again()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);

        var write = cluster.Set(2, "k", "v");
        cluster.Hold(m => m is ForwardWrites);
        cluster.Run(3 * ScriptedCluster.RetryTicks);

        // Another copy could be applied twice; the caller times out instead (outcome unknown).
        cluster.SentCount<ForwardWrites>().Should().Be(1);
        cluster.AnswerTo(write).Should().BeNull();
    }

    [Fact]
    public void A_write_retried_through_another_node_with_its_request_id_is_applied_once_and_answered_with_its_first_result()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);
        var id = new RequestId("client-a", 1);

        var first = cluster.Set(1, "counter", "one", id);
        cluster.Deliver();

        // Someone else writes the key in between: the retry must not overwrite it, and must answer as the first did.
        cluster.Set(2, "counter", "other");
        cluster.Deliver();
        var retry = cluster.Set(3, "counter", "one", id);
        cluster.Deliver();

        cluster.AnswerTo(retry)!.Value.Write.Version.Should().Be(cluster.AnswerTo(first)!.Value.Write.Version);
        cluster.AnswerTo(retry)!.Value.Write.IsDuplicate.Should().BeTrue();
        cluster.Node(3).StateMachine.TryGet("counter", out var value, out _).Should().BeTrue();
        System.Text.Encoding.UTF8.GetString(value.Span).Should().Be("other");
    }

    [Fact]
    public void A_forward_refused_by_a_node_that_no_longer_leads_waits_for_the_new_leader_instead_of_bouncing()
    {
        // Five nodes, so a majority can elect a new leader while node 5 keeps its stale view of node 1.
        var cluster = new ScriptedCluster(5);
        cluster.ElectLeader(1);
        cluster.Isolate(1);
        cluster.Isolate(5);
        cluster.RunUntil(() => !cluster.IsLeader(1) && cluster.Leader is not null, nodes: [1, 2, 3, 4]).Should().BeTrue();
        var newLeader = cluster.Leader!.Value;
        cluster.Node(5).Replica.LeaderId.Should().Be(1, "node 5 heard nothing since node 1 led");

        cluster.Connect(1, 5);
        var write = cluster.Set(5, "k", "v");
        cluster.Deliver();
        cluster.SentCount<ForwardRefused>(m => m.From == 1 && m.To == 5).Should().Be(1);
        cluster.SentCount<ForwardWrites>(m => m.From == 5).Should().Be(1, "the refused write waits instead of going back to the same stale leader");
        cluster.AnswerTo(write).Should().BeNull();

        cluster.Heal();
        cluster.RunUntil(() => cluster.AnswerTo(write) is not null).Should().BeTrue();
        cluster.AnswerTo(write)!.Value.Kind.Should().Be(AnswerKind.WriteApplied);
        cluster.Sent.OfType<ForwardWrites>().Last(m => m.From == 5).To.Should().Be(newLeader);
        cluster.AppliedCopies(5, write).Should().Be(1);
    }
}
