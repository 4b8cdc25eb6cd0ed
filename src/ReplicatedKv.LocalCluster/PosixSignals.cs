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

    /// <summary>
    /// Gives SIGINT back its default disposition when the launcher inherited it ignored (a background job of a
    /// script starts that way), so that <c>kill -INT</c> on the pid it prints stops the cluster as Ctrl-C does.
    /// .NET installs its handler only for a signal that is not ignored when it first sets up signal handling (on the
    /// first use of Console, Process or PosixSignalRegistration), so this must run before any of those.
    /// </summary>
    public static void UnignoreInterrupt()
    {
        if (!OperatingSystem.IsWindows())
        {
            signal(SigInt, SigDfl);
        }
    }

    private const int SigInt = 2;
    private static readonly nint SigDfl = 0;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint signal(int signum, nint handler);
}
