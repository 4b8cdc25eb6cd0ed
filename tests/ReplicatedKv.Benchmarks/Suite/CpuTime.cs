using System.Globalization;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>
/// A process's CPU time (user + system) from /proc/PID/stat (Linux only). CPU per operation does not depend on how
/// busy the rest of the machine is the way ops/s and latency do, so it is the figure to compare before and after a
/// change on a shared 2-core machine.
/// </summary>
internal static class CpuTime
{
    /// <summary>Clock ticks per second of utime/stime (USER_HZ): 100 on every Linux this runs on.</summary>
    private const double TicksPerSecond = 100.0;

    /// <summary>Milliseconds of CPU the process has used so far, or null when it is gone or there is no /proc.</summary>
    public static double? Milliseconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");

            // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
            var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
            return (utime + stime) * 1000.0 / TicksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Every process's CPU milliseconds now, in order (null where unreadable).</summary>
    public static double?[] Sample(IReadOnlyList<int> pids) => pids.Select(Milliseconds).ToArray();

    /// <summary>CPU milliseconds per 1,000 operations between two samples, per process.</summary>
    public static double?[] PerThousandOps(double?[] before, double?[] after, long operations) =>
        before.Zip(after, (b, a) => b is { } x && a is { } y && operations > 0 ? Math.Round((y - x) * 1000.0 / operations, 1) : (double?)null).ToArray();
}
