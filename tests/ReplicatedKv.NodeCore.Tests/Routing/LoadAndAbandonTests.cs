namespace ReplicatedKv.NodeCore.Tests.Routing;

/// <summary>Refusals for load, and callers that give up.</summary>
public sealed class LoadAndAbandonTests
{
    [Fact]
    public void Past_the_leaders_queue_limit_a_write_is_answered_overloaded_at_the_leader_and_through_a_follower()
    {
        var cluster = new ScriptedCluster(3, config => config with { Replica = config.Replica with { Window = 1, MaxQueuedCommands = 1 } });
        cluster.ElectLeader(1);

        // Nothing is delivered meanwhile: the first write holds the one window slot, the second fills the queue.
        var inSlot = cluster.Set(1, "a", "1");
        var queued = cluster.Set(1, "b", "2");
        var refused = cluster.Set(1, "c", "3");
        cluster.AnswerTo(refused)!.Value.Kind.Should().Be(AnswerKind.Overloaded);

        var forwarded = cluster.Set(2, "d", "4");
        cluster.Deliver(m => m is ForwardWrites or ForwardRefused);
        cluster.AnswerTo(forwarded)!.Value.Kind.Should().Be(AnswerKind.Overloaded);
        cluster.AnsweredBy(forwarded).Should().Be(2, "the follower that took the write answers the refusal");

        cluster.Run(2 * ScriptedCluster.ElectionTicks);
        cluster.AnswerTo(inSlot)!.Value.Kind.Should().Be(AnswerKind.WriteApplied);
        cluster.AnswerTo(queued)!.Value.Kind.Should().Be(AnswerKind.WriteApplied);
        foreach (var node in cluster.Ids)
        {
            cluster.Node(node).StateMachine.Contains("c").Should().BeFalse("an Overloaded write was never applied");
            cluster.Node(node).StateMachine.Contains("d").Should().BeFalse("an Overloaded write was never applied");
        }
    }

    [Fact]
    public void An_abandoned_caller_is_never_answered_and_what_it_left_parked_never_leaves_the_node()
    {
        var cluster = new ScriptedCluster(3);
        var write = cluster.Set(2, "parked", "v");
        var read = cluster.Read(2, "parked");
        cluster.Abandon(2, write);
        cluster.Abandon(2, read);

        cluster.ElectLeader(1);
        cluster.Run(2 * ScriptedCluster.ElectionTicks);
        cluster.SentCount<ForwardWrites>(m => m.From == 2).Should().Be(0);
        cluster.SentCount<ReadIndexRequest>(m => m.From == 2).Should().Be(0);
        cluster.AnswerTo(write).Should().BeNull();
        cluster.AnswerTo(read).Should().BeNull();
        cluster.Ids.Should().NotContain(node => cluster.Node(node).StateMachine.Contains("parked"));
    }

    [Fact]
    public void A_write_abandoned_after_it_was_forwarded_may_still_be_applied_but_nobody_is_answered()
    {
        var cluster = new ScriptedCluster(3);
        cluster.ElectLeader(1);
        var write = cluster.Set(2, "k", "v");
        cluster.Abandon(2, write);

        cluster.Deliver();
        cluster.AppliedCopies(2, write).Should().Be(1);
        cluster.AnswerTo(write).Should().BeNull();
    }
}
