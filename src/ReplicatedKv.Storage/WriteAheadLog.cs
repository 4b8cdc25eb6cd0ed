using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage;

/// <summary>
/// An append-only log of segment files, written and synced synchronously by one thread. <see cref="Append"/>
/// writes a batch after the last one (rolling to a new segment when the current one is full); <see cref="Sync"/>
/// makes everything appended so far durable with one fdatasync. Nothing appended is durable before a
/// <see cref="Sync"/> returns. There is no queue, no lock and no hand-off: batching is the caller's business
/// (the node loop appends what one turn produced, then syncs once).
/// </summary>
/// <remarks>
/// <para>
/// Threads. The log has one owner, the writer: in the server, the node loop's thread. Only the writer may call
/// <see cref="Append"/>, <see cref="Sync"/>, <see cref="CompactThrough"/>, <see cref="SegmentCount"/>, <see cref="HasUnsynced"/> and
/// <see cref="Dispose"/>/<see cref="DisposeAsync"/>, one call at a time; none of them is safe to call from
/// another thread, and none blocks on anything but the disk. <see cref="Syncs"/> and <see cref="BytesWritten"/>
/// are plain counters the writer updates; reading them elsewhere (a benchmark's report, a metrics scrape) gives
/// a value that may lag, never a torn one. Snapshot files are written elsewhere (<see cref="SnapshotStore"/>);
/// their marker goes into this log from the writer, after the file is durable (<see cref="NodeStorage.RecordSnapshot"/>).
/// </para>
/// <para>
/// Failures. A failed append or sync throws <see cref="StorageUnavailableException"/> and leaves no partial
/// record behind: a failed append is cut back off; a failed sync cuts the segment back to the end of the last
/// successful sync, so records appended since then are gone as a crash would have lost them. The caller
/// retries the same records (re-writing them is harmless) until they succeed.
/// </para>
/// </remarks>
public sealed class WriteAheadLog : IDisposable, IAsyncDisposable
{
    private readonly WalOptions _options;
    private readonly IStorageFiles _files;
    private readonly List<WalSegment> _segments;
    private readonly WalDurableMark _mark;
    private IStorageFile _active;

    // Newest hard state and snapshot marker appended, and the same as of the last successful sync (a failed sync
    // falls back to those). Each new segment opens with them.
    private HardState _hardState;
    private IncarnationTable _incarnations;
    private long _snapshotMarker;
    private HardState _syncedHardState;
    private IncarnationTable _syncedIncarnations;
    private long _syncedSnapshotMarker;

    // End and record count of the active segment as of the last successful sync; the segment's Length is where
    // the next append goes.
    private long _syncedLength;
    private long _syncedRecords;
    private int _unsyncedCommands;
    private long _syncs;
    private long _bytesWritten;
    private bool _disposed;

    // Set once the mark records the recovered position. Before that, after a loss, the mark must keep its old,
    // further position (which reports the loss again) until the Rejoining hard state is durable.
    private bool _opened;

    /// <summary>The newest hard state appended (what a new segment opens with).</summary>
    internal HardState HardState => _hardState;

    /// <summary>The incarnation table appended with <see cref="HardState"/>.</summary>
    internal IncarnationTable Incarnations => _incarnations;

    private WriteAheadLog(WalOptions options, WalContents contents)
    {
        _options = options;
        _files = options.Files;
        _segments = contents.Segments;
        _hardState = _syncedHardState = contents.HardState;
        _incarnations = _syncedIncarnations = contents.Incarnations;
        _snapshotMarker = _syncedSnapshotMarker = contents.SnapshotMarker;
        _mark = WalDurableMark.Open(_files, options.Directory);
        try
        {
            if (_segments.Count == 0)
            {
                _segments.Add(CreateSegment(1, 0, _hardState, _incarnations, _snapshotMarker));
            }

            _active = _files.OpenExisting(_segments[^1].Path);
        }
        catch
        {
            _mark.Dispose();
            throw;
        }

        _syncedLength = _segments[^1].Length;
        _syncedRecords = _segments[^1].Records;
    }

    /// <summary>fdatasync calls so far (segment creations included).</summary>
    public long Syncs => Volatile.Read(ref _syncs);

    /// <summary>Bytes of appended records made durable so far.</summary>
    public long BytesWritten => Volatile.Read(ref _bytesWritten);

    /// <summary>Number of segment files on disk.</summary>
    public int SegmentCount => _segments.Count;

    /// <summary>True when records were appended since the last successful <see cref="Sync"/>.</summary>
    public bool HasUnsynced => _segments[^1].Length > _syncedLength;

