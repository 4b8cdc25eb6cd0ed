using System.Globalization;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>
/// How much the leader batches, from its Prometheus counters at the edges of a row's measured window: commands per
/// slot (rkv_applied_commands_total / rkv_applied_slots_total) and commands per fdatasync (rkv_wal_fsync_commands,
/// a histogram whose sum is commands and whose count is syncs). Batching is where a consensus log's throughput comes
/// from; these show it happens under the row's load.
/// </summary>
internal static class BatchingProbe
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>The counters of whichever member says it leads, or null when none answers as leader.</summary>
    public static async Task<IReadOnlyDictionary<string, double>?> LeaderCountersAsync(IEnumerable<string> adminUrls)
    {
        foreach (var url in adminUrls)
        {
            try
            {
                var counters = Parse(await Http.GetStringAsync(url + "/metrics").ConfigureAwait(false));
                if (counters.GetValueOrDefault("rkv_is_leader") == 1)
                {
                    return counters;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // A member that does not answer is not the one to read.
            }
        }

        return null;
    }

    /// <summary>Commands per slot and per fdatasync between two readings of the same leader (nulls when unknown).</summary>
    public static (double? PerSlot, double? PerSync) Between(IReadOnlyDictionary<string, double>? before, IReadOnlyDictionary<string, double>? after)
    {
        if (before is null || after is null)
        {
            return (null, null);
        }

        double Delta(string name) => after.GetValueOrDefault(name) - before.GetValueOrDefault(name);
        var commands = Delta("rkv_applied_commands_total");
        var slots = Delta("rkv_applied_slots_total");
        var syncs = Delta("rkv_wal_fsync_commands_count");
        var synced = Delta("rkv_wal_fsync_commands_sum");
        return (slots > 0 ? Math.Round(commands / slots, 1) : null, syncs > 0 ? Math.Round(synced / syncs, 1) : null);
    }

    private static Dictionary<string, double> Parse(string exposition)
    {
        var counters = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith("rkv_", StringComparison.Ordinal))
            {
                continue;
            }

            var nameEnd = line.IndexOfAny(['{', ' ']);
            var valueStart = line.LastIndexOf(' ');
            if (nameEnd > 0 && double.TryParse(line.AsSpan(valueStart + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                // Labelled series (a histogram's buckets) add up; the names read here are unlabelled or summed anyway.
                var name = line[..nameEnd];
                counters[name] = counters.GetValueOrDefault(name) + (name.EndsWith("_bucket", StringComparison.Ordinal) ? 0 : value);
            }
        }

        return counters;
    }
}
