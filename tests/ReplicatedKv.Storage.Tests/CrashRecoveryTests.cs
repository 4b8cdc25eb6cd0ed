using System.Diagnostics;

using ReplicatedKv.Storage.CrashHarness;

namespace ReplicatedKv.Storage.Tests;

/// <summary>
/// A child process appends and syncs while the test kills it with SIGKILL at arbitrary moments; after each
/// recovery, every entry it reported durable is there, intact, in order. STORAGE_CRASH_ITERATIONS raises the count.
/// </summary>
public sealed class CrashRecoveryTests
{
    private static readonly int Iterations =
        int.TryParse(Environment.GetEnvironmentVariable("STORAGE_CRASH_ITERATIONS"), out var n) ? n : 20;

    [Fact]
    public async Task Everything_reported_durable_survives_kill_minus_nine()
    {
        using var dir = new TempDirectory();
        var random = new Random(12345);
        long durable = 0;
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var reported = await RunAndKill(dir.Path, linesBeforeKill: random.Next(1, 60));
            durable = Math.Max(durable, reported);

            await using var log = WalTestKit.Open(dir.Path, out var contents, segmentBytes: 32 * 1024);
            contents.Entries.Count.Should().BeGreaterThanOrEqualTo((int)durable, $"iteration {iteration}: {durable} were reported durable");
            for (var i = 0; i < contents.Entries.Count; i++)
            {
                contents.Entries[i].ShouldMatch(CrashEntries.For(i + 1));
            }

            durable = Math.Max(durable, contents.Entries.Count);
        }

        durable.Should().BeGreaterThan(Iterations, "the harness made progress between kills");
    }

    /// <summary>Starts the harness, waits for some "durable N" lines, then SIGKILLs it mid-flight.</summary>
    private static async Task<long> RunAndKill(string directory, int linesBeforeKill)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(HarnessPath());
        start.ArgumentList.Add(directory);
        using var process = Process.Start(start)!;
        long last = 0;
        for (var lines = 0; lines < linesBeforeKill; lines++)
        {
            var line = await process.StandardOutput.ReadLineAsync();
            if (line is null)
            {
                throw new InvalidOperationException("harness exited early: " + await process.StandardError.ReadToEndAsync());
            }

            last = long.Parse(line.AsSpan("durable ".Length), System.Globalization.CultureInfo.InvariantCulture);
        }

        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        return last;
    }

    private static string HarnessPath()
    {
        // The harness builds next to this project: .../tests/<project>/bin/<config>/<tfm>/.
        var testOutput = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var path = testOutput.Replace("ReplicatedKv.Storage.Tests", "ReplicatedKv.Storage.CrashHarness", StringComparison.Ordinal);
        return Path.Combine(path, "ReplicatedKv.Storage.CrashHarness.dll");
    }
}
