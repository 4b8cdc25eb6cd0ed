using ReplicatedKv.Chaos.Scenarios;
using Xunit.Abstractions;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>
/// The checks are only worth something if they can fail. This run loses acknowledged writes for real, on the real
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
        output.WriteLine(text);
        var because = Environment.NewLine + text;

        (await Leftovers.OfAsync(report)).Should().BeEmpty(because);
        report.Problems.Should().BeEmpty(because);
        report.Linearizability.Should().NotBeNull(because);
        report.Linearizability!.IsLinearizable.Should().BeTrue("nothing was lost before the disk was" + because);
        report.Durability.Should().NotBeNull(because);
        report.Durability!.Violations.Should().NotBeEmpty("the writes acknowledged while the survivors were frozen are gone" + because);
        report.Passed.Should().BeFalse(because);
        text.Should().Contain("replay the schedule: dotnet run --project tests/ReplicatedKv.Chaos -- run --scenario lost-disk-unsafe");
        File.Exists(Path.Combine(report.ArtifactsPath, "history.jsonl")).Should().BeTrue("a failed run keeps its history");

        // A failed run keeps everything for a person to look at; this one failed on purpose.
        Directory.Delete(report.ArtifactsPath, recursive: true);
    }

    [Fact]
    public async Task A_partition_run_that_cannot_make_namespaces_fails_and_says_why()
    {
        var options = new RunOptions
        {
            Scenario = ScenarioKind.Partition,
            Seconds = 5,
            Loopback = true,
            ArtifactsRoot = Path.Combine(Path.GetTempPath(), "rkv-chaos-tests"),
        };
        using var text = new StringWriter();

        var report = await ScenarioRunner.RunAsync(options, text, CancellationToken.None);

        report.Passed.Should().BeFalse();
        report.Problems.Should().ContainSingle().Which.Should().Contain("needs network namespaces").And.Contain("--loopback");
        text.ToString().Should().Contain("FAIL");
        Directory.Delete(report.ArtifactsPath, recursive: true);
    }
}
