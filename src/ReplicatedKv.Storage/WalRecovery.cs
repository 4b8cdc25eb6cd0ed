using Microsoft.Extensions.Logging;

namespace ReplicatedKv.Storage;

/// <summary>
/// Reads every segment back and classifies what it finds. Intact: every segment present, each header naming
/// this node and continuing the running record count of the one before, every record whole. Torn tail: damage
/// in the newest segment past the durable mark (<see cref="WalDurableMark"/>); those bytes were never reported
/// durable, so they are cut off with a warning, even when an intact record follows (unsynced pages reach the
/// disk in any order). Lost: anything else that is missing or damaged (an empty or headerless segment, a gap
/// in the segment numbers, a segment shorter than the mark or than its successor's first record says, a
/// damaged record below the mark or in a closed segment, a segment of another node); the contents then hold
/// the intact prefix and <see cref="WalContents.Loss"/> names the file and offset. Nothing is changed on
/// disk for a loss: the caller decides (<see cref="LostStatePolicy"/>). A log with no readable mark (written by a
/// version without one, or the mark deleted) falls back to the older rule: damage is a torn tail only at the
/// very end of the newest segment with no intact record after it.
/// </summary>
internal sealed partial class WalRecovery
{
    private readonly IStorageFiles _files;
    private readonly string _directory;
    private readonly WalIdentity _identity;
    private readonly (long Segment, long Length)? _mark;
    private readonly WalContents _contents = new();
    private (string Path, long Offset, long Length)? _tornTail;

    private WalRecovery(IStorageFiles files, string directory, WalIdentity identity)
    {
        _files = files;
        _directory = directory;
        _identity = identity;
        _mark = WalDurableMark.Read(files, directory);
    }

    /// <summary>Throws <see cref="WalCorruptionException"/> only for what no repair can fix (a stray file, a newer format, another node's directory).</summary>
    public static WalContents Read(IStorageFiles files, string directory, WalIdentity identity, ILogger logger)
    {
        foreach (var stale in files.List(directory, ".wal.tmp"))
        {
            // A segment whose creation a crash interrupted: it was never renamed into place, so never used.
            files.Delete(stale);
        }

        var recovery = new WalRecovery(files, directory, identity);
        var contents = recovery._contents;
        contents.Loss = recovery.ReadSegments(files.List(directory, ".wal")) ?? recovery.MissingNewest();
        if (contents.Loss is null && recovery._tornTail is { } torn)
        {
            TruncateTornTail(files, torn.Path, torn.Offset, torn.Length, logger);
            contents.TruncatedBytes = torn.Length;
        }

        return contents;
    }

    private WalLoss? ReadSegments(IReadOnlyList<string> paths)
    {
        for (var position = 0; position < paths.Count; position++)
        {
            var path = paths[position];
            if (!long.TryParse(Path.GetFileNameWithoutExtension(path), out var index))
            {
                throw new WalCorruptionException($"{path}: not a log segment name; move it out of {_directory}");
            }

            var previous = _contents.Segments.Count > 0 ? _contents.Segments[^1] : null;
            if (previous is not null && index != previous.Index + 1)
            {
                return Lost(Path.Combine(_directory, WalSegment.FileName(previous.Index + 1)), 0,
                    $"segment missing (the log jumps from segment {previous.Index} to {index})", position, 0);
            }

            var bytes = _files.ReadAll(path);
            var loss = OpenSegment(bytes, path, index, position, previous, out var segment) ??
                       ReadRecords(bytes, segment!, position, isNewest: position == paths.Count - 1);
            if (loss is not null)
            {
                if (loss.IntactBytes > 0)
                {
                    // Its records before the damage were read: the segment stays, cut there, if the caller repairs.
                    segment!.Length = loss.IntactBytes;
                    _contents.Segments.Add(segment);
                }

                return loss;
            }

            _contents.Segments.Add(segment!);
        }

        return null;
    }

    /// <summary>Checks what a segment must be as a whole: non-empty, its header intact, this node's, continuing the previous one.</summary>
    private WalLoss? OpenSegment(byte[] bytes, string path, long index, int position, WalSegment? previous, out WalSegment? segment)
    {
        segment = null;
        if (bytes.Length == 0)
        {
            // Every segment is renamed into place only after its first records are durable.
            return Lost(path, 0, "empty segment (every segment is created holding the hard state)", position, 0);
        }

        var nextRecord = previous is null ? 0 : previous.FirstRecord + previous.Records;
        if (!WalSegmentHeader.HasMagic(bytes))
        {
            segment = new WalSegment(index, path) { FirstRecord = nextRecord };
            return null;
        }

        var version = WalSegmentHeader.VersionOf(bytes);
        if (version > WalSegmentHeader.CurrentVersion && WalSegmentHeader.IsIntactOfAnyVersion(bytes))
        {
            throw new WalCorruptionException(
                $"{path}: segment format {version} at offset 4 is newer than this build reads ({WalSegmentHeader.CurrentVersion}); run the rkv-server version that wrote it");
        }

        if (!WalSegmentHeader.TryRead(bytes, out var header))
        {
            return Lost(path, 0, "damaged segment header", position, 0);
        }

        if (header.Index != index)
        {
            return Lost(path, 0, $"the header names segment {header.Index}", position, 0);
        }

        if (!_identity.Matches(header.Identity))
        {
            if (position == 0)
            {
                // The oldest segment is foreign: likely the whole directory is. Repairing it would destroy another node's log.
                throw new WalCorruptionException(
                    $"{path}: segment at offset 0 was written by another node or cluster; point --data-dir at this node's own data directory");
            }

            return Lost(path, 0, "segment written by another node or cluster", position, 0);
        }

        if (previous is { HeaderBytes: > 0 } && header.FirstRecord != nextRecord)
        {
            // The previous segment lost records at its end (or this one belongs to another history).
            return Lost(previous.Path, previous.Length,
                $"segment ends before record {nextRecord} but the next one starts at record {header.FirstRecord}", position, 0);
        }

        segment = new WalSegment(index, path) { HeaderBytes = WalSegmentHeader.Size, FirstRecord = header.FirstRecord };
        return null;
    }

