using System.Diagnostics;

namespace ReplicatedKv.LocalCluster.Tests;

/// <summary>Whether a PID the launcher reported is still a running rkv-server.</summary>
internal static class ServerProcesses
{
    public static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited)
            {
                return false;
            }
        }
        catch (ArgumentException)
        {
            return false;
        }

        // A zombie has an empty command line, and a reused PID another one: only a live rkv-server counts.
        var cmdline = $"/proc/{pid}/cmdline";
        return !File.Exists(cmdline) || File.ReadAllText(cmdline).Contains("rkv-server", StringComparison.Ordinal);
    }
}
