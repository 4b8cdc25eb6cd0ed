using Microsoft.Extensions.Logging;

namespace ReplicatedKv.Storage;

/// <summary>
/// Reads every segment back. A damaged record at the very end of the newest segment is a write torn by a
/// crash: it was never reported durable, so it is cut off (with a warning). Damage anywhere else, or
/// followed by any intact record, is corruption: recovery refuses, naming the file and offset.
/// </summary>
internal static partial class WalRecovery
{
    public static WalContents Read(IStorageFiles files, string directory, ILogger logger)
    {
        var contents = new WalContents();
        foreach (var stale in files.List(directory, ".wal.tmp"))
        {
            // A segment whose creation a crash interrupted: it was never renamed into place, so never used.
            files.Delete(stale);
        }

        var paths = files.List(directory, ".wal");
        for (var i = 0; i < paths.Count; i++)
        {
            var path = paths[i];
            if (!long.TryParse(Path.GetFileNameWithoutExtension(path), out var index))
            {
                throw new WalCorruptionException($"{path}: not a log segment name");
            }

            var segment = new WalSegment(index, path);
            ReadSegment(files, segment, isNewest: i == paths.Count - 1, contents, logger);
            contents.Segments.Add(segment);
        }

        return contents;
    }

    private static void ReadSegment(IStorageFiles files, WalSegment segment, bool isNewest, WalContents contents, ILogger logger)
    {
        var bytes = files.ReadAll(segment.Path);
        var offset = 0;
        while (offset < bytes.Length)
        {
            var size = WalFormat.TryReadFrame(bytes.AsSpan(offset), out var type, out var payload);
            if (size == 0)
            {
                if (!isNewest || HasIntactFrameAfter(bytes, offset))
                {
                    throw new WalCorruptionException($"{segment.Path}: corrupt record at offset {offset}");
                }

                TruncateTornTail(files, segment.Path, offset, bytes.Length - offset, logger);
                contents.TruncatedBytes = bytes.Length - offset;
                break;
            }

            Apply(type, payload, segment, contents, offset);
            if (offset == 0)
            {
                segment.HasHeader = type == WalRecordType.HardState;
            }

            offset += size;
        }

        segment.Length = offset;
    }

    private static void Apply(WalRecordType type, ReadOnlySpan<byte> payload, WalSegment segment, WalContents contents, int offset)
    {
        try
        {
            switch (type)
            {
                case WalRecordType.HardState:
                    contents.HardState = WalFormat.ReadHardState(payload);
                    break;
                case WalRecordType.Entry:
                    var entry = WalFormat.ReadEntry(payload);
                    contents.Entries.Add(entry);
                    segment.MaxSlot = Math.Max(segment.MaxSlot, entry.Slot);
                    break;
                case WalRecordType.SnapshotMarker:
                    contents.SnapshotMarker = Math.Max(contents.SnapshotMarker, WalFormat.ReadSnapshotMarker(payload));
                    break;
            }
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentOutOfRangeException)
        {
            // The CRC matched, so this is a writer bug or deliberate tampering, never a torn write.
            throw new WalCorruptionException($"{segment.Path}: undecodable {type} record at offset {offset}: {e.Message}", e);
        }
    }

    /// <summary>True when some intact frame starts anywhere after a damaged one: then it is not a torn tail.</summary>
    private static bool HasIntactFrameAfter(byte[] bytes, int damagedAt)
    {
        for (var offset = damagedAt + 1; offset <= bytes.Length - WalFormat.HeaderSize; offset++)
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
