using System.Globalization;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>A process's resident memory, from VmRSS in /proc/PID/status (Linux only).</summary>
internal static class ResidentMemory
{
    /// <summary>Megabytes (MiB) resident, or null when the process is gone or there is no /proc.</summary>
    public static double? Megabytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kilobytes = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            return kilobytes is null ? null : long.Parse(kilobytes, CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