    /// <summary>
    /// Opens (creating if needed) the log and recovers what it holds. The calling thread becomes the writer. When
    /// durable records were lost (<see cref="WalContents.Loss"/>), <see cref="WalOptions.LostState"/> decides: refuse
    /// with <see cref="WalCorruptionException"/>, or keep the intact prefix and durably mark the hard state Rejoining.
    /// </summary>
    public static WriteAheadLog Open(WalOptions options, out WalContents contents, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Files.CreateDirectory(options.Directory);
        contents = WalRecovery.Read(options.Files, options.Directory, options.Identity, logger ?? NullLogger.Instance);
        if (contents.Loss is { } loss)
        {
            if (options.LostState == LostStatePolicy.Refuse)
            {
                throw loss.Refusal();
            }

            WalLossRepair.SetAside(options.Files, options.Directory, loss);
        }

        var log = new WriteAheadLog(options, contents);
        try
        {
            log.MarkOpened(contents);
            return log;
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="batch"/> after the last appended record; not durable until <see cref="Sync"/>. When
    /// the batch does not fit the current segment, what was appended so far is synced and a new segment started
    /// first. Throws <see cref="StorageUnavailableException"/> when the disk refuses; the batch's buffer goes back
    /// to the pool either way.
    /// </summary>
    public void Append(WalBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var segment = _segments[^1];
            if (segment.Length > 0 && segment.Length + batch.Length > _options.SegmentBytes)
            {
                // The new segment opens with the current hard state: all before it must be durable first.
                Sync();
                segment = Roll(segment);
            }

            var start = segment.Length;
            try
            {
                _active.Write(start, batch.Bytes);
            }
            catch (IOException e)
            {
                // Leave no partial record behind: the next append starts where this one did.
                TryTruncate(start);
                throw Unavailable("write", e);
            }

            segment.Length = start + batch.Length;
            segment.Records += batch.RecordCount;
            segment.MaxSlot = Math.Max(segment.MaxSlot, batch.MaxSlot);
            if (batch.HardState is { } appended)
            {
                _hardState = appended;
                _incarnations = batch.Incarnations;
            }
            _snapshotMarker = Math.Max(_snapshotMarker, batch.SnapshotMarker);
            _unsyncedCommands += batch.CommandCount;
        }
        finally
        {
            batch.Release();
        }
    }

    /// <summary>
    /// Makes everything appended so far durable with one fdatasync (nothing when nothing is pending). Throws
    /// <see cref="StorageUnavailableException"/> when the disk refuses; then every record appended since the last
    /// successful sync is cut off, and the caller appends them again.
    /// </summary>
    public void Sync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var segment = _segments[^1];
        var bytes = segment.Length - _syncedLength;
        if (bytes == 0)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
#if RKV_FAULT_INJECTION
            if (!_options.Faults.SkipFsync)
#endif
            {
                _active.DataSync();
            }
        }
        catch (IOException e)
        {
            // After a failed fdatasync the unsynced bytes may or may not be on disk: cut back to what is known durable.
            TryTruncate(_syncedLength);
            segment.Length = _syncedLength;
            segment.Records = _syncedRecords;
            _hardState = _syncedHardState;
            _incarnations = _syncedIncarnations;
            _snapshotMarker = _syncedSnapshotMarker;
            _unsyncedCommands = 0;
            throw Unavailable("fdatasync", e);
        }