    private WalLoss? ReadRecords(byte[] bytes, WalSegment segment, int position, bool isNewest)
    {
        long offset = segment.HeaderBytes;
        while (offset < bytes.Length)
        {
            var size = WalFormat.TryReadFrame(bytes.AsSpan((int)offset), out var type, out var payload);
            if (size == 0)
            {
                if (IsTornTail(bytes, segment, offset, isNewest))
                {
                    _tornTail = (segment.Path, offset, bytes.Length - offset);
                    break;
                }

                return Lost(segment.Path, offset, "damaged record", position, offset);
            }

            Apply(type, payload, segment, offset);
            if (offset == segment.HeaderBytes)
            {
                segment.HasHeader = type == WalRecordType.HardState;
            }

            segment.Records++;
            offset += size;
        }

        segment.Length = offset;
        if (segment.Records == 0)
        {
            return Lost(segment.Path, offset, "no intact record (every segment is created holding the hard state)", position, 0);
        }

        if (_mark is { } mark && mark.Segment == segment.Index && offset < mark.Length)
        {
            return Lost(segment.Path, offset, $"segment ends short of the {mark.Length} bytes it held durably", position, offset);
        }

        return null;
    }

    /// <summary>
    /// Damage is a torn tail only in the newest segment and only past the durable mark. Without a mark (a log from
    /// before marks existed), only when no intact record follows it, the best guess available.
    /// </summary>
    private bool IsTornTail(byte[] bytes, WalSegment segment, long offset, bool isNewest)
    {
        if (!isNewest)
        {
            // A segment is synced before the next one is started: all of it was durable.
            return false;
        }

        if (_mark is not { } mark)
        {
            return !HasIntactFrameAfter(bytes, offset);
        }

        return mark.Segment < segment.Index || (mark.Segment == segment.Index && offset >= mark.Length);
    }

    /// <summary>The mark names a segment after the last one on disk: newest segments were lost whole.</summary>
    private WalLoss? MissingNewest()
    {
        var last = _contents.Segments.Count > 0 ? _contents.Segments[^1].Index : 0;
        if (_mark is not { } mark || mark.Segment <= last)
        {
            return null;
        }

        return Lost(Path.Combine(_directory, WalSegment.FileName(last + 1)), 0,
            $"segment missing (the durable mark names segment {mark.Segment}, the log ends at segment {last})", _contents.Segments.Count, 0);
    }

    private static WalLoss Lost(string path, long offset, string reason, int firstDamaged, long intactBytes) =>
        new(path, offset, reason) { FirstDamagedSegment = firstDamaged, IntactBytes = intactBytes };

    private void Apply(WalRecordType type, ReadOnlySpan<byte> payload, WalSegment segment, long offset)
    {
        try
        {
            switch (type)
            {
                case WalRecordType.HardState:
                    _contents.HardState = WalFormat.ReadHardState(payload, out var incarnations);
                    _contents.Incarnations = incarnations;
                    _contents.HardStateAt = (segment.Path, offset);
                    break;
                case WalRecordType.Entry:
                    var entry = WalFormat.ReadEntry(payload);
                    _contents.Entries.Add(entry);
                    segment.MaxSlot = Math.Max(segment.MaxSlot, entry.Slot);
                    break;
                case WalRecordType.SnapshotMarker:
                    _contents.SnapshotMarker = Math.Max(_contents.SnapshotMarker, WalFormat.ReadSnapshotMarker(payload));
                    break;
            }
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentOutOfRangeException)
        {
            // The CRC matched, so this is a writer bug, a newer writer or deliberate tampering, never a torn write or lost data.
            throw new WalCorruptionException($"{segment.Path}: undecodable {type} record at offset {offset}: {e.Message}", e);
        }
    }

    /// <summary>True when some intact frame starts anywhere after a damaged one: then it is not a torn tail.</summary>
    private static bool HasIntactFrameAfter(byte[] bytes, long damagedAt)
    {
        for (var offset = (int)damagedAt + 1; offset <= bytes.Length - WalFormat.HeaderSize; offset++)
        {
            if (WalFormat.TryReadFrame(bytes.AsSpan(offset), out _, out _) > 0)
            {
                return true;
            }
        }

        return false;
    }

    private static void TruncateTornTail(IStorageFiles files, string path, long offset, long length, ILogger logger)
    {
        LogTornTail(logger, path, offset, length);
        using var file = files.OpenExisting(path);
        file.SetLength(offset);
        file.DataSync();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Write-ahead log {Path} ends in a torn record at offset {Offset}; cutting off {Length} bytes that were never reported durable")]
    private static partial void LogTornTail(ILogger logger, string path, long offset, long length);
}
