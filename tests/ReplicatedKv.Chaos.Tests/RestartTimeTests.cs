using ReplicatedKv.Chaos.Nemesis;

namespace ReplicatedKv.Chaos.Tests;

public sealed class RestartTimeTests
{
    [Fact]
    public void One_node_and_whole_cluster_restarts_are_reported_apart_with_median_and_worst()
    {
        RestartTime[] times =
        [
            new("kill", "n1", false, TimeSpan.FromSeconds(1.5)),
            new("kill", "n2", false, TimeSpan.FromSeconds(0.5)),
            new("kill", "n3", false, TimeSpan.FromSeconds(3)),
            new("restart-all", "n1", true, TimeSpan.FromSeconds(2)),
            new("restart-all", "n2", true, TimeSpan.FromSeconds(4)),
        ];

        RestartTime.Describe(times).Should().Be(
            "Restart to ready (process start to /readyz 200): one node p50 1.50 s, max 3.00 s (3); whole cluster p50 2.00 s, max 4.00 s (2)");
    }

    [Fact]
    public void No_restart_no_line() => RestartTime.Describe([]).Should().BeNull();

    [Fact]
    public void A_restart_all_plan_brings_the_whole_cluster_down_only_briefly()
    {
        var plans = NemesisSchedule.Plan([FaultKind.RestartAll], seed: 7, nodes: 3, TimeSpan.FromSeconds(60));

        plans.Should().NotBeEmpty().And.OnlyContain(p => p.Kind == FaultKind.RestartAll && p.Duration <= TimeSpan.FromSeconds(1));
        plans[0].ToString().Should().Contain("restart-all");
    }
}
