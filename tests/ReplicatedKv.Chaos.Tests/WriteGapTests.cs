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

    private static FaultWindow Window(long start, long end, bool bounded) => new(1, "partition QuorumLoss", start * Ms, end * Ms, bounded);

    private static Operation Write(long at) => new(at, 0, "k", OperationKind.Set, "v" + at, null, (at - 10) * Ms, at * Ms, OperationOutcome.Ok);

    private static Operation Read(long at) => new(at, 0, "k", OperationKind.Get, null, null, (at - 10) * Ms, at * Ms, OperationOutcome.Ok);

    private static Operation Failed(long at) => new(at, 0, "k", OperationKind.Set, "f" + at, null, (at - 10) * Ms, at * Ms, OperationOutcome.Failed);
}
