using ReplicatedKv.Consensus;

namespace ReplicatedKv.NodeCore.Tests.Routing;

/// <summary>Linearizable reads: a read index from the leader, served once the reading node applied through it.</summary>
public sealed class ReadRoutingTests
{
    [Fact]
    public void A_linearizable_read_at_a_follower_gets_its_index_from_the_leader_and_sees_a_write_acknowledged_before_it()
    {
        var (cluster, write, read) = ReadAtAFollowerThatMissedAnAcknowledgedWrite();
        AssertTheReadSawTheWrite(cluster, write, read);
    }

#if RKV_FAULT_INJECTION
    [Fact]
    public void The_follower_read_test_catches_a_follower_that_reads_without_an_index()
    {
        var (cluster, write, read) = ReadAtAFollowerThatMissedAnAcknowledgedWrite(
            config => config with { Faults = new NodeFaults(FollowerReadsWithoutIndex: true) });
        FluentActions.Invoking(() => AssertTheReadSawTheWrite(cluster, write, read)).Should().Throw<Xunit.Sdk.XunitException>()
            .WithMessage("*acknowledged before the read began*", "the stale read is what the test reports");
    }
#endif

    [Fact]
    public void A_linearizable_read_at_the_leader_waits_for_a_heartbeat_round_that_confirms_it_still_leads()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);
        var heartbeatsBefore = cluster.SentCount<Heartbeat>();

        var read = cluster.Read(1, "k");
        cluster.AnswerTo(read).Should().BeNull("a deposed leader that does not know it yet must not answer");
        cluster.SentCount<Heartbeat>().Should().Be(heartbeatsBefore + 2, "one heartbeat to each follower");

        cluster.Deliver();
        cluster.AnswerTo(read)!.Value.Kind.Should().Be(AnswerKind.ReadServed);
        cluster.AnswerTo(read)!.Value.Read.Found.Should().BeFalse();
    }

    [Fact]
    public void A_follower_answers_a_linearizable_read_in_a_cluster_that_has_decided_nothing_yet()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);

        // The leader's read index is 0 here, which must read as "nothing to wait for", without a tick.
        var read = cluster.Read(2, "nothing");
        cluster.Deliver();

        // The reply (index 0) is served in the Ready it makes at the follower: no heartbeat has to bring one.
        cluster.RunUntil(() => cluster.AnswerTo(read) is not null, maxTicks: 0).Should().BeTrue();
        cluster.AnswerTo(read)!.Value.Kind.Should().Be(AnswerKind.ReadServed);
        cluster.AnswerTo(read)!.Value.Read.Found.Should().BeFalse();
    }

    /// <summary>Node 3 is cut off while the leader decides a write with node 2, then asks for "k" after the link heals.</summary>
    private static (ScriptedCluster Cluster, long Write, long Read) ReadAtAFollowerThatMissedAnAcknowledgedWrite(
        Func<NodeCoreConfig, NodeCoreConfig>? configure = null)
    {
        var cluster = new ScriptedCluster(3, configure);
        cluster.ElectLeader(1);
        cluster.Cut(1, 3);
        var write = cluster.Set(1, "k", "new");
        cluster.Deliver();
        cluster.AnswerTo(write)!.Value.Kind.Should().Be(AnswerKind.WriteApplied);
        cluster.Node(3).StateMachine.TryGet("k", out _, out _).Should().BeFalse("node 3 missed the write");

        cluster.Heal();
        var read = cluster.Read(3, "k");
        cluster.RunUntil(() => cluster.AnswerTo(read) is not null).Should().BeTrue();
        return (cluster, write, read);
    }

    private static void AssertTheReadSawTheWrite(ScriptedCluster cluster, long write, long read)
    {
        var answer = cluster.AnswerTo(read)!.Value;
        answer.Kind.Should().Be(AnswerKind.ReadServed);
        answer.Read.Found.Should().BeTrue("the write was acknowledged before the read began");
        System.Text.Encoding.UTF8.GetString(answer.Read.Value.Span).Should().Be("new");
        answer.Read.Version.Should().Be(cluster.AnswerTo(write)!.Value.Write.Version);
        cluster.SentCount<ReadIndexRequest>(m => m.From == 3 && m.To == 1).Should().BeGreaterThan(0, "the follower asks the leader for the index");
    }
}
