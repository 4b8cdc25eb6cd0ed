using System.Buffers;
using System.Buffers.Binary;
using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage;

/// <summary>
/// The on-disk record frame and payloads. A frame is
/// <c>[u32 payload length][u32 CRC-32C of (length, type, payload)][u8 type][payload]</c>, little-endian;
/// the CRC covers the length so a torn or flipped length is caught too.
/// </summary>
public static class WalFormat
{
    public const int HeaderSize = 9;

    /// <summary>Largest payload a frame may claim; anything bigger is damage, not data.</summary>
    public const int MaxPayload = 256 << 20;

    /// <summary>Bytes a hard state record takes on disk.</summary>
    public const int HardStateFrameSize = HeaderSize + 28;

    /// <summary>Bytes an entry record takes on disk, frame included. Throws for an entry above <see cref="MaxPayload"/>.</summary>
    public static int EntryFrameSize(LogEntry entry)
    {
        var payload = 24L + (4L * entry.Value.Commands.Count) + entry.Value.PayloadBytes;
        if (payload > MaxPayload)
        {
            // Recovery would read such a frame as damage: refuse it here, before anyone thinks it durable.
            throw new ArgumentException($"entry for slot {entry.Slot} is {payload} bytes; a log record holds at most {MaxPayload}", nameof(entry));
        }

        return HeaderSize + (int)payload;
    }

    /// <summary>Hard state flag: the replica is rejoining and does not vote yet (<see cref="HardState.Rejoining"/>).</summary>
    private const ulong RejoiningFlag = 1;

    /// <summary>Hard state flag: a probing replica found the cluster brand new (<see cref="HardState.Bootstrapped"/>).</summary>
    private const ulong BootstrappedFlag = 2;

    private const ulong KnownFlags = RejoiningFlag | BootstrappedFlag;

    /// <summary>
    /// Hard state payload: promised round (i64), promised node (i32), decided index (i64), flags (u64). Records
    /// written before the flags existed hold 0 there, which reads as a voter, as they meant.
    /// </summary>
    public static void WriteHardState(IBufferWriter<byte> writer, HardState state)
    {
        Span<byte> payload = stackalloc byte[28];
        BinaryPrimitives.WriteInt64LittleEndian(payload, state.Promised.Round);
        BinaryPrimitives.WriteInt32LittleEndian(payload[8..], state.Promised.NodeId);
        BinaryPrimitives.WriteInt64LittleEndian(payload[12..], state.DecidedIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[20..], (state.Rejoining ? RejoiningFlag : 0) | (state.Bootstrapped ? BootstrappedFlag : 0));
        WriteFrame(writer, WalRecordType.HardState, payload);
    }

