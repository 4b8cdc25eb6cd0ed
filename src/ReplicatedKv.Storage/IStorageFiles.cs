namespace ReplicatedKv.Storage;

/// <summary>
/// The file operations the write-ahead log performs, and nothing more: the seam through which tests substitute
/// a twin that fails writes or syncs, tears a write, reports a full disk or loses unsynced data at a simulated
/// crash (tests/ReplicatedKv.Testing/Files). <see cref="OsStorageFiles"/> is the real disk. Paths are absolute
/// or relative to the working directory, as with <see cref="File"/>. Failures are <see cref="IOException"/>s
/// (a full disk carries the ENOSPC HResult, 28 on Linux); the log turns them into
/// <see cref="StorageUnavailableException"/>.
/// </summary>
/// <remarks>
/// Durability contract, which the twin models: what <see cref="IStorageFile.Write"/> puts in a file survives a
/// crash only after <see cref="IStorageFile.DataSync"/> of that file; creating, renaming or deleting a file
/// survives a crash only after <see cref="SyncDirectory"/> of its folder.
/// </remarks>
public interface IStorageFiles
{
    /// <summary>Creates the folder (and its parents) when missing.</summary>
    void CreateDirectory(string directory);

    /// <summary>Full paths of the files directly in <paramref name="directory"/> whose name ends with <paramref name="suffix"/>, in ordinal order.</summary>
    IReadOnlyList<string> List(string directory, string suffix);

    /// <summary>The whole content of a file; <see cref="FileNotFoundException"/> when there is none.</summary>
    byte[] ReadAll(string path);

    /// <summary>Creates the file, or empties it when it exists, and opens it for reading and writing.</summary>
    IStorageFile Create(string path);

    /// <summary>Opens an existing file for reading and writing; <see cref="FileNotFoundException"/> when there is none.</summary>
    IStorageFile OpenExisting(string path);

    /// <summary>Renames <paramref name="source"/> to <paramref name="destination"/>, replacing what is there.</summary>
    void Move(string source, string destination);

    /// <summary>Deletes the file; nothing happens when there is none.</summary>
    void Delete(string path);

    /// <summary>Makes the creations, renames and deletions in <paramref name="directory"/> durable (fsync of the folder).</summary>
    void SyncDirectory(string directory);
}

/// <summary>An open file of <see cref="IStorageFiles"/>. Used by one thread at a time.</summary>
public interface IStorageFile : IDisposable
{
    string Path { get; }

    /// <summary>Writes all of <paramref name="bytes"/> at <paramref name="offset"/>, growing the file as needed. Not durable until <see cref="DataSync"/>.</summary>
    void Write(long offset, ReadOnlyMemory<byte> bytes);

    /// <summary>fdatasync: everything written to this file so far is durable when this returns.</summary>
    void DataSync();

    /// <summary>Cuts the file to (or extends it with zeros to) <paramref name="length"/> bytes.</summary>
    void SetLength(long length);
}
