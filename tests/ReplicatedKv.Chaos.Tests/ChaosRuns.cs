using System.Globalization;
using ReplicatedKv.Chaos.Scenarios;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>
/// Runs one scenario the way <c>rkv-chaos run</c> does. CHAOS_SECONDS sets how long faults are injected (default 60;
/// the crash-in-fsync run takes half); CHAOS_SEED fixes the seed (default: a new one per run, printed on failure
/// with the command that replays it); CHAOS_ARTIFACTS sets where runs keep their folders.
/// </summary>
internal static class ChaosRuns
{
    public static int Seconds => Environment.GetEnvironmentVariable("CHAOS_SECONDS") is { } text &&
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? seconds : 60;

    public static async Task<(RunReport Report, string Output)> RunAsync(ScenarioKind scenario, int seconds, int nodes = 3)
    {
        var options = new RunOptions
        {
            Scenario = scenario,
            Seconds = seconds,
            Nodes = nodes,
            ArtifactsRoot = Environment.GetEnvironmentVariable("CHAOS_ARTIFACTS") ?? Path.Combine(Path.GetTempPath(), "rkv-chaos-tests"),
        };
        if (Environment.GetEnvironmentVariable("CHAOS_SEED") is { } seed && int.TryParse(seed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var fixedSeed))
        {
            options = options with { Seed = fixedSeed };
        }

        using var output = new StringWriter(CultureInfo.InvariantCulture);
        var report = await ScenarioRunner.RunAsync(options, TextWriter.Synchronized(output), CancellationToken.None);
        return (report, output.ToString());
    }
}