    public static void WriteSnapshotMarker(IBufferWriter<byte> writer, long slot)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(payload, slot);
        WriteFrame(writer, WalRecordType.SnapshotMarker, payload);
    }

    /// <summary>Entry payload: slot, ballot round, ballot node, command count, then each command as length + bytes.</summary>
    public static void WriteEntry(IBufferWriter<byte> writer, LogEntry entry)
    {
        var commands = entry.Value.Commands;
        var payloadLength = EntryFrameSize(entry) - HeaderSize;
        var frame = writer.GetSpan(HeaderSize + payloadLength);
        var payload = frame.Slice(HeaderSize, payloadLength);
        BinaryPrimitives.WriteInt64LittleEndian(payload, entry.Slot);
        BinaryPrimitives.WriteInt64LittleEndian(payload[8..], entry.Ballot.Round);
        BinaryPrimitives.WriteInt32LittleEndian(payload[16..], entry.Ballot.NodeId);
        BinaryPrimitives.WriteInt32LittleEndian(payload[20..], commands.Count);
        var offset = 24;
        for (var i = 0; i < commands.Count; i++)
        {
            var command = commands[i].Span;
            BinaryPrimitives.WriteInt32LittleEndian(payload[offset..], command.Length);
            command.CopyTo(payload[(offset + 4)..]);
            offset += 4 + command.Length;
        }

        FinishFrame(frame, WalRecordType.Entry, payloadLength);
        writer.Advance(HeaderSize + payloadLength);
    }

    /// <summary>
    /// Decodes a hard state. A flag this version does not know is refused rather than dropped: it could only come
    /// from a newer writer, and silently clearing, say, the rejoining flag would let a node vote too early.
    /// </summary>
    public static HardState ReadHardState(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != 28)
        {
            throw new InvalidDataException($"hard state record is {payload.Length} bytes, not 28");
        }

        var flags = BinaryPrimitives.ReadUInt64LittleEndian(payload[20..]);
        if ((flags & ~KnownFlags) != 0)
        {
            throw new InvalidDataException($"hard state record has unknown flags 0x{flags:x}");
        }

        return new HardState(
            new Ballot(BinaryPrimitives.ReadInt64LittleEndian(payload), BinaryPrimitives.ReadInt32LittleEndian(payload[8..])),
            BinaryPrimitives.ReadInt64LittleEndian(payload[12..]),
            Rejoining: (flags & RejoiningFlag) != 0,
            Bootstrapped: (flags & BootstrappedFlag) != 0);
    }

    public static long ReadSnapshotMarker(ReadOnlySpan<byte> payload) => BinaryPrimitives.ReadInt64LittleEndian(payload);

    /// <summary>Decodes an entry; the commands are copied out so the read buffer can be reused.</summary>
    public static LogEntry ReadEntry(ReadOnlySpan<byte> payload)
    {
        var slot = BinaryPrimitives.ReadInt64LittleEndian(payload);
        var ballot = new Ballot(BinaryPrimitives.ReadInt64LittleEndian(payload[8..]), BinaryPrimitives.ReadInt32LittleEndian(payload[16..]));
        var count = BinaryPrimitives.ReadInt32LittleEndian(payload[20..]);
        if (count < 0 || count > (payload.Length - 24) / 4)
        {
            throw new InvalidDataException($"entry for slot {slot} claims {count} commands");
        }

        var commands = new ReadOnlyMemory<byte>[count];
        var offset = 24;
        for (var i = 0; i < count; i++)
        {
            // A long command before it can leave too few bytes for the next one's length; and "offset + 4 + length"
            // overflows for a length near int.MaxValue, so what is left is compared instead.
            var length = offset + 4 <= payload.Length ? BinaryPrimitives.ReadInt32LittleEndian(payload[offset..]) : -1;
            if (length < 0 || length > payload.Length - offset - 4)
            {
                throw new InvalidDataException($"entry for slot {slot} has a command overrunning the record");
            }

            commands[i] = payload.Slice(offset + 4, length).ToArray();
            offset += 4 + length;
        }

        return new LogEntry(slot, ballot, count == 0 ? SlotValue.NoOp : new SlotValue(commands));
    }

    private static void WriteFrame(IBufferWriter<byte> writer, WalRecordType type, ReadOnlySpan<byte> payload)
    {
        var frame = writer.GetSpan(HeaderSize + payload.Length);
        payload.CopyTo(frame[HeaderSize..]);
        FinishFrame(frame, type, payload.Length);
        writer.Advance(HeaderSize + payload.Length);
    }

    private static void FinishFrame(Span<byte> frame, WalRecordType type, int payloadLength)
    {
        BinaryPrimitives.WriteInt32LittleEndian(frame, payloadLength);
        frame[8] = (byte)type;
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], FrameCrc(frame[..(HeaderSize + payloadLength)]));
    }

    /// <summary>CRC over the length, the type and the payload (everything but the CRC field itself).</summary>
    internal static uint FrameCrc(ReadOnlySpan<byte> frame)
    {
        var crc = Crc32C.Append(~0u, frame[..4]);
        return ~Crc32C.Append(crc, frame[8..]);
    }

    /// <summary>
    /// Parses the frame at the start of <paramref name="data"/>. Returns its total size, or 0 when the bytes
    /// there are not a whole, intact frame (partial, bad CRC, unknown type or absurd length).
    /// </summary>
    public static int TryReadFrame(ReadOnlySpan<byte> data, out WalRecordType type, out ReadOnlySpan<byte> payload)
    {
        type = default;
        payload = default;
        if (data.Length < HeaderSize)
        {
            return 0;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(data);
        var candidate = (WalRecordType)data[8];
        if (length < 0 || length > MaxPayload || length > data.Length - HeaderSize || !Enum.IsDefined(candidate))
        {
            return 0;
        }

        var frame = data[..(HeaderSize + length)];
        if (BinaryPrimitives.ReadUInt32LittleEndian(data[4..]) != FrameCrc(frame))
        {
            return 0;
        }

        type = candidate;
        payload = frame[HeaderSize..];
        return frame.Length;
    }
}
