using System.Runtime.InteropServices;

namespace ReplicatedKv.Testing.Processes;

/// <summary>
/// kill(2), for the signals .NET has no API for: SIGSTOP and SIGCONT freeze and thaw a node in place, and SIGINT
/// is what Ctrl-C sends.
/// </summary>
public static partial class PosixSignals
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigCont = 18;
    public const int SigStop = 19;

    /// <summary>False when the process is already gone (errno in <see cref="Marshal.GetLastPInvokeError"/>).</summary>
    public static bool Send(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>True while a process with this id exists (signal 0 checks without sending).</summary>
    public static bool IsAlive(int pid) => pid > 0 && kill(pid, 0) == 0;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
