using System.Buffers.Binary;

namespace ReplicatedKv.Storage;

/// <summary>
/// The log's record of how far it is known durable: "segment S held at least L bytes after an fdatasync". Recovery
/// uses it to tell a torn tail (damage past the mark: never reported durable, cut off) from lost durable records
/// (damage or a shortfall before it: the node lost promises and acceptances).
/// </summary>
/// <remarks>
/// File <c>durable.mark</c> beside the segments holds two 32-byte slots, each
/// <c>[u32 magic "RKMK"][u16 version][u16 0][u64 segment index][u64 length][u32 CRC-32C of the bytes before it]</c>.
/// The writer alternates slots, so a write torn by a crash leaves the other, older one readable; the reader takes
/// the furthest valid slot. Written, without an fsync, after every successful log fsync (a mark never names bytes
/// that were not durable first, and an unsynced mark can only be lost, making recovery more lenient, never wrong);
/// fsynced at open, at each segment roll and at close. So the hot path keeps one fsync per batch, and the mark
/// lags the log by at most what the OS had not yet written back when the power went.
/// </remarks>
internal sealed class WalDurableMark : IDisposable
{
    public const string FileName = "durable.mark";

    private const int SlotSize = 32;
    private const uint Magic = 0x4B4D4B52; // "RKMK"
    private const ushort Version = 1;

    private readonly IStorageFile _file;
    private readonly byte[] _slot = new byte[SlotSize];
    private int _nextSlot;

    private WalDurableMark(IStorageFile file)
    {
        _file = file;
    }

    /// <summary>Opens the mark file of <paramref name="directory"/>, creating it (durably) when missing.</summary>
    public static WalDurableMark Open(IStorageFiles files, string directory)
    {
        var path = Path.Combine(directory, FileName);
        try
        {
            return new WalDurableMark(files.OpenExisting(path));
        }
        catch (FileNotFoundException)
        {
            var file = files.Create(path);
            files.SyncDirectory(directory);
            return new WalDurableMark(file);
        }
    }

    /// <summary>The furthest valid position recorded in <paramref name="directory"/>, or null when there is none.</summary>
    public static (long Segment, long Length)? Read(IStorageFiles files, string directory)
    {
        byte[] bytes;
        try
        {
            bytes = files.ReadAll(Path.Combine(directory, FileName));
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        (long Segment, long Length)? best = null;
        for (var offset = 0; offset + SlotSize <= bytes.Length && offset < 2 * SlotSize; offset += SlotSize)
        {
            var slot = bytes.AsSpan(offset, SlotSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(slot) != Magic || BinaryPrimitives.ReadUInt16LittleEndian(slot[4..]) != Version ||
                BinaryPrimitives.ReadUInt32LittleEndian(slot[24..]) != Crc32C.Compute(slot[..24]))
            {
                continue;
            }

            var position = (BinaryPrimitives.ReadInt64LittleEndian(slot[8..]), BinaryPrimitives.ReadInt64LittleEndian(slot[16..]));
            if (best is null || position.CompareTo(best.Value) > 0)
            {
                best = position;
            }
        }

        return best;
    }

    /// <summary>Records the position in the next slot without an fsync. May throw <see cref="IOException"/>.</summary>
    public void Write(long segment, long length)
    {
        // One reused buffer: this runs after every fsync of the log.
        Fill(_slot, segment, length);
        _file.Write(_nextSlot * SlotSize, _slot);
        _nextSlot ^= 1;
    }

    /// <summary>
    /// Records the position in both slots and fsyncs: used when the position may move backwards (after a repair),
    /// where a stale slot further on would otherwise win.
    /// </summary>
    public void WriteDurable(long segment, long length)
    {
        var both = new byte[2 * SlotSize];
        Fill(both.AsSpan(0, SlotSize), segment, length);
        Fill(both.AsSpan(SlotSize), segment, length);
        _file.Write(0, both);
        _file.DataSync();
    }

    public void Dispose() => _file.Dispose();

    private static void Fill(Span<byte> slot, long segment, long length)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(slot, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(slot[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(slot[6..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(slot[8..], segment);
        BinaryPrimitives.WriteInt64LittleEndian(slot[16..], length);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[24..], Crc32C.Compute(slot[..24]));
    }
}
