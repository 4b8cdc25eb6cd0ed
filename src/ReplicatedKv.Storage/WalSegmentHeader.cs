using System.Buffers.Binary;

namespace ReplicatedKv.Storage;

/// <summary>
/// The fixed header that opens every segment written in format 2:
/// <c>[u32 magic "RKVW"][u16 version][u16 header size][u64 cluster hash][u64 node hash][u64 segment index]
/// [u64 first record][u32 CRC-32C of the bytes before it]</c>, little-endian. "First record" is the running
/// number of the segment's first record: the previous segment's first record plus its record count, so a
/// segment that lost records at its end no longer meets the next one. Format 1 segments (no header, records
/// from byte 0) are still read; the magic, read as a format 1 record length, exceeds
/// <see cref="WalFormat.MaxPayload"/>, so neither format can be mistaken for the other.
/// </summary>
internal readonly record struct WalSegmentHeader(WalIdentity Identity, long Index, long FirstRecord)
{
    public const int Size = 44;

    public const ushort CurrentVersion = 2;

    private const uint Magic = 0x57564B52; // "RKVW"

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), CurrentVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), Size);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), Identity.Cluster);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), Identity.Node);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(24), Index);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(32), FirstRecord);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(40), Crc32C.Compute(bytes.AsSpan(0, 40)));
        return bytes;
    }

    /// <summary>True when the segment opens with the format 2 magic; otherwise it is a format 1 segment.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> segment) =>
        segment.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(segment) == Magic;

    /// <summary>The version field of a segment that <see cref="HasMagic"/>, or 0 when too short to hold one.</summary>
    public static int VersionOf(ReadOnlySpan<byte> segment) => segment.Length >= 6 ? BinaryPrimitives.ReadUInt16LittleEndian(segment[4..]) : 0;

    /// <summary>
    /// True when the header checks out by its own layout: its size field, and a CRC-32C of the bytes before it in
    /// the header's last four bytes, which every version keeps. A version field that fails this is a damaged
    /// header (one flipped bit makes format 2 read as format 3 or 1026), not a newer build's segment.
    /// </summary>
    public static bool IsIntactOfAnyVersion(ReadOnlySpan<byte> segment)
    {
        var size = segment.Length >= 8 ? BinaryPrimitives.ReadUInt16LittleEndian(segment[6..]) : 0;
        return size >= 12 && segment.Length >= size &&
               BinaryPrimitives.ReadUInt32LittleEndian(segment[(size - 4)..]) == Crc32C.Compute(segment[..(size - 4)]);
    }

    /// <summary>Decodes a format 2 header; false when it is short or its CRC does not match.</summary>
    public static bool TryRead(ReadOnlySpan<byte> segment, out WalSegmentHeader header)
    {
        header = default;
        if (segment.Length < Size || !HasMagic(segment) || BinaryPrimitives.ReadUInt16LittleEndian(segment[6..]) != Size ||
            BinaryPrimitives.ReadUInt32LittleEndian(segment[40..]) != Crc32C.Compute(segment[..40]))
        {
            return false;
        }

        header = new WalSegmentHeader(
            new WalIdentity(BinaryPrimitives.ReadUInt64LittleEndian(segment[8..]), BinaryPrimitives.ReadUInt64LittleEndian(segment[16..])),
            BinaryPrimitives.ReadInt64LittleEndian(segment[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(segment[32..]));
        return true;
    }
}
