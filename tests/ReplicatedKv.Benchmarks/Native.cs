using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ReplicatedKv.Benchmarks;

/// <summary>
/// fdatasync for the raw-disk baselines, the same call the write-ahead log makes (its own wrapper is
/// internal to ReplicatedKv.Storage). Off Linux it falls back to <see cref="RandomAccess.FlushToDisk"/>, as the log does.
/// </summary>
internal static partial class Native
{
    public static void DataSync(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }

        if (fdatasync((int)handle.DangerousGetHandle()) != 0)
        {
            throw new IOException($"fdatasync failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(int fd);
}
