using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ReplicatedKv.Storage;

/// <summary>
/// Test-only crash points, in the spirit of etcd's gofail, for the chaos harness (tests/ReplicatedKv.Chaos). Off
/// unless the process starts with <c>RKV_FAILPOINTS</c> set (any value; <c>on</c> just enables them). Once enabled,
/// <c>wal-crash-mid-batch=after:N</c> (in the variable, or armed later with <see cref="Arm"/>, which rkv-server
/// exposes on its admin port) makes the Nth log write from then on put only part of its bytes in the segment file
/// and SIGKILL the process before the fsync: a crash that lands inside a group commit. Never set it in production.
/// </summary>
public static partial class Failpoints
{
    public const string EnvironmentVariable = "RKV_FAILPOINTS";

    public const string WalCrashMidBatch = "wal-crash-mid-batch";

    private const int SigKill = 9;

    /// <summary>Read once at start. While false (always, outside tests) the log's check is a constant the JIT removes.</summary>
    public static readonly bool Enabled = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EnvironmentVariable));

    // Log writes left until the crash; 0 = disarmed. Counted down by the single flusher.
    private static int _walWritesUntilCrash = Enabled ? ArmedAtStart(Environment.GetEnvironmentVariable(EnvironmentVariable)!) : 0;

    /// <summary>
    /// Arms <paramref name="name"/> with <paramref name="spec"/> (<c>after:N</c>, N ≥ 1, or <c>off</c>). Throws
    /// <see cref="InvalidOperationException"/> when failpoints are not enabled and <see cref="FormatException"/>
    /// for an unknown name or spec.
    /// </summary>
    public static void Arm(string name, string spec)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(spec);
        if (!Enabled)
        {
            throw new InvalidOperationException($"failpoints are off; start the process with {EnvironmentVariable} set");
        }

        Volatile.Write(ref _walWritesUntilCrash, Parse(name, spec));
    }

    /// <summary>True when this log write is the one the armed failpoint crashes in.</summary>
    internal static bool CrashesThisWalWrite()
    {
        var left = Volatile.Read(ref _walWritesUntilCrash);
        return left > 0 && Interlocked.Decrement(ref _walWritesUntilCrash) == 0;
    }

    /// <summary>
    /// Writes about the first half of <paramref name="buffers"/> (whole frames) at <paramref name="offset"/>, moved
    /// off a frame boundary so one record is torn, then SIGKILLs this process: no fsync, no cleanup, no return.
    /// </summary>
    internal static void CrashMidWrite(SafeFileHandle file, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long offset)
    {
        var bytes = new List<byte>();
        foreach (var buffer in buffers)
        {
            bytes.AddRange(buffer.Span);
        }

        var all = bytes.ToArray();
        RandomAccess.Write(file, all.AsSpan(0, TornLength(all)), offset);
        _ = NativeMethods.kill(Environment.ProcessId, SigKill);

        // SIGKILL cannot be caught; this only runs where there is no kill(2).
        Environment.FailFast($"{WalCrashMidBatch} failpoint");
    }

    // Half the bytes, plus one when that is exactly where a frame starts: every frame has a 9-byte header, so the
    // result always ends inside a frame, and recovery must find and cut a torn record.
    private static int TornLength(byte[] frames)
    {
        var half = Math.Max(1, frames.Length / 2);
        var position = 0;
        while (position < half)
        {
            var size = WalFormat.TryReadFrame(frames.AsSpan(position), out _, out _);
            if (size == 0)
            {
                return half;
            }

            position += size;
        }

        return position == half ? half + 1 : half;
    }

    // "on" enables without arming; "name=spec" pairs separated by ';' arm at start.
    private static int ArmedAtStart(string value)
    {
        var writes = 0;
        foreach (var pair in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (pair.Equals("on", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            writes = eq < 0 ? throw new FormatException($"{EnvironmentVariable}: '{pair}' is not name=spec") : Parse(pair[..eq], pair[(eq + 1)..]);
        }

        return writes;
    }

    private static int Parse(string name, string spec)
    {
        if (name.Trim() != WalCrashMidBatch)
        {
            throw new FormatException($"unknown failpoint '{name}' (known: {WalCrashMidBatch})");
        }

        spec = spec.Trim();
        if (spec.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return 0;
        }

        return spec.StartsWith("after:", StringComparison.Ordinal) &&
            int.TryParse(spec.AsSpan("after:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
            ? n
            : throw new FormatException($"failpoint spec '{spec}' is not after:N (N >= 1) or off");
    }

    private static partial class NativeMethods
    {
        [LibraryImport("libc", SetLastError = true)]
        internal static partial int kill(int pid, int signal);
    }
}
