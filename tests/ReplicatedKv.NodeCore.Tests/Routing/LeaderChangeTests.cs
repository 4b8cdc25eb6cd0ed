using ReplicatedKv.Consensus;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.NodeCore.Tests.Routing;

/// <summary>What happens to writes a leader was driving when it loses leadership: rerouted when safe, never applied twice.</summary>
public sealed class LeaderChangeTests
{
    [Fact]
    public void On_a_leader_change_pending_writes_are_rerouted_to_the_new_leader_and_none_is_applied_twice()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);

        // Reaches node 2's log before the leader is cut off: the new leader recovers it, and node 1 may send it again.
        var recovered = cluster.Set(1, "a", "1", new RequestId("client", 1));
        cluster.Deliver(m => m is Accept { To: 2 });

        // Never leaves node 1: only rerouting can get it decided.
        var stranded = cluster.Set(1, "b", "2", new RequestId("client", 2));
        cluster.Isolate(1);
        cluster.RunUntil(() => !cluster.IsLeader(1) && cluster.Leader is not null).Should().BeTrue();

        cluster.Heal();
        cluster.RunUntil(() => cluster.AnswerTo(recovered) is not null && cluster.AnswerTo(stranded) is not null).Should().BeTrue();
        cluster.SentCount<ForwardWrites>(m => m.From == 1).Should().BeGreaterThan(0, "node 1 rerouted its writes to the new leader");
        cluster.Run(2);
        foreach (var node in cluster.Ids)
        {
            cluster.AppliedCopies(node, stranded).Should().Be(1);
            cluster.Node(node).StateMachine.Revision.Should().Be(2, "each write changed the table once");
        }

        cluster.AnswerTo(recovered)!.Value.Write.Status.Should().Be(CommandStatus.Ok);
        cluster.AnswerTo(stranded)!.Value.Write.Status.Should().Be(CommandStatus.Ok);
    }

    [Fact]
    public void A_write_forwarded_to_a_leader_that_is_lost_goes_to_the_next_leader_as_soon_as_it_is_known()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);
        var write = cluster.Set(2, "k", "v", new RequestId("client", 1));

        // The forward is lost with the leader (crashed or cut off before it arrived).
        cluster.Hold(m => m is ForwardWrites);
        cluster.Isolate(1);

        // The periodic retry would resend it only after RetryTicks; the leader change must not wait for it.
        cluster.RunUntil(() => cluster.AnswerTo(write) is not null, maxTicks: ScriptedCluster.RetryTicks, nodes: [2, 3])
            .Should().BeTrue("node 2 routes its outstanding forward to the new leader when it learns of it");
        cluster.AnswerTo(write)!.Value.Kind.Should().Be(AnswerKind.WriteApplied);
        (cluster.IsLeader(2) || cluster.IsLeader(3)).Should().BeTrue("a new leader decided it");
    }

    [Fact]
    public void A_read_index_request_sent_to_a_leader_that_is_lost_is_asked_of_the_next_leader_as_soon_as_it_is_known()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);
        var written = cluster.Set(1, "k", "v");
        cluster.Deliver();
        cluster.AnswerTo(written).Should().NotBeNull();

        var read = cluster.Read(2, "k");
        cluster.Hold(m => m is ReadIndexRequest);
        cluster.Isolate(1);

        cluster.RunUntil(() => cluster.AnswerTo(read) is not null, maxTicks: ScriptedCluster.RetryTicks, nodes: [2, 3])
            .Should().BeTrue("node 2 asks the new leader for the read index when it learns of it");
        cluster.AnswerTo(read)!.Value.Kind.Should().Be(AnswerKind.ReadServed);
    }

    [Fact]
    public void A_write_without_a_request_id_that_may_be_decided_is_not_proposed_again_after_a_leader_change()
    {
        var (cluster, write) = WriteAcceptedByOneFollowerWhenTheLeaderIsCutOff();
        AssertAnsweredAndAppliedOnceEverywhere(cluster, write);
    }

#if RKV_FAULT_INJECTION
    [Fact]
    public void The_leader_change_test_catches_a_node_that_reproposes_a_write_that_may_be_decided()
    {
        var (cluster, write) = WriteAcceptedByOneFollowerWhenTheLeaderIsCutOff(
            config => config with { Faults = new NodeFaults(ReproposeMaybeDecided: true) });
        FluentActions.Invoking(() => AssertAnsweredAndAppliedOnceEverywhere(cluster, write)).Should().Throw<Xunit.Sdk.XunitException>()
            .WithMessage("*must apply the write once*", "the second copy in the log is what the test reports");
    }
#endif

    /// <summary>
    /// Leader 1 takes a write without a request id; only node 2 accepts it before node 1 is cut off. The new leader
    /// finds and decides it; node 1, deposed, must not propose it again when it hears of the new leader.
    /// </summary>
    private static (ScriptedCluster Cluster, long Write) WriteAcceptedByOneFollowerWhenTheLeaderIsCutOff(
        Func<NodeCoreConfig, NodeCoreConfig>? configure = null)
    {
        var cluster = new ScriptedCluster(3, configure);
        cluster.ElectLeader(1);
        var write = cluster.Set(1, "k", "v");
        cluster.Deliver(m => m is Accept { To: 2 });
        cluster.Isolate(1);
        cluster.RunUntil(() => !cluster.IsLeader(1) && cluster.Leader is not null).Should().BeTrue();

        cluster.Heal();
        cluster.RunUntil(() => cluster.AnswerTo(write) is not null).Should().BeTrue();

        // Time for a second copy, if node 1 sent one, to be decided too.
        cluster.Run(2 * ScriptedCluster.ElectionTicks);
        return (cluster, write);
    }

    private static void AssertAnsweredAndAppliedOnceEverywhere(ScriptedCluster cluster, long write)
    {
        cluster.AnswerTo(write)!.Value.Kind.Should().Be(AnswerKind.WriteApplied);
        cluster.AnsweredBy(write).Should().Be(1);
        foreach (var node in cluster.Ids)
        {
            cluster.AppliedCopies(node, write).Should().Be(1, $"node {node} must apply the write once");
            cluster.Node(node).StateMachine.Revision.Should().Be(1);
        }
    }
}
