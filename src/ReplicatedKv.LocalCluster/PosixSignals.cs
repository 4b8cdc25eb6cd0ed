using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ReplicatedKv.LocalCluster;

/// <summary>
/// Sends SIGTERM, which .NET has no API for (<see cref="Process.Kill()"/> is SIGKILL: no drain, no clean exit).
/// </summary>
internal static partial class PosixSignals
{
    private const int SigTerm = 15;

    /// <summary>Asks the process to stop gracefully; false if it is already gone.</summary>
    public static bool Terminate(Process process)
    {
        if (OperatingSystem.IsWindows())
        {
            // No SIGTERM on Windows and no console to share with a detached child: killing is all there is.
            process.Kill();
            return true;
        }

        return kill(process.Id, SigTerm) == 0;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
