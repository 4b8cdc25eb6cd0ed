namespace ReplicatedKv.Storage;

/// <summary>Where and how the write-ahead log keeps its segments.</summary>
public sealed record WalOptions
{
    /// <summary>The folder holding the segment files; created when missing.</summary>
    public required string Directory { get; init; }

    /// <summary>A segment rolls over once appending would take it past this size.</summary>
    public long SegmentBytes { get; init; } = 64L << 20;

    /// <summary>Told the duration and size of each group-commit fsync; null to measure nothing.</summary>
    public IWalSyncObserver? SyncObserver { get; init; }

    /// <summary>Test hook, called with the file after a write and before its fsync: a non-null result fails the write like a full disk.</summary>
    internal Func<string, IOException?>? WriteFault { get; init; }

    /// <summary>Test hook, called with a segment file just before compaction deletes it: a non-null result stops compaction there, as a crash would.</summary>
    internal Func<string, IOException?>? DeleteFault { get; init; }
}
