using ReplicatedKv.Chaos.Cluster;
using ReplicatedKv.Chaos.Nemesis;
using ReplicatedKv.Chaos.Scenarios;
using Xunit.Abstractions;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>
/// The checks are only worth something if they can fail. These runs lose acknowledged writes for real, on the real
/// path: a node's data directory is deleted and it is restarted with <c>--initial-cluster-state new</c>, which README
/// calls unsafe on a lost disk, while the only nodes that saw the latest writes are down (see
/// <see cref="ScenarioKind.LostDiskUnsafe"/>). The history of the run itself is fine; reading every key back must
/// expose the lost writes as linearizability violations, and the run must fail.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class HarnessCanFailTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Writes_lost_with_a_wiped_disk_and_the_unsafe_setting_fail_the_durability_check()
    {
        var (report, text) = await ChaosRuns.RunAsync(ScenarioKind.LostDiskUnsafe, seconds: 10);

        await ShouldHaveCaughtTheLostWritesAsync(report, text);
    }

    /// <summary>
    /// The same lost writes, with the minority kept from them by a partition instead of SIGSTOP: if the partition
    /// let anything through, the minority would hold the writes, the new majority would recover them, and the run
    /// would pass. Proxies (no root) must catch what namespaces catch.
    /// </summary>
    [Theory]
    [InlineData("proxies")]
    [NamespacesData]
    public async Task Writes_a_partition_kept_from_the_minority_are_lost_with_the_unsafe_setting_and_the_durability_check_fails(string network)
    {
        var choice = network == "namespaces" ? NetworkChoice.Namespaces : NetworkChoice.Proxies;

        var (report, text) = await ChaosRuns.RunAsync(ScenarioKind.LostDiskUnsafePartition, seconds: 10, network: choice);

        report.Network.Should().StartWith(network == "namespaces" ? "network namespaces" : "loopback 127.0.0.1 with a TCP proxy");
        report.Faults.Of(FaultKind.Partition).Should().Be(1, "the minority was cut off by a partition" + Environment.NewLine + text);
        report.Faults.Of(FaultKind.Pause).Should().Be(0, "not frozen");
        await ShouldHaveCaughtTheLostWritesAsync(report, text);
    }

    [Fact]
    public async Task A_partition_run_on_plain_loopback_fails_and_says_why()
    {
        var options = new RunOptions
        {
            Scenario = ScenarioKind.Partition,
            Seconds = 5,
            Network = NetworkChoice.Loopback,
            ArtifactsRoot = ChaosRuns.ArtifactsRoot,
        };
        using var text = new StringWriter();

        var report = await ScenarioRunner.RunAsync(options, text, CancellationToken.None);

        report.Passed.Should().BeFalse();
        report.Problems.Should().ContainSingle().Which.Should().Contain("needs partitions").And.Contain("--loopback");
        text.ToString().Should().Contain("FAIL");
        ChaosRuns.Remove(report);
    }

    private async Task ShouldHaveCaughtTheLostWritesAsync(RunReport report, string text)
    {
        output.WriteLine(text);
        var because = Environment.NewLine + text;

        (await Leftovers.OfAsync(report)).Should().BeEmpty(because);
        report.Problems.Should().BeEmpty(because);
        report.Linearizability.Should().NotBeNull(because);
        report.Linearizability!.IsLinearizable.Should().BeTrue("nothing was lost before the disk was" + because);
        report.Durability.Should().NotBeNull(because);
        report.Durability!.Violations.Should().NotBeEmpty("the writes acknowledged while the minority was cut off are gone" + because);
        report.Passed.Should().BeFalse(because);
        text.Should().Contain($"replay the schedule: dotnet run --project tests/ReplicatedKv.Chaos -- run --scenario {report.Options.Scenario.Name()}");
        File.Exists(Path.Combine(report.ArtifactsPath, "history.jsonl")).Should().BeTrue("a failed run keeps its history");

        // A failed run keeps everything for a person to look at; this one failed on purpose.
        ChaosRuns.Remove(report);
    }
}
