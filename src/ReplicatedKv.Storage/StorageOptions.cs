namespace ReplicatedKv.Storage;

/// <summary>Where a node keeps its durable state, and how much of it.</summary>
public sealed record StorageOptions
{
    /// <summary>The node's data directory: <c>wal/</c> and <c>snap/</c> live under it.</summary>
    public required string DataDirectory { get; init; }

    public long SegmentBytes { get; init; } = 64L << 20;

    /// <summary>Passed to the log: told the duration and size of each fsync of appended records.</summary>
    public IWalSyncObserver? SyncObserver { get; init; }

    /// <summary>Snapshots kept on disk; older ones are deleted after each new one.</summary>
    public int SnapshotsToKeep { get; init; } = 2;

    /// <summary>A snapshot is due once this many entries were logged since the last one (0 disables the count).</summary>
    public long SnapshotEveryEntries { get; init; } = 100_000;

    /// <summary>A snapshot is due once this many log bytes were written since the last one (0 disables the size).</summary>
    public long SnapshotEveryBytes { get; init; } = 256L << 20;

    /// <summary>
    /// The files the write-ahead log is kept in: the real disk unless a test substitutes a twin (see
    /// <see cref="IStorageFiles"/>). Snapshot files always go to the real disk under <see cref="DataDirectory"/>.
    /// </summary>
    public IStorageFiles Files { get; init; } = OsStorageFiles.Default;

    /// <summary>Passed to the log: whose log this is (see <see cref="WalIdentity"/>).</summary>
    public WalIdentity Identity { get; init; }

    /// <summary>Passed to the log: refuse to start, or rejoin as a learner, when durable records were lost.</summary>
    public LostStatePolicy LostState { get; init; } = LostStatePolicy.Refuse;

#if RKV_FAULT_INJECTION
    /// <summary>Passed to the log: deliberate bugs for the simulator's broken-variant tests. Test builds only.</summary>
    public StorageFaults Faults { get; init; }
#endif
}
