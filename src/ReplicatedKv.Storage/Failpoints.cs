#if RKV_FAULT_INJECTION
using System.Globalization;
using System.Runtime.InteropServices;

namespace ReplicatedKv.Storage;

/// <summary>
/// Test-only crash points, in the spirit of etcd's gofail, for the chaos harness (tests/ReplicatedKv.Chaos). Off
/// unless the process starts with <c>RKV_FAILPOINTS</c> set (any value; <c>on</c> just enables them). Once enabled,
/// <c>wal-crash-mid-batch=after:N</c> (in the variable, or armed later with <see cref="Arm"/>, which rkv-server
/// exposes on its admin port) makes the Nth log write from then on put only part of its bytes in the segment file
/// and SIGKILL the process before the fsync: a crash that lands inside a log write. Never set it in production.
/// </summary>
/// <remarks>
/// Compiled only where <c>RKV_FAULT_INJECTION</c> is defined: every configuration but Release (Directory.Build.props),
/// so the Debug builds the chaos runs start carry it, and the Release binaries, among them the deploy/Dockerfile
/// image (it publishes Release), contain no such type and no admin route to arm it. It works as a decorator over the
/// log's file seam (<see cref="Wrap"/>, chosen by <see cref="OsStorageFiles.Default"/>), not as a check in the log.
/// </remarks>
public static partial class Failpoints
{
    public const string EnvironmentVariable = "RKV_FAILPOINTS";

    public const string WalCrashMidBatch = "wal-crash-mid-batch";

    private const int SigKill = 9;

    /// <summary>Read once at start. While false (always, outside tests) the log's check is a constant the JIT removes.</summary>
    public static readonly bool Enabled = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EnvironmentVariable));

    // Log writes left until the crash; 0 = disarmed. Counted down by the log's single writer, armed from the admin route.
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

    /// <summary>The files the log writes through, with the crash points in the segment appends.</summary>
    internal static IStorageFiles Wrap(IStorageFiles inner) => new FailpointFiles(inner);

    /// <summary>
    /// Writes about the first half of <paramref name="bytes"/> (whole frames) at <paramref name="offset"/>, moved
    /// off a frame boundary so one record is torn, then SIGKILLs this process: no fsync, no cleanup, no return.
    /// </summary>
    internal static void CrashMidWrite(IStorageFile file, ReadOnlyMemory<byte> bytes, long offset)
    {
        var all = bytes.ToArray();
        file.Write(offset, all.AsMemory(0, TornLength(all)));
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

    /// <summary>Passes everything through; appends to a segment (<c>*.wal</c>, not a segment being created) count towards the armed crash.</summary>
    private sealed class FailpointFiles(IStorageFiles inner) : IStorageFiles
    {
        public void CreateDirectory(string directory) => inner.CreateDirectory(directory);

        public IReadOnlyList<string> List(string directory, string suffix) => inner.List(directory, suffix);

        public byte[] ReadAll(string path) => inner.ReadAll(path);

        public IStorageFile Create(string path) => Watch(inner.Create(path));

        public IStorageFile OpenExisting(string path) => Watch(inner.OpenExisting(path));

        public void Move(string source, string destination) => inner.Move(source, destination);

        public void Delete(string path) => inner.Delete(path);

        public void SyncDirectory(string directory) => inner.SyncDirectory(directory);

        private static IStorageFile Watch(IStorageFile file) =>
            file.Path.EndsWith(".wal", StringComparison.Ordinal) ? new FailpointFile(file) : file;
    }

    private sealed class FailpointFile(IStorageFile inner) : IStorageFile
    {
        public string Path => inner.Path;

        public void Write(long offset, ReadOnlyMemory<byte> bytes)
        {
            if (CrashesThisWalWrite())
            {
                CrashMidWrite(inner, bytes, offset);
            }

            inner.Write(offset, bytes);
        }

        public void DataSync() => inner.DataSync();

        public void SetLength(long length) => inner.SetLength(length);

        public void Dispose() => inner.Dispose();
    }
}
#endif
