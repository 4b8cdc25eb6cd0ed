using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage;

/// <summary>
/// The durable state of one replica: what <see cref="Ready"/> asks to persist goes to the write-ahead log;
/// snapshots go to <see cref="SnapshotStore"/>. Restart = newest intact snapshot, then the log after it.
/// </summary>
/// <remarks>
/// Threads: the node loop is the writer (see <see cref="WriteAheadLog"/>): it calls <see cref="Persist"/>,
/// <see cref="RecordSnapshot"/>, <see cref="SnapshotDue"/> and disposes. <c>SaveSnapshotAsync</c> runs off
/// the loop, on any one thread at a time, and touches only the snapshot folder and <c>_savedSnapshot</c>.
/// </remarks>
public sealed class NodeStorage : IDisposable, IAsyncDisposable
{
    private readonly StorageOptions _options;

    // Writer-owned: log growth since the last recorded snapshot, and the newest snapshot recorded in the log.
    private long _entriesSinceSnapshot;
    private long _bytesSinceSnapshot;
    private long _recordedSnapshot;

    // The newest snapshot file SaveSnapshotAsync made durable; written off the loop, read by the writer.
    private long _savedSnapshot;

    private NodeStorage(StorageOptions options, WriteAheadLog log, SnapshotStore snapshots, PersistentState state, SnapshotReader? snapshot)
    {
        _options = options;
        _entriesSinceSnapshot = state.Entries.Count;
        _recordedSnapshot = _savedSnapshot = snapshot?.Slot ?? 0;
        Log = log;
        Snapshots = snapshots;
        State = state;
        Snapshot = snapshot;
    }

    public WriteAheadLog Log { get; }

    public SnapshotStore Snapshots { get; }

    /// <summary>What the replica restarts from. Pair it with <see cref="Snapshot"/> for the state machine.</summary>
    public PersistentState State { get; private set; }

    /// <summary>The newest intact snapshot found at start, or null; the state machine restores from it.</summary>
    public SnapshotReader? Snapshot { get; }

    /// <summary>
    /// Where the log lost records it had made durable, when it did (only under <see cref="LostStatePolicy.Rejoin"/>;
    /// otherwise opening throws). Then <see cref="State"/> is the intact prefix with the hard state marked Rejoining.
    /// </summary>
    public WalLoss? LostState { get; private init; }

    /// <summary>
    /// True once the log grew past <see cref="StorageOptions.SnapshotEveryEntries"/> entries or
    /// <see cref="StorageOptions.SnapshotEveryBytes"/> bytes since the last recorded snapshot, and no snapshot
    /// saved since waits to be recorded: time to take one. Writer thread only.
    /// </summary>
    public bool SnapshotDue =>
        Volatile.Read(ref _savedSnapshot) <= _recordedSnapshot &&
        ((_options.SnapshotEveryEntries > 0 && _entriesSinceSnapshot >= _options.SnapshotEveryEntries) ||
         (_options.SnapshotEveryBytes > 0 && _bytesSinceSnapshot >= _options.SnapshotEveryBytes));

    /// <summary>
    /// Opens the data directory and recovers. Throws <see cref="WalCorruptionException"/> (one line naming the
    /// file and offset, or the missing snapshot) when the state on disk cannot be trusted and cannot be repaired
    /// under <see cref="StorageOptions.LostState"/>.
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
            Files = options.Files,
            Identity = options.Identity,
            LostState = options.LostState,
#if RKV_FAULT_INJECTION
            Faults = options.Faults,
#endif
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
            var loss = contents.Loss;
            var hardState = contents.HardState;
            if (FirstDecidedSlotWithoutRecord(entries, snapshotSlot, hardState.DecidedIndex) is { } missing)
            {
                // Format 2 shows every loss that leads here; a format 1 closed segment cut at a record boundary shows
                // nothing else. The replica cannot start from such a state, so it is a loss like any other.
                var unheld = new WalLoss(contents.HardStateAt.Path, contents.HardStateAt.Offset,
                    $"the hard state marks slot {hardState.DecidedIndex} decided, but no record holds slot {missing}");
                if (options.LostState == LostStatePolicy.Refuse)
                {
                    throw unheld.Refusal();
                }

                // Lowering the decided index is safe: decisions are learned again (HardState). Rejoining, as for any loss.
                hardState = hardState with { DecidedIndex = missing - 1, Rejoining = true, Bootstrapped = false };
                var batch = new WalBatch(WalFormat.HardStateFrameSizeOf(hardState, contents.Incarnations));
                batch.AddHardState(hardState, contents.Incarnations);
                log.Append(batch);
                log.Sync();
                loss ??= unheld;
            }

            var state = new PersistentState(hardState, snapshotSlot, entries, MembershipOf(snapshot), contents.Incarnations);
            return new NodeStorage(options, log, snapshots, state, snapshot) { LostState = loss };
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Makes <paramref name="id"/> this data directory's incarnation (Consensus DESIGN.md, "Incarnations"): writes
    /// the hard state with it, the table as it stands, and fsyncs, so it is durable before the replica built from
    /// <see cref="State"/> (which now carries it) sends anything. The host calls it before starting the replica,
    /// when it finds the directory empty or its state lost. Writer thread only.
    /// </summary>
    public void StartIncarnation(ulong id)
    {
        if (id == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, "An incarnation id is non-zero: 0 means the original incarnation.");
        }