        _options.SyncObserver?.OnSynced(Stopwatch.GetElapsedTime(started), _unsyncedCommands, bytes);
        Volatile.Write(ref _syncs, _syncs + 1);
        Volatile.Write(ref _bytesWritten, _bytesWritten + bytes);
        _syncedLength = segment.Length;
        _syncedRecords = segment.Records;
        _syncedHardState = _hardState;
        _syncedIncarnations = _incarnations;
        _syncedSnapshotMarker = _snapshotMarker;
        _unsyncedCommands = 0;
        try
        {
            // No fsync: an unsynced mark can only be lost, and a lost one makes recovery more lenient, never wrong.
            _mark.Write(segment.Index, _syncedLength);
        }
        catch (IOException)
        {
            // The records are durable; only the mark lags, as after a power cut.
        }
    }

    /// <summary>
    /// Deletes every closed segment whose entries all lie at or below <paramref name="slot"/>. Call only once a
    /// snapshot through that slot is durable. Safe for hard state: each segment starts with the current one.
    /// A failed deletion throws the <see cref="IOException"/> and leaves the log whole from some segment on.
    /// </summary>
    public int CompactThrough(long slot)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Deleting a segment is safe only when a later one that stays opens with the then-current hard
        // state; otherwise the newest promise could go with it. That is decided from the newest down.
        var doomed = new List<WalSegment>();
        var laterHeader = _segments[^1].HasHeader;
        for (var i = _segments.Count - 2; i >= 0; i--)
        {
            if (_segments[i].MaxSlot <= slot && laterHeader)
            {
                doomed.Add(_segments[i]);
            }
            else
            {
                laterHeader |= _segments[i].HasHeader;
            }
        }

        // Deleted from the oldest up: a crash part-way through leaves the log whole from some segment on,
        // never with a hole inside what it keeps.
        for (var i = doomed.Count - 1; i >= 0; i--)
        {
            _files.Delete(doomed[i].Path);
            _segments.Remove(doomed[i]);
        }

        if (doomed.Count > 0)
        {
            _files.SyncDirectory(_options.Directory);
        }

        return doomed.Count;
    }

    /// <summary>Syncs what is pending (best effort: it was never reported durable) and closes the active segment.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            Sync();
            if (_opened)
            {
                _mark.WriteDurable(_segments[^1].Index, _syncedLength);
            }
        }
        catch (Exception e) when (e is StorageUnavailableException or IOException)
        {
            // Nothing unsynced was reported durable; recovery sees the log as a crash would have left it.
        }

        _disposed = true;
        _active.Dispose();
        _mark.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static StorageUnavailableException Unavailable(string what, Exception e) =>
        new($"write-ahead log {what} failed: {e.Message}", e);

    /// <summary>
    /// Makes the position recovery read durable and records it in the mark. Bytes a crashed process wrote but
    /// never synced may still sit in the page cache, where recovery read them: synced first, so the mark never
    /// names bytes a power cut could still take. After a loss, the Rejoining hard state is made durable first:
    /// until then the old, further mark keeps reporting the loss, so a crash in between repeats the repair.
    /// </summary>
    private void MarkOpened(WalContents contents)
    {
        try
        {
            if (contents.Loss is not null)
            {
                var rejoiningState = _hardState with { Rejoining = true, Bootstrapped = false };
                var rejoining = new WalBatch(WalFormat.HardStateFrameSizeOf(rejoiningState, _incarnations));
                rejoining.AddHardState(rejoiningState, _incarnations);
                Append(rejoining);
                Sync();
                contents.HardState = _hardState;
            }
            else
            {
                _active.DataSync();
                Volatile.Write(ref _syncs, _syncs + 1);
            }

            _mark.WriteDurable(_segments[^1].Index, _syncedLength);
            Volatile.Write(ref _syncs, _syncs + 1);
            _opened = true;
        }
        catch (IOException e)
        {
            throw Unavailable("open", e);
        }
    }

    /// <summary>
    /// Switches to a new segment that opens with the current hard state and snapshot marker. The new file is
    /// complete and durable before anything points at it; if making it fails, the current segment stays active.
    /// </summary>
    private WalSegment Roll(WalSegment previous)
    {
        WalSegment next;
        IStorageFile file;
        try
        {
            next = CreateSegment(previous.Index + 1, previous.FirstRecord + previous.Records, _hardState, _incarnations, _snapshotMarker);
            file = _files.OpenExisting(next.Path);
        }
        catch (IOException e)
        {
            throw Unavailable("segment roll", e);
        }

        _active.Dispose();
        _active = file;
        _segments.Add(next);
        _syncedLength = next.Length;
        _syncedRecords = next.Records;
        try
        {
            // Durable, so a lost newest segment is noticed even before its first batch is synced.
            if (_opened)
            {
                _mark.WriteDurable(next.Index, next.Length);
                Volatile.Write(ref _syncs, _syncs + 1);
            }
        }
        catch (IOException)
        {
            // The mark lags by one segment; the next sync writes it again.
        }

        return next;
    }

    /// <summary>
    /// Creates segment <paramref name="index"/> atomically: format 2 header and opening records (hard state,
    /// snapshot marker) written to a temporary file, synced, renamed into place, directory synced. A crash leaves
    /// either no segment or one that starts with them, so an empty or headerless segment on disk is lost data.
    /// </summary>
    private WalSegment CreateSegment(long index, long firstRecord, HardState hardState, IncarnationTable incarnations, long marker)
    {
        var path = Path.Combine(_options.Directory, WalSegment.FileName(index));
        var temporary = path + ".tmp";
        var header = new WalBatch(64);
        try
        {
            header.AddHardState(hardState, incarnations);
            if (marker > 0)
            {
                header.AddSnapshotMarker(marker);
            }

            var segmentHeader = new WalSegmentHeader(_options.Identity, index, firstRecord).ToBytes();
            using (var file = _files.Create(temporary))
            {
                file.Write(0, segmentHeader);
                file.Write(segmentHeader.Length, header.Bytes);
                file.DataSync();
            }

            // Overwrite: an earlier attempt whose directory sync failed may have left this (untracked, header-only) file.
            _files.Move(temporary, path);
            _files.SyncDirectory(_options.Directory);
            Volatile.Write(ref _syncs, _syncs + 1);
            return new WalSegment(index, path)
            {
                HeaderBytes = WalSegmentHeader.Size, FirstRecord = firstRecord, Records = header.RecordCount,
                Length = WalSegmentHeader.Size + header.Length, HasHeader = true,
            };
        }
        catch
        {
            _files.Delete(temporary);
            throw;
        }
        finally
        {
            header.Release();
        }
    }

    private void TryTruncate(long length)
    {
        try
        {
            _active.SetLength(length);
        }
        catch (IOException)
        {
            // Recovery cuts a torn tail anyway; the caller already knows the write failed.
        }
    }
}
