using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage;

/// <summary>
/// An append-only log of segment files with group commit. <see cref="CommitAsync"/> queues a batch; whoever
/// finds no flush running becomes the flusher: it writes every batch queued so far with one vectored write
/// and one fdatasync, completes them all, and goes on while more are queued. Batches committed while an
/// fsync runs gather for the next one, so throughput grows with load instead of paying one fsync per
/// request, and an idle log pays no thread hand-off. Nothing is reported durable before its fsync returns.
/// </summary>
public sealed class WriteAheadLog : IAsyncDisposable
{
    private readonly WalOptions _options;
    private readonly ConcurrentQueue<WalBatch> _queue = new();
    private readonly SemaphoreSlim _flushLock = new(1, 1);
    private readonly List<WalSegment> _segments;
    private readonly List<WalBatch> _gathered = [];
    private readonly List<ReadOnlyMemory<byte>> _buffers = [];
    private SafeFileHandle _active;
    private HardState _hardState;
    private long _snapshotMarker;
    private long _syncs;
    private long _bytesWritten;
    private volatile bool _disposed;

    private WriteAheadLog(WalOptions options, WalContents contents)
    {
        _options = options;
        _segments = contents.Segments;
        _hardState = contents.HardState;
        _snapshotMarker = contents.SnapshotMarker;
        if (_segments.Count == 0)
        {
            _segments.Add(CreateSegment(1, _hardState, _snapshotMarker));
        }

        _active = File.OpenHandle(_segments[^1].Path, FileMode.Open, FileAccess.ReadWrite);
    }

    /// <summary>fdatasync calls so far: how well group commit is batching.</summary>
    public long Syncs => Interlocked.Read(ref _syncs);

    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>Opens (creating if needed) the log and recovers what it holds.</summary>
    public static WriteAheadLog Open(WalOptions options, out WalContents contents, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        System.IO.Directory.CreateDirectory(options.Directory);
        contents = WalRecovery.Read(options.Directory, logger ?? NullLogger.Instance);
        return new WriteAheadLog(options, contents);
    }

    /// <summary>
    /// Queues a batch; the task completes once it is durable, or faults with <see cref="StorageUnavailableException"/>
    /// when it could not be written. A failed batch leaves no partial record behind, but may have reached the
    /// disk in part: the caller retries the same records (re-writing them is harmless) until they succeed.
    /// When no flush is running, the calling thread writes and syncs before this returns.
    /// </summary>
    public Task CommitAsync(WalBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _queue.Enqueue(batch);
        FlushWhileQueued(stopAfter: batch);
        return batch.Durable.Task;
    }

