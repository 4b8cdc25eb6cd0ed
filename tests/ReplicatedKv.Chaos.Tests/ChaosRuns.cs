using System.Globalization;
using ReplicatedKv.Chaos.Cluster;
using ReplicatedKv.Chaos.Scenarios;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>
/// Runs one scenario the way <c>rkv-chaos run</c> does. CHAOS_SECONDS sets how long faults are injected (default 60;
/// the crash-in-fsync run takes half); CHAOS_SEED fixes the seed (default: a new one per run, printed on failure
/// with the command that replays it); CHAOS_ARTIFACTS sets where runs keep their folders (default: the temp folder,
/// one folder per user, where a run that passed leaves nothing; a failed one keeps its folder for a person to look at).
/// </summary>
internal static class ChaosRuns
{
    public static int Seconds => Environment.GetEnvironmentVariable("CHAOS_SECONDS") is { } text &&
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? seconds : 60;

    public static string ArtifactsRoot => Environment.GetEnvironmentVariable("CHAOS_ARTIFACTS") ?? Path.Combine(Path.GetTempPath(), "rkv-chaos-tests-" + Environment.UserName);

    public static async Task<(RunReport Report, string Output)> RunAsync(ScenarioKind scenario, int seconds, int nodes = 3, NetworkChoice network = NetworkChoice.Auto)
    {
        var options = new RunOptions
        {
            Scenario = scenario,
            Seconds = seconds,
            Nodes = nodes,
            Network = network,
            ArtifactsRoot = ArtifactsRoot,
        };
        if (Environment.GetEnvironmentVariable("CHAOS_SEED") is { } seed && int.TryParse(seed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var fixedSeed))
        {
            options = options with { Seed = fixedSeed };
        }

        using var output = new StringWriter(CultureInfo.InvariantCulture);
        var report = await ScenarioRunner.RunAsync(options, TextWriter.Synchronized(output), CancellationToken.None);
        if (report.Passed)
        {
            Remove(report);
        }

        return (report, output.ToString());
    }

    /// <summary>
    /// Deletes a run's folder, and the root too once it is empty. A passed run's summary is in the test's output
    /// already; in the temp folder it would only pile up.
    /// </summary>
    public static void Remove(RunReport report)
    {
        Directory.Delete(report.ArtifactsPath, recursive: true);
        try
        {
            Directory.Delete(report.Options.ArtifactsRoot);
        }
        catch (IOException)
        {
            // Other runs' folders are still in it.
        }
    }
}
