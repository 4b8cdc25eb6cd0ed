using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage;

/// <summary>
/// The durable state of one replica: what <see cref="Ready"/> asks to persist goes to the write-ahead log;
/// snapshots go to <see cref="SnapshotStore"/>. Restart = newest intact snapshot, then the log after it.
/// </summary>
public sealed class NodeStorage : IAsyncDisposable
{
    private readonly StorageOptions _options;
    private long _entriesSinceSnapshot;
    private long _bytesSinceSnapshot;

    private NodeStorage(StorageOptions options, WriteAheadLog log, SnapshotStore snapshots, PersistentState state, SnapshotReader? snapshot)
    {
        _options = options;
        _entriesSinceSnapshot = state.Entries.Count;
        Log = log;
        Snapshots = snapshots;
        State = state;
        Snapshot = snapshot;
    }

    public WriteAheadLog Log { get; }

    public SnapshotStore Snapshots { get; }

    /// <summary>What the replica restarts from. Pair it with <see cref="Snapshot"/> for the state machine.</summary>
    public PersistentState State { get; }

    /// <summary>The newest intact snapshot found at start, or null; the state machine restores from it.</summary>
    public SnapshotReader? Snapshot { get; }

    /// <summary>
    /// True once the log grew past <see cref="StorageOptions.SnapshotEveryEntries"/> entries or
    /// <see cref="StorageOptions.SnapshotEveryBytes"/> bytes since the last snapshot: time to take one.
    /// </summary>
    public bool SnapshotDue =>
        (_options.SnapshotEveryEntries > 0 && Interlocked.Read(ref _entriesSinceSnapshot) >= _options.SnapshotEveryEntries) ||
        (_options.SnapshotEveryBytes > 0 && Interlocked.Read(ref _bytesSinceSnapshot) >= _options.SnapshotEveryBytes);

    /// <summary>
    /// Opens the data directory and recovers. Throws <see cref="WalCorruptionException"/> (one line naming the
    /// file and offset, or the missing snapshot) when the state on disk cannot be trusted.
    /// </summary>
    public static NodeStorage Open(StorageOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        logger ??= NullLogger.Instance;
        var snapshots = new SnapshotStore(Path.Combine(options.DataDirectory, "snap"), options.SnapshotsToKeep, logger);
        var walOptions = new WalOptions
        {
            Directory = Path.Combine(options.DataDirectory, "wal"),
            SegmentBytes = options.SegmentBytes,
            SyncObserver = options.SyncObserver,
            WriteFault = options.WriteFault,
        };
        var log = WriteAheadLog.Open(walOptions, out var contents, logger);
        try
        {
            var snapshot = snapshots.OpenNewestValid();
            var snapshotSlot = snapshot?.Slot ?? 0;
            if (contents.SnapshotMarker > snapshotSlot)
            {
                throw new WalCorruptionException(
                    $"the log records a snapshot through slot {contents.SnapshotMarker}, but the newest intact snapshot in {Path.Combine(options.DataDirectory, "snap")} is through slot {snapshotSlot}");
            }

            var entries = contents.Entries.FindAll(e => e.Slot > snapshotSlot);
            var state = new PersistentState(contents.HardState, snapshotSlot, entries);
            return new NodeStorage(options, log, snapshots, state, snapshot);
        }
        catch
        {
            log.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>
    /// Writes a Ready's entries, then its hard state, in one batch, and completes once they are durable.
    /// Faults with <see cref="StorageUnavailableException"/> when the disk refuses; retry the same Ready.
    /// </summary>
    public Task PersistAsync(Ready ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (ready.Entries.Count == 0 && ready.HardState is null)
        {
            return Task.CompletedTask;
        }

        var size = ready.HardState is null ? 0 : WalFormat.HardStateFrameSize;
        foreach (var entry in ready.Entries)
        {
            size += WalFormat.EntryFrameSize(entry);
        }

        var batch = new WalBatch(size);
        foreach (var entry in ready.Entries)
        {
            batch.AddEntry(entry);
        }

        if (ready.HardState is { } hardState)
        {
            batch.AddHardState(hardState);
        }

        Interlocked.Add(ref _entriesSinceSnapshot, ready.Entries.Count);
        Interlocked.Add(ref _bytesSinceSnapshot, batch.Length);
        return Log.CommitAsync(batch);
    }

    /// <summary>
    /// Takes a snapshot through <paramref name="slot"/> (the payload written by <paramref name="writePayload"/>),
    /// records it in the log, then drops log segments and snapshots it makes unnecessary.
    /// </summary>
    public async Task SaveSnapshotAsync(long slot, Func<Stream, CancellationToken, Task> writePayload, CancellationToken cancellationToken = default)
    {
        await Snapshots.SaveAsync(slot, writePayload, cancellationToken).ConfigureAwait(false);
        await RecordSnapshotAsync(slot).ConfigureAwait(false);
    }

    /// <summary>After a snapshot received from a peer was completed: record it, then compact behind it.</summary>
    public async Task RecordSnapshotAsync(long slot)
    {
        var marker = new WalBatch();
        marker.AddSnapshotMarker(slot);
        await Log.CommitAsync(marker).ConfigureAwait(false);
        Interlocked.Exchange(ref _entriesSinceSnapshot, 0);
        Interlocked.Exchange(ref _bytesSinceSnapshot, 0);
        Log.CompactThrough(slot);
        Snapshots.Prune();
    }

    public ValueTask DisposeAsync() => Log.DisposeAsync();
}
