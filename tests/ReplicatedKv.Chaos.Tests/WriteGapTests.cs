using ReplicatedKv.Chaos.Cluster;
using ReplicatedKv.Chaos.Nemesis;
using ReplicatedKv.Chaos.Scenarios;
using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>The per-fault write-gap report and its 10 s rule (issue 21), on hand-made histories (times in ms).</summary>
public sealed class WriteGapTests
{
    private const long Ms = 1_000_000;

    [Fact]
    public void The_longest_gap_counts_the_faults_start_and_end_as_edges_and_only_acknowledged_writes()
    {
        var history = new[] { Write(1_000), Write(4_000), Read(6_000), Write(7_000), Failed(8_000) };

        var gaps = WriteGaps.Measure(history, [Window(start: 500, end: 9_500, bounded: true)]);

        gaps.Should().ContainSingle().Which.Longest.Should().Be(TimeSpan.FromMilliseconds(3_000), "1 s to 4 s; the read at 6 s is no write");
        gaps[0].TooLong.Should().BeFalse();
    }

    [Fact]
    public void A_pause_over_10_s_under_a_shape_that_keeps_a_majority_fails_the_run()
    {
        var history = new[] { Write(1_000), Write(12_500) };

        var gaps = WriteGaps.Measure(history, [Window(0, 13_000, bounded: true), Window(0, 13_000, bounded: false)]);

        gaps[0].TooLong.Should().BeTrue("11.5 s without an acknowledged write while a node could lead");
        gaps[1].TooLong.Should().BeFalse("the same pause under a fault that bounds nothing is only reported");
        var report = new RunReport(new RunOptions(), "unused") { WriteGaps = gaps };
        report.Passed.Should().BeFalse();
        report.Summary().Should().Contain("OVER 10 s");
    }

    [Fact]
    public void Every_partition_shape_bounds_the_pause_on_a_network_that_can_cut_links()
    {
        foreach (var shape in Enum.GetValues<PartitionShape>())
        {
            var plan = new FaultPlan(1, TimeSpan.Zero, FaultKind.Partition, false, 1, shape, TimeSpan.FromSeconds(5), 1, 0);
            FaultWindow.Of(plan, 0, 1, partitioned: true).BoundsWritePause.Should().BeTrue(shape.ToString());
            FaultWindow.Of(plan, 0, 1, partitioned: false).BoundsWritePause.Should().BeFalse("nothing was cut");
        }

        var kill = new FaultPlan(1, TimeSpan.Zero, FaultKind.Kill, false, 1, default, TimeSpan.FromSeconds(5), 1, 0);
        FaultWindow.Of(kill, 0, 1, partitioned: true).BoundsWritePause.Should().BeFalse();
    }

    [Fact]
    public void The_stall_per_fault_kind_is_the_worst_gap_among_its_faults_split_by_whether_they_hit_the_leader()
    {
        var history = new[] { Write(1_000), Write(2_500), Write(3_000), Write(3_200), Write(6_000), Write(6_100), Write(9_000) };
        FaultWindow Kill(long start, long end, bool atLeader) => new(1, "kill", start * Ms, end * Ms, false) { AtLeader = atLeader };

        var gaps = WriteGaps.Measure(history, [Kill(500, 2_600, atLeader: true), Kill(2_900, 6_050, atLeader: true), Kill(6_050, 6_200, atLeader: false),
            new(4, "partition Bridge", 8_000, 8_500, true)]);
        var stalls = WriteStalls.ByKind(gaps);

        stalls.Select(s => s.ToString()).Should().Equal(
            "kill at leader 2.80 s (worst of 2)",
            "kill at follower 0.10 s (worst of 1)",
            "partition at follower 0.00 s (worst of 1)");
        var report = new RunReport(new RunOptions { Scenario = ScenarioKind.Kill }, "unused") { WriteGaps = gaps, ElectionTimeout = TimeSpan.FromMilliseconds(250) };
        report.Summary().Should().Contain("Write stall per fault kind (election timeout 250 ms): kill at leader 2.80 s (worst of 2); kill at follower");
    }

    [Fact]
    public void Leader_changes_are_read_from_the_counter_in_the_metrics_page_value_not_timestamp()
    {
        const string page = "# TYPE rkv_leader_changes_total counter\n" +
            "rkv_leader_changes_total{otel_scope_name=\"ReplicatedKv\"} 3 1733230000000\n" +
            "rkv_leader_changes_total_other 99\n";

        LeaderChangeCount.Parse(page).Should().Be(3);
        LeaderChangeCount.Parse("rkv_decided_slot 5\n").Should().Be(0, "no change counted yet");
        LeaderChangeCount.Between(new Dictionary<string, long> { ["n1"] = 1, ["n2"] = 1 }, new Dictionary<string, long> { ["n1"] = 1, ["n2"] = 3, ["n3"] = 9 })
            .Should().Be(2, "the most any node that answered both times counted; n3 was not read before");
        LeaderChangeCount.Between(new Dictionary<string, long>(), new Dictionary<string, long> { ["n1"] = 1 }).Should().BeNull();
    }

    private static FaultWindow Window(long start, long end, bool bounded) => new(1, "partition QuorumLoss", start * Ms, end * Ms, bounded);

    private static Operation Write(long at) => new(at, 0, "k", OperationKind.Set, "v" + at, null, (at - 10) * Ms, at * Ms, OperationOutcome.Ok);

    private static Operation Read(long at) => new(at, 0, "k", OperationKind.Get, null, null, (at - 10) * Ms, at * Ms, OperationOutcome.Ok);

    private static Operation Failed(long at) => new(at, 0, "k", OperationKind.Set, "f" + at, null, (at - 10) * Ms, at * Ms, OperationOutcome.Failed);
}
