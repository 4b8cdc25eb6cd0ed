using System.Text;

namespace ReplicatedKv.NodeCore.Tests.Routing;

/// <summary>A minority side of a partition: nothing it takes is decided or answered as done; stale reads only when asked for.</summary>
public sealed class PartitionTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void A_minority_side_never_answers_a_write_as_success_decides_nothing_and_serves_no_stale_linearizable_read(int size)
    {
        var cluster = new ScriptedCluster(size);
        cluster.ElectLeader(1);
        cluster.Set(2, "x", "before");
        cluster.Run(2);

        // The leader and, with five nodes, one follower are the minority.
        var minority = cluster.Ids.Take((size - 1) / 2).ToArray();
        var majority = cluster.Ids.Skip(minority.Length).ToArray();
        foreach (var a in minority)
        {
            foreach (var b in majority)
            {
                cluster.Cut(a, b);
            }
        }

        var decidedBefore = minority.Select(n => cluster.Node(n).Replica.DecidedIndex).ToArray();
        var writes = minority.Select(n => cluster.Set(n, $"y{n}", "lost?")).ToArray();
        var reads = minority.Select(n => cluster.Read(n, "x")).ToArray();

        cluster.RunUntil(() => majority.Any(cluster.IsLeader)).Should().BeTrue();
        var after = cluster.Set(majority[0], "x", "after");
        cluster.Run(10 * ScriptedCluster.ElectionTicks);
        cluster.AnswerTo(after)!.Value.Kind.Should().Be(AnswerKind.WriteApplied, "the majority moves on");

        foreach (var caller in writes.Concat(reads))
        {
            cluster.AnswerTo(caller).Should().BeNull("a minority can neither decide a write nor confirm a read index");
        }

        minority.Select(n => cluster.Node(n).Replica.DecidedIndex).Should().Equal(decidedBefore);

        // A serializable read may be stale, and is: the minority still holds the old value.
        var serializable = cluster.Read(minority[0], "x", linearizable: false);
        Encoding.UTF8.GetString(cluster.AnswerTo(serializable)!.Value.Read.Value.Span).Should().Be("before");

        // The callers give up at their deadline; once healed, what the minority took was never applied anywhere.
        foreach (var (node, caller) in minority.Zip(writes).Concat(minority.Zip(reads)))
        {
            cluster.Abandon(node, caller);
        }

        cluster.Heal();
        var late = cluster.Read(minority[0], "x");
        cluster.RunUntil(() => cluster.AnswerTo(late) is not null).Should().BeTrue();
        Encoding.UTF8.GetString(cluster.AnswerTo(late)!.Value.Read.Value.Span).Should().Be("after");
        cluster.Run(2 * ScriptedCluster.ElectionTicks);
        foreach (var node in cluster.Ids)
        {
            minority.Should().NotContain(n => cluster.Node(node).StateMachine.Contains($"y{n}"), $"node {node} must not hold a minority write");
        }
    }
}