        var hardState = Log.HardState with { Incarnation = id };
        var batch = new WalBatch(WalFormat.HardStateFrameSizeOf(hardState, Log.Incarnations));
        batch.AddHardState(hardState, Log.Incarnations);
        Log.Append(batch);
        Log.Sync();
        State = State with { HardState = State.HardState with { Incarnation = id } };
    }

    /// <summary>
    /// Writes a Ready's entries, then its hard state, as one batch, and when <see cref="Ready.MustSync"/> makes them
    /// durable with one fsync before returning. Throws <see cref="StorageUnavailableException"/> when the disk
    /// refuses; persist the same Ready again. Writer thread only (the node loop): see <see cref="WriteAheadLog"/>.
    /// </summary>
    public void Persist(Ready ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (ready.Entries.Count == 0 && ready.HardState is null && ready.Incarnations is null)
        {
            return;
        }

        // A hard state record carries the whole incarnation table (DESIGN.md): a Ready that changes only one of
        // them writes the other as it stands, so neither is lost by the latest record.
        var writesHardState = ready.HardState is not null || ready.Incarnations is not null;
        var hardState = ready.HardState ?? Log.HardState;
        var incarnations = ready.Incarnations ?? Log.Incarnations;
        var size = writesHardState ? WalFormat.HardStateFrameSizeOf(hardState, incarnations) : 0;
        foreach (var entry in ready.Entries)
        {
            size += WalFormat.EntryFrameSize(entry);
        }

        var batch = new WalBatch(size);
        foreach (var entry in ready.Entries)
        {
            batch.AddEntry(entry);
        }

        if (writesHardState)
        {
            batch.AddHardState(hardState, incarnations);
        }

        var length = batch.Length;
        Log.Append(batch);
        if (ready.MustSync)
        {
            Log.Sync();
        }

        _entriesSinceSnapshot += ready.Entries.Count;
        _bytesSinceSnapshot += length;
    }

    /// <summary>
    /// Records in the log that a snapshot through <paramref name="slot"/> is durable on disk (saved by
    /// <c>SaveSnapshotAsync</c>, or received from a peer and completed), with one fsync; then resets
    /// <see cref="SnapshotDue"/>, drops the log segments and the old snapshots it makes unnecessary. Call it only
    /// after the snapshot file is durable. Throws <see cref="StorageUnavailableException"/> when the marker cannot
    /// be written (call again), or the <see cref="IOException"/> of a failed compaction. Writer thread only.
    /// </summary>
    public void RecordSnapshot(long slot)
    {
        var marker = new WalBatch();
        marker.AddSnapshotMarker(slot);
        Log.Append(marker);
        Log.Sync();
        _recordedSnapshot = Math.Max(_recordedSnapshot, slot);
        _entriesSinceSnapshot = 0;
        _bytesSinceSnapshot = 0;
        Log.CompactThrough(slot);
        Snapshots.Prune();
    }

    /// <summary>
    /// Writes a snapshot file through <paramref name="slot"/> (the payload written by <paramref name="writePayload"/>)
    /// and returns once it is durable under its final name. Runs on any thread, off the node loop: it does not touch
    /// the log. The loop then calls <see cref="RecordSnapshot"/> with the same slot.
    /// </summary>
    public Task SaveSnapshotAsync(long slot, Func<Stream, CancellationToken, Task> writePayload, CancellationToken cancellationToken = default) =>
        SaveSnapshotAsync(slot, null, writePayload, cancellationToken);

    /// <summary>
    /// As <see cref="SaveSnapshotAsync(long, Func{Stream, CancellationToken, Task}, CancellationToken)"/>, storing
    /// <paramref name="membership"/> (the configurations the snapshot carries) in the file; it comes back in
    /// <see cref="PersistentState.Membership"/> on restart and travels with the file to peers. Null stores none.
    /// </summary>
    public async Task SaveSnapshotAsync(long slot, MembershipSnapshot? membership, Func<Stream, CancellationToken, Task> writePayload,
        CancellationToken cancellationToken = default)
    {
        await Snapshots.SaveAsync(slot, membership?.Encode() ?? ReadOnlyMemory<byte>.Empty, writePayload, cancellationToken).ConfigureAwait(false);
        InterlockedMax(ref _savedSnapshot, slot);
    }

    /// <summary>
    /// The configurations <paramref name="snapshot"/> carries; null if it has none (a snapshot from before membership
    /// changes: the bootstrap configuration). Throws <see cref="WalCorruptionException"/> for bytes that pass the
    /// file's checksum but do not decode: written by a newer, incompatible version.
    /// </summary>
    public static MembershipSnapshot? MembershipOf(SnapshotReader? snapshot)
    {
        if (snapshot?.Membership is not { } bytes)
        {
            return null;
        }

        return MembershipSnapshot.TryDecode(bytes, out var membership)
            ? membership
            : throw new WalCorruptionException($"snapshot {snapshot.Path} holds a membership section this version cannot read");
    }

    public void Dispose() => Log.Dispose();

    /// <summary>The first slot in (<paramref name="snapshotSlot"/>, <paramref name="decided"/>] no entry holds, or null.</summary>
    private static long? FirstDecidedSlotWithoutRecord(List<LogEntry> entries, long snapshotSlot, long decided)
    {
        var next = snapshotSlot + 1;
        foreach (var slot in new SortedSet<long>(entries.Select(e => e.Slot).Where(s => s <= decided)))
        {
            if (slot != next)
            {
                break;
            }

            next++;
        }

        return next <= decided ? next : null;
    }

    public ValueTask DisposeAsync() => Log.DisposeAsync();

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Volatile.Read(ref location);
        while (current < value)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
