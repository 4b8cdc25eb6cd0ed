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
    public async Task Everything_reported_durable_survives_kill_minus_nine_across_rolls_and_compaction()
    {
        using var dir = new TempDirectory();
        var random = new Random(12345);
        long durable = 0, compacted = 0;
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var (reported, compactedThrough) = await RunAndKill(dir.Path, linesBeforeKill: random.Next(1, 60));
            durable = Math.Max(durable, reported);
            compacted = Math.Max(compacted, compactedThrough);

            await using var log = WalTestKit.Open(dir.Path, out var contents, segmentBytes: 32 * 1024);
            var slots = contents.Entries.Select(e => e.Slot).ToList();
            slots.Should().NotBeEmpty();
            slots.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
            (slots[^1] - slots[0] + 1).Should().Be(slots.Count, "no gap inside what is kept");
            slots[0].Should().BeLessThanOrEqualTo(compacted + 1, $"iteration {iteration}: nothing above the compaction point {compacted} may go");
            slots[^1].Should().BeGreaterThanOrEqualTo(durable, $"iteration {iteration}: {durable} was reported durable");
            foreach (var entry in contents.Entries)
            {
                entry.ShouldMatch(CrashEntries.For(entry.Slot));
            }

            contents.HardState.Should().Be(CrashEntries.HardStateAfter(slots[^1]), "the newest hard state survives every roll and compaction");
            durable = slots[^1];
        }

        durable.Should().BeGreaterThan(2000, "the harness made progress between kills, past a compaction");
        compacted.Should().BeGreaterThan(0);
    }

    /// <summary>Starts the harness, waits for some "durable N" lines, then SIGKILLs it mid-flight.</summary>
    private static async Task<(long Durable, long Compacted)> RunAndKill(string directory, int linesBeforeKill)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(HarnessPath());
        start.ArgumentList.Add(directory);
        using var process = Process.Start(start)!;
        long durable = 0, compacted = 0;
        var durableLines = 0;
        while (durableLines < linesBeforeKill && Track(await process.StandardOutput.ReadLineAsync(), ref durable, ref compacted))
        {
            durableLines++;
        }

        process.Kill(entireProcessTree: true);

        // Whatever the harness printed before it died was said before the kill: drain and count it too.
        while (Track(await process.StandardOutput.ReadLineAsync(), ref durable, ref compacted))
        {
        }

        await process.WaitForExitAsync();
        if (durable == 0)
        {
            throw new InvalidOperationException("harness reported nothing: " + await process.StandardError.ReadToEndAsync());
        }

        return (durable, compacted);
    }

    /// <summary>Reads one harness line; false at the end of its output.</summary>
    private static bool Track(string? line, ref long durable, ref long compacted)
    {
        if (line is null)
        {
            return false;
        }

        var parts = line.Split(' ');
        var value = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        if (parts[0] == "compacting")
        {
            compacted = Math.Max(compacted, value);
        }
        else
        {
            durable = Math.Max(durable, value);
        }

        return true;
    }

    private static string HarnessPath()
    {
        // The harness builds next to this project: .../tests/<project>/bin/<config>/<tfm>/.
        var testOutput = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var path = testOutput.Replace("ReplicatedKv.Storage.Tests", "ReplicatedKv.Storage.CrashHarness", StringComparison.Ordinal);
        return Path.Combine(path, "ReplicatedKv.Storage.CrashHarness.dll");
    }
}
