using ReplicatedKv.Chaos.Cluster;
using ReplicatedKv.Chaos.Nemesis;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>The issue-21 partition shapes: which links they cut, and that 5-node schedules draw them.</summary>
public sealed class PartialConnectivityPlanningTests
{
    [Fact]
    public void Quorum_loss_leaves_only_one_follower_with_links()
    {
        var (cuts, _) = PartitionPlanner.Plan(PartitionShape.QuorumLoss, nodes: 5, leader: 0, minority: 2, new Random(7));

        var linked = Enumerable.Range(0, 5).Where(n => !cuts.Any(c => c.From == n || c.To == n)).ToArray();
        linked.Should().ContainSingle().Which.Should().NotBe(0, "the node that keeps a majority is a follower");
        cuts.Should().HaveCount(4 * 3, "every ordered pair of the other four nodes");
    }

    [Fact]
    public void A_constrained_election_cuts_the_follower_off_first_then_leaves_only_its_links_to_the_nodes_but_the_old_leader()
    {
        var plan = PartitionPlanner.Plan(PartitionShape.ConstrainedElection, nodes: 5, leader: 0, minority: 2, new Random(7));

        plan.LeadIn.Should().NotBeNull();
        var follower = plan.LeadIn!.Select(c => c.From).GroupBy(n => n).Single(g => g.Count() == 4).Key;
        follower.Should().NotBe(0);
        plan.LeadIn.Should().HaveCount(2 * 4, "the follower loses all its links, both ways");

        // Afterwards: the old leader has no link, the follower reaches the other three, and they do not reach each other.
        Func<int, int, bool> up = (a, b) => !plan.Cuts.Contains(new LinkCut(a, b)) && !plan.Cuts.Contains(new LinkCut(b, a));
        Enumerable.Range(1, 4).Should().OnlyContain(n => !up(0, n));
        var others = Enumerable.Range(1, 4).Where(n => n != follower).ToArray();
        others.Should().OnlyContain(n => up(follower, n));
        others.SelectMany(a => others.Where(b => b != a).Select(b => (a, b))).Should().OnlyContain(p => !up(p.a, p.b));
    }

    [Fact]
    public void Five_node_schedules_take_turns_over_all_six_shapes_and_three_node_ones_over_four()
    {
        var five = NemesisSchedule.Plan([FaultKind.Partition], seed: 99, nodes: 5, TimeSpan.FromMinutes(3));
        var three = NemesisSchedule.Plan([FaultKind.Partition], seed: 99, nodes: 3, TimeSpan.FromMinutes(3));

        five.Should().HaveCountGreaterThanOrEqualTo(6);
        five.Take(6).Select(p => p.Shape).Should().BeEquivalentTo(Enum.GetValues<PartitionShape>());
        three.Select(p => p.Shape).Should().NotContain([PartitionShape.QuorumLoss, PartitionShape.ConstrainedElection]);
    }
}
