using ReplicatedKv.Chaos.Cluster;
using ReplicatedKv.Chaos.Nemesis;

namespace ReplicatedKv.Chaos.Tests;

public sealed class NemesisPlanningTests
{
    private static readonly FaultKind[] AllKinds = Enum.GetValues<FaultKind>();

    [Fact]
    public void The_same_seed_draws_the_same_schedule()
    {
        var first = NemesisSchedule.Plan(AllKinds, seed: 1234, nodes: 5, TimeSpan.FromMinutes(5));
        var again = NemesisSchedule.Plan(AllKinds, seed: 1234, nodes: 5, TimeSpan.FromMinutes(5));
        var other = NemesisSchedule.Plan(AllKinds, seed: 1235, nodes: 5, TimeSpan.FromMinutes(5));

        again.Should().Equal(first);
        other.Should().NotEqual(first);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void Every_fault_heals_within_the_run_and_aims_at_most_at_a_minority(int nodes)
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var plans = NemesisSchedule.Plan(AllKinds, seed, nodes, TimeSpan.FromSeconds(60));
            plans.Should().NotBeEmpty();
            plans.Sum(p => (p.QuietBefore + p.Duration).TotalSeconds).Should().BeLessThanOrEqualTo(60);
            plans.Should().OnlyContain(p => p.Targets >= 1 && p.Targets <= (nodes - 1) / 2);
            plans.Select(p => p.Number).Should().Equal(Enumerable.Range(1, plans.Count));
        }
    }

    [Fact]
    public void Partition_shapes_take_turns_so_four_partitions_cover_them_all()
    {
        var plans = NemesisSchedule.Plan([FaultKind.Partition], seed: 99, nodes: 3, TimeSpan.FromMinutes(2));

        plans.Should().HaveCountGreaterThanOrEqualTo(4);
        plans.Take(4).Select(p => p.Shape).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void A_run_too_short_for_a_whole_interval_still_gets_one_fault()
    {
        var plans = NemesisSchedule.Plan([FaultKind.Kill], seed: 3, nodes: 3, TimeSpan.FromSeconds(4));

        plans.Should().ContainSingle();
        (plans[0].QuietBefore + plans[0].Duration).Should().BeCloseTo(TimeSpan.FromSeconds(4), TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public void Isolating_the_leader_cuts_it_from_everyone_both_ways()
    {
        var (cuts, _) = PartitionPlanner.Plan(PartitionShape.IsolateLeader, nodes: 3, leader: 1, minority: 1, new Random(7));

        cuts.Should().BeEquivalentTo(new[] { new LinkCut(1, 0), new LinkCut(0, 1), new LinkCut(1, 2), new LinkCut(2, 1) });
    }

    [Fact]
    public void A_bridge_node_keeps_both_halves_while_the_halves_lose_each_other()
    {
        var (cuts, _) = PartitionPlanner.Plan(PartitionShape.Bridge, nodes: 5, leader: null, minority: 2, new Random(7));

        var cutNodes = cuts.SelectMany(c => new[] { c.From, c.To }).Distinct().ToArray();
        cutNodes.Should().HaveCount(4, "every node but the bridge loses someone");
        cuts.Should().HaveCount(2 * 2 * 2, "two against two, both directions");
        cuts.Should().OnlyContain(c => cuts.Contains(new LinkCut(c.To, c.From)));
    }

    [Fact]
    public void A_one_way_cut_only_loses_what_one_node_sends()
    {
        var (cuts, _) = PartitionPlanner.Plan(PartitionShape.OneWay, nodes: 3, leader: 2, minority: 1, new Random(7));

        cuts.Should().BeEquivalentTo(new[] { new LinkCut(2, 0), new LinkCut(2, 1) });
    }

    [Fact]
    public void A_majority_minority_split_cuts_every_link_across_it()
    {
        var (cuts, _) = PartitionPlanner.Plan(PartitionShape.MajorityMinority, nodes: 5, leader: 0, minority: 2, new Random(7));

        cuts.Should().HaveCount(2 * 3 * 2);
        cuts.SelectMany(c => new[] { c.From, c.To }).Distinct().Should().HaveCount(5);
    }
}
