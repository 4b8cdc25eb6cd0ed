using System.Diagnostics;
using System.Globalization;
using ReplicatedKv.Testing.Checking;
using Xunit.Abstractions;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>
/// Reports how fast a run-sized history checks (see the test output); asserts only the verdicts, never the time,
/// because this machine is shared. Run with <c>--logger "console;verbosity=detailed"</c> to see the figures.
/// </summary>
public sealed class CheckingSpeedReport(ITestOutputHelper output)
{
    [Fact]
    public void A_run_sized_history_checks_and_reports_its_speed()
    {
        var settings = new HistoryGenerator.Settings(Seed: 7, Operations: 50_000, Keys: 100, Clients: 20, UnknownRate: 0.02, FailedRate: 0.01);
        var history = new HistoryGenerator(settings).Generate();

        var (result, elapsed) = Timed(() => LinearizabilityChecker.Check(history));
        result.IsLinearizable.Should().BeTrue();
        Report("linearizable", history.Count, elapsed);

        var (broken, staleRead) = HistoryMutation.MakeOneReadStale(history, new Random(7))!.Value;
        var (brokenResult, brokenElapsed) = Timed(() => LinearizabilityChecker.Check(broken));
        brokenResult.Violations.Should().ContainSingle().Which.Key.Should().Be(staleRead.Key);
        Report("one stale read", broken.Count, brokenElapsed);
        output.WriteLine(brokenResult.Violations[0].Explanation);
    }

    private static (LinearizabilityResult Result, TimeSpan Elapsed) Timed(Func<LinearizabilityResult> check)
    {
        var stopwatch = Stopwatch.StartNew();
        var result = check();
        return (result, stopwatch.Elapsed);
    }

    private void Report(string what, int operations, TimeSpan elapsed) =>
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{what}: {operations} operations in {elapsed.TotalMilliseconds:F0} ms = {operations / elapsed.TotalSeconds:F0} ops/s"));
}
