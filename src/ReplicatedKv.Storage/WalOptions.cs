namespace ReplicatedKv.Storage;

/// <summary>Where and how the write-ahead log keeps its segments.</summary>
public sealed record WalOptions
{
    /// <summary>The folder holding the segment files; created when missing.</summary>
    public required string Directory { get; init; }

    /// <summary>A segment rolls over once appending would take it past this size.</summary>
    public long SegmentBytes { get; init; } = 64L << 20;

    /// <summary>Told the duration and size of each fsync of appended records; null to measure nothing.</summary>
    public IWalSyncObserver? SyncObserver { get; init; }

    /// <summary>The files the log is kept in: the real disk unless a test substitutes a twin (see <see cref="IStorageFiles"/>).</summary>
    public IStorageFiles Files { get; init; } = OsStorageFiles.Default;

    /// <summary>Whose log this is; written into each segment header and checked at open (see <see cref="WalIdentity"/>).</summary>
    public WalIdentity Identity { get; init; }

    /// <summary>What opening a log that lost durable records does. Refuse unless the node has peers to learn from.</summary>
    public LostStatePolicy LostState { get; init; } = LostStatePolicy.Refuse;

#if RKV_FAULT_INJECTION
    /// <summary>Deliberate bugs for the simulator's broken-variant tests. Test builds only.</summary>
    public StorageFaults Faults { get; init; }
#endif
}
