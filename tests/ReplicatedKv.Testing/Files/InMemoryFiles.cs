using ReplicatedKv.Storage;

namespace ReplicatedKv.Testing.Files;

/// <summary>An operation of <see cref="IStorageFiles"/>, as <see cref="InMemoryFiles.Fault"/> is told it.</summary>
public enum FileOperation
{
    Create,
    OpenExisting,
    ReadAll,
    List,
    Write,
    DataSync,
    SetLength,
    Move,
    Delete,
    SyncDirectory,
}

/// <summary>
/// The in-memory twin of the storage file seam (<see cref="IStorageFiles"/>), with the faults a disk has: failed
/// writes and syncs, a full disk, a torn write, and a crash that loses whatever was not synced.
/// </summary>
/// <remarks>
/// <para>
/// Durability model (the contract of <see cref="IStorageFiles"/>): each file has the content writes gave it and the
/// content its last <see cref="IStorageFile.DataSync"/> saw; each folder has its current names and the names its last
/// <see cref="IStorageFiles.SyncDirectory"/> saw. <see cref="Crash()"/> puts both back to what was synced, as a power
/// cut would (a file whose creation was never made durable disappears; one deleted without a folder sync comes
/// back). Folders themselves are always durable. Files opened before a crash belong to the dead process: every
/// operation on them but Dispose throws <see cref="IOException"/>.
/// </para>
/// <para>
/// <see cref="Crash(Random)"/> is the harsher, seeded crash of a real page cache (InMemoryFiles.LazyCrash.cs): any
/// unsynced page and any unsynced folder change may or may not have reached the disk.
/// </para>
/// <para>Thread-safe (one lock), though the log it serves uses it from one thread.</para>
/// </remarks>
public sealed partial class InMemoryFiles : IStorageFiles
{
    /// <summary>The HResult .NET gives the <see cref="IOException"/> for ENOSPC on Linux (the raw errno).</summary>
    public const int DiskFullHResult = 28;

    /// <summary>The HResult .NET gives the <see cref="IOException"/> for EIO on Linux (the raw errno).</summary>
    public const int IoErrorHResult = 5;

    private readonly Lock _gate = new();
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
    private readonly Dictionary<FileOperation, int> _counts = [];
    private Dictionary<string, Node> _names = new(StringComparer.Ordinal);
    private Dictionary<string, Node> _durableNames = new(StringComparer.Ordinal);
    private int _generation;
    private int? _tearNextWriteAt;
    private int? _crashDuringNextWriteAt;

    /// <summary>While true, every write and file creation fails like a full disk (ENOSPC).</summary>
    public bool DiskFull { get; set; }

    /// <summary>While true, every write fails with an I/O error (EIO), storing nothing.</summary>
    public bool FailWrites { get; set; }

    /// <summary>While true, every fdatasync and folder fsync fails with an I/O error (EIO), making nothing durable.</summary>
    public bool FailSyncs { get; set; }

    /// <summary>
    /// Asked before every operation with the path it is on (the folder for List and SyncDirectory; the source for
    /// Move): a non-null result is thrown instead, and the operation has no effect.
    /// </summary>
    public Func<FileOperation, string, IOException?>? Fault { get; set; }

