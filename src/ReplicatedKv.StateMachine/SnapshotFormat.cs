using System.Buffers.Binary;

namespace ReplicatedKv.StateMachine;

/// <summary>
/// The snapshot payload layout, version 2:
/// <code>
/// header   [8 "RKVSTATE"][u8 format = 2][i64 applied slot][u64 revision][i64 key count]   (little-endian)
/// per key  [varint key length][key, UTF-8][varint mod revision][varint create revision][varint version]
///          [varint value length][value]
///          [varint client count]
/// per client, least recently active first
///          [varint client id length][client id, UTF-8][varint sequence][u8 status][varint result version][varint last active revision]
/// trailer  [8 "RKVSTEND"]
/// </code>
/// Keys come in no particular order (two replicas in the same state may write different bytes; compare them
/// with the state hash). The payload must end at the trailer: restore reads its stream to the end.
/// Format 1 (before per-key versions) has no create revision or version per key; it still loads, and each key
/// gets version 1 and create revision = its mod revision, the history a format-1 state can still vouch for.
/// </summary>
internal static class SnapshotFormat
{
    public const byte Version = 2;

    /// <summary>The format before per-key create revisions and versions.</summary>
    public const byte VersionWithoutKeyVersions = 1;

    public const int HeaderLength = 8 + 1 + 8 + 8 + 8;

    public const int TrailerLength = 8;

    /// <summary>Read and write buffer size: large enough that the stream sees few, big calls.</summary>
    public const int BufferSize = 1 << 16;

    public static ReadOnlySpan<byte> Magic => "RKVSTATE"u8;

    public static ReadOnlySpan<byte> Trailer => "RKVSTEND"u8;

    public static int MaxEntryHeaderLength(int keyByteCount) => keyByteCount + (5 * Varint.MaxLength);

    public static int MaxSessionLength(int clientIdByteCount) => clientIdByteCount + 1 + (4 * Varint.MaxLength);

    public static void WriteHeader(Span<byte> destination, long appliedSlot, ulong revision, long keyCount)
    {
        Magic.CopyTo(destination);
        destination[8] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(destination[9..], appliedSlot);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[17..], revision);
        BinaryPrimitives.WriteInt64LittleEndian(destination[25..], keyCount);
    }

    public static void ReadHeader(ReadOnlySpan<byte> source, out byte format, out long appliedSlot, out ulong revision, out long keyCount)
    {
        if (!source[..8].SequenceEqual(Magic))
        {
            throw new SnapshotFormatException("not a state machine snapshot (bad magic)");
        }

        format = source[8];
        if (format is not (Version or VersionWithoutKeyVersions))
        {
            throw new SnapshotFormatException($"unknown snapshot format {format}");
        }

        appliedSlot = BinaryPrimitives.ReadInt64LittleEndian(source[9..]);
        revision = BinaryPrimitives.ReadUInt64LittleEndian(source[17..]);
        keyCount = BinaryPrimitives.ReadInt64LittleEndian(source[25..]);
        if (appliedSlot < 0 || keyCount < 0 || keyCount > int.MaxValue)
        {
            throw new SnapshotFormatException($"implausible snapshot header (slot {appliedSlot}, {keyCount} keys)");
        }
    }

    /// <summary>Writes everything of an entry but the value bytes; returns the length written.</summary>
    public static int WriteEntryHeader(Span<byte> destination, string key, int keyByteCount, in VersionedValue entry)
    {
        var position = Varint.Write(destination, (ulong)keyByteCount);
        position += StrictUtf8.Encoding.GetBytes(key, destination[position..]);
        position += Varint.Write(destination[position..], entry.Version);
        position += Varint.Write(destination[position..], entry.CreateRevision);
        position += Varint.Write(destination[position..], entry.KeyVersion);
        return position + Varint.Write(destination[position..], (ulong)entry.Value.Length);
    }

    /// <summary>Parses an entry's header; false when <paramref name="source"/> ends before it does.</summary>
    /// <remarks>The entry comes back with an empty value; format 1 entries get version 1 and create revision = mod revision.</remarks>
    public static bool TryReadEntryHeader(ReadOnlySpan<byte> source, byte format, out string key, out VersionedValue entry, out int valueLength, out int headerLength)
    {
        entry = default;
        valueLength = 0;
        headerLength = 0;
        var cursor = source;
        if (!TryReadString(ref cursor, out key) || !TryReadNumber(ref cursor, out var modRevision))
        {
            return false;
        }

        ulong createRevision = modRevision, keyVersion = 1;
        if (format != VersionWithoutKeyVersions && (!TryReadNumber(ref cursor, out createRevision) || !TryReadNumber(ref cursor, out keyVersion)))
        {
            return false;
        }

        if (!TryReadNumber(ref cursor, out var length))
        {
            return false;
        }

        entry = new VersionedValue([], modRevision, createRevision, keyVersion);

        valueLength = length <= (ulong)Array.MaxLength ? (int)length : throw new SnapshotFormatException($"implausible value length {length} for key '{key}'");
        headerLength = source.Length - cursor.Length;
        return true;
    }

    public static int WriteSession(Span<byte> destination, in ClientSession session, int clientIdByteCount)
    {
        var position = Varint.Write(destination, (ulong)clientIdByteCount);
        position += StrictUtf8.Encoding.GetBytes(session.ClientId, destination[position..]);
        position += Varint.Write(destination[position..], session.Sequence);
        destination[position++] = (byte)session.Result.Status;
        position += Varint.Write(destination[position..], session.Result.Version);
        return position + Varint.Write(destination[position..], session.LastActiveRevision);
    }

    /// <summary>Parses a client entry; false when <paramref name="source"/> ends before it does.</summary>
    public static bool TryReadSession(ReadOnlySpan<byte> source, out ClientSession session, out int length)
    {
        session = default;
        length = 0;
        var cursor = source;
        if (!TryReadString(ref cursor, out var clientId) || !TryReadNumber(ref cursor, out var sequence) || cursor.IsEmpty)
        {
            return false;
        }

        var status = (CommandStatus)cursor[0];
        if (!Enum.IsDefined(status))
        {
            throw new SnapshotFormatException($"unknown result status {cursor[0]} for client '{clientId}'");
        }

        cursor = cursor[1..];
        if (!TryReadNumber(ref cursor, out var resultVersion) || !TryReadNumber(ref cursor, out var lastActive))
        {
            return false;
        }

        session = new ClientSession(clientId, sequence, new CommandResult(status, resultVersion), lastActive);
        length = source.Length - cursor.Length;
        return true;
    }

    /// <summary>Reads a number; false when the bytes run out first; throws on a malformed one.</summary>
    public static bool TryReadNumber(ref ReadOnlySpan<byte> source, out ulong value)
    {
        var consumed = Varint.TryRead(source, out value);
        if (consumed == Varint.Malformed)
        {
            throw new SnapshotFormatException("malformed number");
        }

        if (consumed == Varint.Incomplete)
        {
            return false;
        }

        source = source[consumed..];
        return true;
    }

    private static bool TryReadString(ref ReadOnlySpan<byte> source, out string text)
    {
        text = string.Empty;
        var cursor = source;
        if (!TryReadNumber(ref cursor, out var length))
        {
            return false;
        }

        if (length > (ulong)Array.MaxLength)
        {
            throw new SnapshotFormatException($"implausible string length {length}");
        }

        if ((ulong)cursor.Length < length)
        {
            return false;
        }

        text = StrictUtf8.TryDecode(cursor[..(int)length]) ?? throw new SnapshotFormatException("a key or client id is not valid UTF-8");
        source = cursor[(int)length..];
        return true;
    }
}
