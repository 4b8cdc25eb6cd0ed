using ReplicatedKv.Chaos.Cluster;

namespace ReplicatedKv.Chaos.Nemesis;

/// <summary>Turns a partition shape into the links to cut, for a cluster of <c>nodes</c> with the given leader (or none).</summary>
internal static class PartitionPlanner
{
    public static PartitionPlan Plan(PartitionShape shape, int nodes, int? leader, int minority, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var order = Enumerable.Range(0, nodes).OrderBy(_ => random.Next()).ToList();
        if (leader is { } l)
        {
            // The leader first, so "isolate the leader" and "one-way from the leader" aim at it.
            order.Remove(l);
            order.Insert(0, l);
        }

        switch (shape)
        {
            case PartitionShape.IsolateLeader:
                return Split(order.Take(1), order.Skip(1));
            case PartitionShape.QuorumLoss:
            {
                // order[1] is a follower whenever the leader is known: the only node that keeps a majority.
                var hub = order[1];
                var rest = order.Where(n => n != hub).ToArray();
                var cuts = Among(rest).ToArray();
                return new PartitionPlan(cuts, $"quorum loss: only {Name(hub)} keeps its links");
            }

            case PartitionShape.ConstrainedElection:
            {
                // The follower falls behind while cut off; then only its links to the nodes other than the old leader
                // come back, and those nodes lose each other.
                var follower = order[1];
                var oldLeader = order[0];
                var others = order.Skip(2).ToArray();
                var leadIn = LinkCut.Between([follower], order.Where(n => n != follower)).ToArray();
                var cuts = LinkCut.Between([oldLeader], order.Skip(1))
                    .Concat(Among(others)).ToArray();
                return new PartitionPlan(cuts,
                    $"constrained election: {Name(follower)} cut off, then only its links to {Names(others)} (old leader {Name(oldLeader)} cut from all)", leadIn);
            }

            case PartitionShape.Bridge:
            {
                // Halves of (n-1)/2 each and one node between them that sees both: with 3 nodes a | b | c.
                var half = (nodes - 1) / 2;
                var left = order.Take(half).ToArray();
                var right = order.Skip(half + 1).Take(half).ToArray();
                var cuts = LinkCut.Between(left, right).ToArray();
                return new PartitionPlan(cuts, $"bridge: {Names(left)} | {Name(order[half])} | {Names(right)}");
            }

            case PartitionShape.OneWay:
            {
                var from = order[0];
                var cuts = order.Skip(1).Select(to => new LinkCut(from, to)).ToArray();
                return new PartitionPlan(cuts, $"one-way: everything {Name(from)} sends is lost");
            }

            default:
            {
                // Shuffle again so a majority/minority split is not always around the leader.
                var shuffled = order.OrderBy(_ => random.Next()).ToArray();
                return Split(shuffled.Take(minority), shuffled.Skip(minority));
            }
        }
    }

    private static PartitionPlan Split(IEnumerable<int> small, IEnumerable<int> large)
    {
        var a = small.ToArray();
        var b = large.ToArray();
        return new PartitionPlan(LinkCut.Between(a, b).ToArray(), $"{Names(a)} | {Names(b)}");
    }

    /// <summary>Every link among <paramref name="nodes"/>, each direction once.</summary>
    private static IEnumerable<LinkCut> Among(int[] nodes) =>
        nodes.SelectMany(a => nodes.Where(b => b != a).Select(b => new LinkCut(a, b)));

    private static string Names(IEnumerable<int> nodes) => "{" + string.Join(",", nodes.Select(Name)) + "}";

    private static string Name(int node) => "n" + (node + 1);
}