    /// <summary>Operations done so far, by kind (failed ones not counted).</summary>
    public IReadOnlyDictionary<FileOperation, int> Counts
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<FileOperation, int>(_counts);
            }
        }
    }

    /// <summary>An <see cref="IOException"/> like the one .NET throws on Linux when the disk is full.</summary>
    public static IOException DiskFullError(string path) => new($"No space left on device : '{path}'", DiskFullHResult);

    /// <summary>An <see cref="IOException"/> like a failing device's (EIO).</summary>
    public static IOException IoError(string path) => new($"Input/output error : '{path}'", IoErrorHResult);

    /// <summary>The next write stores only its first <paramref name="keepBytes"/> bytes, then fails with EIO (the process goes on).</summary>
    public void TearNextWrite(int keepBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepBytes);
        lock (_gate)
        {
            _tearNextWriteAt = keepBytes;
        }
    }

    /// <summary>
    /// The next write reaches the disk with only its first <paramref name="keepBytes"/> bytes, and the process dies
    /// right there: that file keeps everything written to it so far, the partial write included (a crash may well
    /// persist unsynced pages), everything else is put back as by <see cref="Crash()"/>, and the write throws
    /// <see cref="SimulatedCrashException"/>.
    /// </summary>
    public void CrashDuringNextWrite(int keepBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepBytes);
        lock (_gate)
        {
            _crashDuringNextWriteAt = keepBytes;
        }
    }

    /// <summary>A power cut: every file and folder goes back to what was last synced; files open until now are dead.</summary>
    public void Crash()
    {
        lock (_gate)
        {
            CrashLocked();
        }
    }

    /// <summary>True when a file exists under <paramref name="path"/> now.</summary>
    public bool Exists(string path)
    {
        lock (_gate)
        {
            return _names.ContainsKey(Normalize(path));
        }
    }

    /// <summary>Puts a file with <paramref name="bytes"/> in place, durably (name and content): for setting up a test.</summary>
    public void Put(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        lock (_gate)
        {
            path = Normalize(path);
            RequireDirectory(path);
            var node = new Node();
            node.Write(0, bytes);
            node.Sync();
            _names[path] = node;
            _durableNames[path] = node;
        }
    }

    public void CreateDirectory(string directory)
    {
        lock (_gate)
        {
            for (var d = Normalize(directory); !string.IsNullOrEmpty(d); d = Path.GetDirectoryName(d))
            {
                _directories.Add(d);
            }
        }
    }

    public IReadOnlyList<string> List(string directory, string suffix)
    {
        ArgumentNullException.ThrowIfNull(suffix);
        lock (_gate)
        {
            directory = Normalize(directory);
            Check(FileOperation.List, directory);
            if (!_directories.Contains(directory))
            {
                throw new DirectoryNotFoundException($"Could not find a part of the path '{directory}'.");
            }

            var paths = _names.Keys.Where(p => Path.GetDirectoryName(p) == directory && p.EndsWith(suffix, StringComparison.Ordinal)).ToList();
            paths.Sort(StringComparer.Ordinal);
            Count(FileOperation.List);
            return paths;
        }
    }

    public byte[] ReadAll(string path)
    {
        lock (_gate)
        {
            path = Normalize(path);
            Check(FileOperation.ReadAll, path);
            Count(FileOperation.ReadAll);
            return Existing(path).Content();
        }
    }

    public IStorageFile Create(string path)
    {
        lock (_gate)
        {
            path = Normalize(path);
            Check(FileOperation.Create, path);
            if (DiskFull)
            {
                throw DiskFullError(path);
            }

            RequireDirectory(path);
            if (_names.TryGetValue(path, out var node))
            {
                node.SetLength(0);
            }
            else
            {
                node = new Node();
                _names[path] = node;
                RecordName(path, node);
            }

            Count(FileOperation.Create);
            return new OpenFile(this, path, node, _generation);
        }
    }

    public IStorageFile OpenExisting(string path)
    {
        lock (_gate)
        {
            path = Normalize(path);
            Check(FileOperation.OpenExisting, path);
            var node = Existing(path);
            Count(FileOperation.OpenExisting);
            return new OpenFile(this, path, node, _generation);
        }
    }

    public void Move(string source, string destination)
    {
        lock (_gate)
        {
            source = Normalize(source);
            destination = Normalize(destination);
            Check(FileOperation.Move, source);
            var node = Existing(source);
            RequireDirectory(destination);
            _names.Remove(source);
            _names[destination] = node;
            RecordName(source, null);
            RecordName(destination, node);
            Count(FileOperation.Move);
        }
    }

    public void Delete(string path)
    {
        lock (_gate)
        {
            path = Normalize(path);
            Check(FileOperation.Delete, path);
            if (_names.Remove(path))
            {
                RecordName(path, null);
            }

            Count(FileOperation.Delete);
        }
    }

    public void SyncDirectory(string directory)
    {
        lock (_gate)
        {
            directory = Normalize(directory);
            Check(FileOperation.SyncDirectory, directory);
            if (FailSyncs)
            {
                throw IoError(directory);
            }

            foreach (var path in _durableNames.Keys.Where(p => Path.GetDirectoryName(p) == directory).ToList())
            {
                _durableNames.Remove(path);
            }

            foreach (var (path, node) in _names.Where(n => Path.GetDirectoryName(n.Key) == directory))
            {
                _durableNames[path] = node;
            }

            _unsyncedNames.RemoveAll(change => change.Directory == directory);

            Count(FileOperation.SyncDirectory);
        }
    }

    private static string Normalize(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
    }

    private void CrashLocked()
    {
        _generation++;
        _tearNextWriteAt = null;
        _crashDuringNextWriteAt = null;
        _names = new Dictionary<string, Node>(_durableNames, StringComparer.Ordinal);
        _unsyncedNames.Clear();
        foreach (var node in _names.Values.Distinct())
        {
            node.Revert();
        }
    }

    private void Check(FileOperation operation, string path)
    {
        if (Fault?.Invoke(operation, path) is { } fault)
        {
            throw fault;
        }
    }

    private void Count(FileOperation operation) => _counts[operation] = _counts.GetValueOrDefault(operation) + 1;

    private Node Existing(string path) =>
        _names.TryGetValue(path, out var node) ? node : throw new FileNotFoundException($"Could not find file '{path}'.", path);

    private void RequireDirectory(string path)
    {
        if (!_directories.Contains(Path.GetDirectoryName(path) ?? string.Empty))
        {
            throw new DirectoryNotFoundException($"Could not find a part of the path '{path}'.");
        }
    }

    private void Write(OpenFile file, long offset, ReadOnlyMemory<byte> bytes)
    {
        lock (_gate)
        {
            Alive(file);
            Check(FileOperation.Write, file.Path);
            if (DiskFull)
            {
                throw DiskFullError(file.Path);
            }

            if (FailWrites)
            {
                throw IoError(file.Path);
            }

            if (_crashDuringNextWriteAt is { } crashAt)
            {
                file.Node.Write(offset, bytes.Span[..Math.Min(crashAt, bytes.Length)]);
                file.Node.Sync();
                CrashLocked();
                throw new SimulatedCrashException($"simulated crash during a write to {file.Path}");
            }

            if (_tearNextWriteAt is { } tearAt)
            {
                _tearNextWriteAt = null;
                file.Node.Write(offset, bytes.Span[..Math.Min(tearAt, bytes.Length)]);
                throw new IOException($"torn write : '{file.Path}'", IoErrorHResult);
            }

            file.Node.Write(offset, bytes.Span);
            Count(FileOperation.Write);
        }
    }

    private void DataSync(OpenFile file)
    {
        lock (_gate)
        {
            Alive(file);
            Check(FileOperation.DataSync, file.Path);
            if (FailSyncs)
            {
                throw IoError(file.Path);
            }

            file.Node.Sync();
            Count(FileOperation.DataSync);
        }
    }

    private void SetLength(OpenFile file, long length)
    {
        lock (_gate)
        {
            Alive(file);
            Check(FileOperation.SetLength, file.Path);
            file.Node.SetLength(length);
            Count(FileOperation.SetLength);
        }
    }

    private void Alive(OpenFile file)
    {
        ObjectDisposedException.ThrowIf(file.Disposed, file);
        if (file.Generation != _generation)
        {
            throw new IOException($"{file.Path} was opened by a process that crashed", IoErrorHResult);
        }
    }

    /// <summary>A file's content (an inode): what writes made it, and what the last sync saw.</summary>
    private sealed partial class Node
    {
        private byte[] _data = [];
        private int _length;
        private byte[] _durable = [];

        public byte[] Content() => _data.AsSpan(0, _length).ToArray();

        public void Write(long offset, ReadOnlySpan<byte> bytes)
        {
            _unsynced.Add(new Change(offset, bytes.ToArray()));
            Apply(offset, bytes);
        }

        private void Apply(long offset, ReadOnlySpan<byte> bytes)
        {
            var end = checked((int)offset + bytes.Length);
            Grow(end);
            bytes.CopyTo(_data.AsSpan((int)offset));
            _length = Math.Max(_length, end);
        }

        public void SetLength(long length)
        {
            _unsynced.Add(new Change(length, null));
            Cut(length);
        }

        private void Cut(long length)
        {
            var target = checked((int)length);
            Grow(target);
            if (target < _length)
            {
                _data.AsSpan(target, _length - target).Clear();
            }

            _length = target;
        }

        public void Sync()
        {
            _durable = Content();
            _unsynced.Clear();
        }

        public void Revert()
        {
            _data = (byte[])_durable.Clone();
            _length = _data.Length;
            _unsynced.Clear();
        }

        private void Grow(int size)
        {
            if (size > _data.Length)
            {
                Array.Resize(ref _data, Math.Max(size, _data.Length * 2));
            }
        }
    }

    private sealed class OpenFile(InMemoryFiles files, string path, Node node, int generation) : IStorageFile
    {
        public string Path { get; } = path;

        public Node Node { get; } = node;

        public int Generation { get; } = generation;

        public bool Disposed { get; private set; }

        public void Write(long offset, ReadOnlyMemory<byte> bytes) => files.Write(this, offset, bytes);

        public void DataSync() => files.DataSync(this);

        public void SetLength(long length) => files.SetLength(this, length);

        public void Dispose() => Disposed = true;
    }
}

/// <summary>Thrown by <see cref="InMemoryFiles"/> where the simulated process died; the code under test must not survive it.</summary>
public sealed class SimulatedCrashException : Exception
{
    public SimulatedCrashException()
    {
    }

    public SimulatedCrashException(string message)
        : base(message)
    {
    }

    public SimulatedCrashException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
