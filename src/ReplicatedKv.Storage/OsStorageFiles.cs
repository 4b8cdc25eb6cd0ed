using Microsoft.Win32.SafeHandles;

namespace ReplicatedKv.Storage;

/// <summary>The real disk: <see cref="RandomAccess"/> over <see cref="SafeFileHandle"/>, fdatasync and directory fsync through <see cref="FileSync"/>.</summary>
public sealed class OsStorageFiles : IStorageFiles
{
    private OsStorageFiles()
    {
    }

    public static OsStorageFiles Instance { get; } = new();

    /// <summary>
    /// What the log uses when no files are given: the real disk, wrapped in the failpoints when a build that
    /// carries them (see <c>Failpoints</c>) runs with RKV_FAILPOINTS set.
    /// </summary>
    internal static IStorageFiles Default { get; } =
#if RKV_FAULT_INJECTION
        Failpoints.Enabled ? Failpoints.Wrap(Instance) :
#endif
        Instance;

    public void CreateDirectory(string directory) => Directory.CreateDirectory(directory);

    public IReadOnlyList<string> List(string directory, string suffix)
    {
        // The ordinal suffix check drops what the wildcard lets through on some platforms ("*.wal" matching ".walx").
        var paths = Array.FindAll(Directory.GetFiles(directory, "*" + suffix), p => p.EndsWith(suffix, StringComparison.Ordinal));
        Array.Sort(paths, StringComparer.Ordinal);
        return paths;
    }

    public byte[] ReadAll(string path) => File.ReadAllBytes(path);

    public IStorageFile Create(string path) => new OsFile(path, File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite));

    public IStorageFile OpenExisting(string path) => new OsFile(path, File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite));

    public void Move(string source, string destination) => File.Move(source, destination, overwrite: true);

    public void Delete(string path) => File.Delete(path);

    public void SyncDirectory(string directory) => FileSync.SyncDirectory(directory);

    private sealed class OsFile(string path, SafeFileHandle handle) : IStorageFile
    {
        public string Path { get; } = path;

        public void Write(long offset, ReadOnlyMemory<byte> bytes) => RandomAccess.Write(handle, bytes.Span, offset);

        public void DataSync() => FileSync.DataSync(handle);

        public void SetLength(long length) => RandomAccess.SetLength(handle, length);

        public void Dispose() => handle.Dispose();
    }
}
