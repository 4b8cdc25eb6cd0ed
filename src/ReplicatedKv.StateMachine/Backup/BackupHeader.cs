using System.Buffers.Binary;
using System.Text;

namespace ReplicatedKv.StateMachine.Backup;

/// <summary>
/// What a backup file says about itself, before its payload: which cluster and node it came from, and the applied
/// slot, revision and key count of the state it holds (the payload's own header repeats the last three; they must agree).
/// </summary>
public sealed record BackupHeader(string ClusterId, string NodeId, long AppliedSlot, ulong Revision, long KeyCount, DateTimeOffset Created)
{
    /// <summary>Magic, format, slot, revision, key count, creation time, and the two string lengths.</summary>
    internal const int FixedLength = 8 + 1 + 8 + 8 + 8 + 8 + 2 + 2;

    internal const byte Format = 1;

    internal static ReadOnlySpan<byte> Magic => "RKVBACKP"u8;

    /// <summary>The header's bytes: <c>[8 "RKVBACKP"][u8 1][i64 slot][u64 revision][i64 keys][i64 created, unix ms][u16 n][cluster id][u16 m][node id]</c>, little-endian.</summary>
    internal byte[] ToBytes()
    {
        var cluster = Encoding.UTF8.GetBytes(ClusterId);
        var node = Encoding.UTF8.GetBytes(NodeId);
        if (cluster.Length > ushort.MaxValue || node.Length > ushort.MaxValue)
        {
            throw new ArgumentException("cluster id or node id too long for a backup header");
        }

        var bytes = new byte[FixedLength + cluster.Length + node.Length];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        span[8] = Format;
        BinaryPrimitives.WriteInt64LittleEndian(span[9..], AppliedSlot);
        BinaryPrimitives.WriteUInt64LittleEndian(span[17..], Revision);
        BinaryPrimitives.WriteInt64LittleEndian(span[25..], KeyCount);
        BinaryPrimitives.WriteInt64LittleEndian(span[33..], Created.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteUInt16LittleEndian(span[41..], (ushort)cluster.Length);
        cluster.CopyTo(span[43..]);
        BinaryPrimitives.WriteUInt16LittleEndian(span[(43 + cluster.Length)..], (ushort)node.Length);
        node.CopyTo(span[(45 + cluster.Length)..]);
        return bytes;
    }

    /// <summary>Reads a header from the start of <paramref name="stream"/>; returns it and its length in bytes.</summary>
    internal static (BackupHeader Header, int Length) Read(Stream stream)
    {
        var fixedPart = new byte[FixedLength - 2];
        ReadExactly(stream, fixedPart);
        if (!fixedPart.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new BackupFileException("not a ReplicatedKv backup file (bad magic)");
        }

        if (fixedPart[8] != Format)
        {
            throw new BackupFileException($"unknown backup file format {fixedPart[8]}");
        }

        var slot = BinaryPrimitives.ReadInt64LittleEndian(fixedPart.AsSpan(9));
        var revision = BinaryPrimitives.ReadUInt64LittleEndian(fixedPart.AsSpan(17));
        var keys = BinaryPrimitives.ReadInt64LittleEndian(fixedPart.AsSpan(25));
        var created = BinaryPrimitives.ReadInt64LittleEndian(fixedPart.AsSpan(33));
        var cluster = ReadString(stream, BinaryPrimitives.ReadUInt16LittleEndian(fixedPart.AsSpan(41)));
        var lengthBytes = new byte[2];
        ReadExactly(stream, lengthBytes);
        var nodeLength = BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes);
        var node = ReadString(stream, nodeLength);
        if (slot < 0 || keys < 0 || created < 0)
        {
            throw new BackupFileException($"implausible backup header (slot {slot}, {keys} keys)");
        }

        var header = new BackupHeader(cluster, node, slot, revision, keys, DateTimeOffset.FromUnixTimeMilliseconds(created));
        return (header, FixedLength + Encoding.UTF8.GetByteCount(cluster) + nodeLength);
    }

    private static string ReadString(Stream stream, int length)
    {
        var bytes = new byte[length];
        ReadExactly(stream, bytes);
        return StrictUtf8.TryDecode(bytes) ?? throw new BackupFileException("the backup header's cluster or node id is not UTF-8");
    }

    private static void ReadExactly(Stream stream, byte[] buffer)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new BackupFileException("the file ends inside its header (truncated)", e);
        }
    }
}