    /// <summary>
    /// Deletes every closed segment whose entries all lie at or below <paramref name="slot"/>. Call only once a
    /// snapshot through that slot is durable. Safe for hard state: each segment starts with the current one.
    /// </summary>
    public int CompactThrough(long slot)
    {
        lock (_segments)
        {
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
                if (_options.DeleteFault?.Invoke(doomed[i].Path) is { } fault)
                {
                    throw fault;
                }

                File.Delete(doomed[i].Path);
                _segments.Remove(doomed[i]);
            }

            if (doomed.Count > 0)
            {
                FileSync.SyncDirectory(_options.Directory);
            }

            return doomed.Count;
        }
    }

    /// <summary>Number of segment files on disk.</summary>
    public int SegmentCount
    {
        get
        {
            lock (_segments)
            {
                return _segments.Count;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        await _flushLock.WaitAsync().ConfigureAwait(false);
        try
        {
            FlushQueued();
            _active.Dispose();
        }
        finally
        {
            _flushLock.Release();
        }
    }

    /// <summary>
    /// Takes the flusher's role if it is free and flushes until the queue is empty, or, once
    /// <paramref name="stopAfter"/> is durable, hands what is left to a pool thread so the caller is not held
    /// hostage by other writers. Whoever finds the role taken leaves: the holder re-checks the queue after it
    /// lets go, so no batch is stranded.
    /// </summary>
    private void FlushWhileQueued(WalBatch? stopAfter)
    {
        while (!_queue.IsEmpty && _flushLock.Wait(0))
        {
            try
            {
                FlushQueued();
            }
            finally
            {
                _flushLock.Release();
            }

            if (stopAfter is not null && stopAfter.Durable.Task.IsCompleted && !_queue.IsEmpty)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static log => log.FlushWhileQueued(null), this, preferLocal: false);
                return;
            }
        }
    }

    /// <summary>One flush round: everything queued now, one write, one fsync. Caller holds the flush lock.</summary>
    private void FlushQueued()
    {
        while (_queue.TryDequeue(out var batch))
        {
            _gathered.Add(batch);
        }

        if (_gathered.Count == 0)
        {
            return;
        }

        try
        {
            WriteGathered();
            foreach (var batch in _gathered)
            {
                batch.Release();
                batch.Durable.TrySetResult();
            }
        }
        catch (Exception e)
        {
            // Every gathered batch fails, whatever went wrong: none may wait forever for a flush that died.
            var failure = new StorageUnavailableException($"write-ahead log write failed: {e.Message}", e);
            foreach (var batch in _gathered)
            {
                batch.Release();
                batch.Durable.TrySetException(failure);
            }
        }
        finally
        {
            _gathered.Clear();
            _buffers.Clear();
        }
    }

    private void WriteGathered()
    {
        WalSegment segment;
        lock (_segments)
        {
            segment = _segments[^1];
        }

        var start = segment.Length;
        var position = start;
        var maxSlot = segment.MaxSlot;
        var hardState = _hardState;
        var marker = _snapshotMarker;
        var commands = 0;
        _buffers.Clear();
        try
        {
            foreach (var batch in _gathered)
            {
                if (position > 0 && position + batch.Length > _options.SegmentBytes)
                {
                    WriteAndSync(segment, start, position, maxSlot, commands);
                    segment = Roll(segment, hardState, marker);
                    start = position = segment.Length;
                    maxSlot = segment.MaxSlot;
                    commands = 0;
                }

                _buffers.Add(batch.Bytes);
                position += batch.Length;
                maxSlot = Math.Max(maxSlot, batch.MaxSlot);
                hardState = batch.HardState ?? hardState;
                marker = Math.Max(marker, batch.SnapshotMarker);
                commands += batch.CommandCount;
            }

            WriteAndSync(segment, start, position, maxSlot, commands);
            _hardState = hardState;
            _snapshotMarker = marker;
        }
        catch (Exception)
        {
            // Leave no partial record behind: the next batch starts where the last durable one ended.
            TryTruncate(segment.Length);
            throw;
        }
    }

    private void WriteAndSync(WalSegment segment, long start, long end, long maxSlot, int commands)
    {
        if (end == start)
        {
            return;
        }

        if (Failpoints.Enabled && Failpoints.CrashesThisWalWrite())
        {
            Failpoints.CrashMidWrite(_active, _buffers, start);
        }

        RandomAccess.Write(_active, _buffers, start);
        if (_options.WriteFault?.Invoke(segment.Path) is { } fault)
        {
            throw fault;
        }

        var syncStarted = Stopwatch.GetTimestamp();
        FileSync.DataSync(_active);
        _options.SyncObserver?.OnSynced(Stopwatch.GetElapsedTime(syncStarted), commands, end - start);
        Interlocked.Increment(ref _syncs);
        Interlocked.Add(ref _bytesWritten, end - start);
        segment.Length = end;
        segment.MaxSlot = maxSlot;
        _buffers.Clear();
    }

    /// <summary>
    /// Switches to a new segment that opens with the current hard state and snapshot marker. The new file is
    /// complete and durable before anything points at it; if making it fails, the current segment stays active.
    /// </summary>
    private WalSegment Roll(WalSegment previous, HardState hardState, long marker)
    {
        var next = CreateSegment(previous.Index + 1, hardState, marker);
        var handle = File.OpenHandle(next.Path, FileMode.Open, FileAccess.ReadWrite);
        _active.Dispose();
        _active = handle;
        lock (_segments)
        {
            _segments.Add(next);
        }

        return next;
    }

    /// <summary>
    /// Creates segment <paramref name="index"/> atomically: header written to a temporary file, synced, renamed
    /// into place, directory synced. A crash leaves either no segment or one that starts with its header.
    /// </summary>
    private WalSegment CreateSegment(long index, HardState hardState, long marker)
    {
        var path = Path.Combine(_options.Directory, WalSegment.FileName(index));
        var temporary = path + ".tmp";
        var header = new WalBatch(64);
        try
        {
            header.AddHardState(hardState);
            if (marker > 0)
            {
                header.AddSnapshotMarker(marker);
            }

            using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.ReadWrite))
            {
                RandomAccess.Write(handle, header.Bytes.Span, 0);
                if (_options.WriteFault?.Invoke(temporary) is { } fault)
                {
                    throw fault;
                }

                FileSync.DataSync(handle);
            }

            // Overwrite: an earlier attempt whose directory sync failed may have left this (untracked, header-only) file.
            File.Move(temporary, path, overwrite: true);
            FileSync.SyncDirectory(_options.Directory);
            Interlocked.Increment(ref _syncs);
            return new WalSegment(index, path) { Length = header.Length, HasHeader = true };
        }
        catch
        {
            File.Delete(temporary);
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
            RandomAccess.SetLength(_active, length);
        }
        catch (IOException)
        {
            // Recovery cuts a torn tail anyway; the caller already knows the write failed.
        }
    }
}
