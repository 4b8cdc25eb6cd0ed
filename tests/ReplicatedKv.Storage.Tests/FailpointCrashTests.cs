#if RKV_FAULT_INJECTION
using System.Diagnostics;
using System.Globalization;

namespace ReplicatedKv.Storage.Tests;

/// <summary>
/// The chaos harness's crash-in-fsync failpoint, on the storage crash harness: the armed process dies by SIGKILL
/// inside a log write, leaving a torn record that recovery cuts off, and everything it reported durable is kept.
/// Only where the failpoints are compiled in (every configuration but Release).
/// </summary>
public sealed class FailpointCrashTests
{
    [Fact]
    public async Task An_armed_wal_failpoint_kills_the_writer_mid_batch_and_recovery_keeps_what_was_durable()
    {
        using var dir = new TempDirectory();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(HarnessPath());
        start.ArgumentList.Add(dir.Path);
        start.Environment[Failpoints.EnvironmentVariable] = $"{Failpoints.WalCrashMidBatch}=after:40";
        using var process = Process.Start(start)!;
        long durable = 0;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("durable ", StringComparison.Ordinal))
            {
                durable = long.Parse(line["durable ".Length..], CultureInfo.InvariantCulture);
            }
        }

        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        process.ExitCode.Should().Be(128 + 9, "the failpoint ends the process with SIGKILL: " + await process.StandardError.ReadToEndAsync());
        durable.Should().BeGreaterThan(0);

        await using var log = WalTestKit.Open(dir.Path, out var contents, segmentBytes: 32 * 1024);
        contents.TruncatedBytes.Should().BeGreaterThan(0, "the crash landed inside a write and left a torn record");
        var slots = contents.Entries.Select(e => e.Slot).ToList();
        slots.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        slots[^1].Should().BeGreaterThanOrEqualTo(durable, "everything reported durable before the crash survives it");
    }

    private static string HarnessPath() =>
        Path.Combine(AppContext.BaseDirectory.Replace("ReplicatedKv.Storage.Tests", "ReplicatedKv.Storage.CrashHarness", StringComparison.Ordinal),
            "ReplicatedKv.Storage.CrashHarness.dll");
}
#endif
