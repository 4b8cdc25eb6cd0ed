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

    /// <summary>Bytes a hard state record takes on disk with no incarnation section (id 0, no records).</summary>
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

    /// <summary>Bytes a hard state record with this incarnation id and table takes on disk.</summary>
    public static int HardStateFrameSizeOf(HardState state, IncarnationTable? incarnations) =>
        HeaderSize + HardStateBaseSize + (HasIncarnationSection(state, incarnations)
            ? IncarnationSectionHeaderSize + (IncarnationRecordSize * (incarnations?.Records.Count ?? 0))
            : 0);

    private const int HardStateBaseSize = 28;

    /// <summary>Version (u8), incarnation id (u64), record count (u32).</summary>
    private const int IncarnationSectionHeaderSize = 13;

    /// <summary>Member (i32), fence round (i64), fence node (i32), fence slot (i64), probe generation (i64), id (u64).</summary>
    private const int IncarnationRecordSize = 44;

    /// <summary>The only incarnation section layout so far; a newer one is refused, not misread.</summary>
    private const byte IncarnationSectionVersion = 1;

    private static bool HasIncarnationSection(HardState state, IncarnationTable? incarnations) =>
        state.Incarnation != 0 || incarnations is { Records.Count: > 0 };

    /// <summary>
    /// Hard state payload: promised round (i64), promised node (i32), decided index (i64), flags (u64). Records
    /// written before the flags existed hold 0 there, which reads as a voter, as they meant. Then, only when the
    /// replica has an incarnation id or records (DESIGN.md, "Incarnations"), the incarnation section: version (u8),
    /// id (u64), record count (u32), records. Without one the record is byte for byte the older 28-byte format, which
    /// reads as id 0 and an empty table. The table is part of the durable acceptor state, so every hard state record
    /// carries the whole table: the latest record is the whole truth, as before.
    /// </summary>
    public static void WriteHardState(IBufferWriter<byte> writer, HardState state, IncarnationTable? incarnations = null)
    {
        var size = HardStateFrameSizeOf(state, incarnations) - HeaderSize;
        var frame = writer.GetSpan(HeaderSize + size);
        var payload = frame.Slice(HeaderSize, size);
        BinaryPrimitives.WriteInt64LittleEndian(payload, state.Promised.Round);
        BinaryPrimitives.WriteInt32LittleEndian(payload[8..], state.Promised.NodeId);
        BinaryPrimitives.WriteInt64LittleEndian(payload[12..], state.DecidedIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[20..], (state.Rejoining ? RejoiningFlag : 0) | (state.Bootstrapped ? BootstrappedFlag : 0));
        if (HasIncarnationSection(state, incarnations))
        {
            var records = incarnations?.Records ?? [];
            var section = payload[HardStateBaseSize..];
            section[0] = IncarnationSectionVersion;
            BinaryPrimitives.WriteUInt64LittleEndian(section[1..], state.Incarnation);
            BinaryPrimitives.WriteInt32LittleEndian(section[9..], records.Count);
            var offset = IncarnationSectionHeaderSize;
            foreach (var record in records)
            {
                var r = section[offset..];
                BinaryPrimitives.WriteInt32LittleEndian(r, record.Member);
                BinaryPrimitives.WriteInt64LittleEndian(r[4..], record.Stamp.FenceBallot.Round);
                BinaryPrimitives.WriteInt32LittleEndian(r[12..], record.Stamp.FenceBallot.NodeId);
                BinaryPrimitives.WriteInt64LittleEndian(r[16..], record.Stamp.FenceSlot);
                BinaryPrimitives.WriteInt64LittleEndian(r[24..], record.Stamp.ProbeGeneration);
                BinaryPrimitives.WriteUInt64LittleEndian(r[32..], record.Id);
                offset += IncarnationRecordSize;
            }
        }

        FinishFrame(frame, WalRecordType.HardState, size);
        writer.Advance(HeaderSize + size);
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

    /// <summary>Decodes a hard state, dropping the incarnation table (see the overload).</summary>
    public static HardState ReadHardState(ReadOnlySpan<byte> payload) => ReadHardState(payload, out _);

    /// <summary>
    /// Decodes a hard state and its incarnation table (empty for a record without the section). A flag or section
    /// version this version does not know is refused rather than dropped: it could only come from a newer writer,
    /// and silently clearing, say, the rejoining flag would let a node vote too early. A record that does not hold
    /// a table a replica could have (a malformed record, a member twice) is refused as damage.
    /// </summary>
    public static HardState ReadHardState(ReadOnlySpan<byte> payload, out IncarnationTable incarnations)
    {
        if (payload.Length < HardStateBaseSize || (payload.Length > HardStateBaseSize && payload.Length < HardStateBaseSize + IncarnationSectionHeaderSize))
        {
            throw new InvalidDataException($"hard state record is {payload.Length} bytes, not 28 or a whole incarnation section more");
        }

        var flags = BinaryPrimitives.ReadUInt64LittleEndian(payload[20..]);
        if ((flags & ~KnownFlags) != 0)
        {
            throw new InvalidDataException($"hard state record has unknown flags 0x{flags:x}");
        }

        var incarnation = 0UL;
        incarnations = IncarnationTable.Empty;
        if (payload.Length > HardStateBaseSize)
        {
            incarnation = ReadIncarnationSection(payload[HardStateBaseSize..], out incarnations);
        }

        return new HardState(
            new Ballot(BinaryPrimitives.ReadInt64LittleEndian(payload), BinaryPrimitives.ReadInt32LittleEndian(payload[8..])),
            BinaryPrimitives.ReadInt64LittleEndian(payload[12..]),
            Rejoining: (flags & RejoiningFlag) != 0,
            Bootstrapped: (flags & BootstrappedFlag) != 0,
            Incarnation: incarnation);
    }

    private static ulong ReadIncarnationSection(ReadOnlySpan<byte> section, out IncarnationTable incarnations)
    {
        if (section[0] != IncarnationSectionVersion)
        {
            throw new InvalidDataException($"hard state record has incarnation section version {section[0]}, which this version cannot read");
        }

        var incarnation = BinaryPrimitives.ReadUInt64LittleEndian(section[1..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(section[9..]);
        if (count < 0 || (long)count * IncarnationRecordSize != section.Length - IncarnationSectionHeaderSize)
        {
            throw new InvalidDataException($"hard state record claims {count} incarnation records in {section.Length - IncarnationSectionHeaderSize} bytes");
        }

        if (incarnation == 0 && count == 0)
        {
            // The writer leaves the section out then (the older format): one that holds nothing is not what it wrote.
            throw new InvalidDataException("hard state record has an empty incarnation section");
        }

        var records = new IncarnationRecord[count];
        for (var i = 0; i < count; i++)
        {
            var r = section[(IncarnationSectionHeaderSize + (i * IncarnationRecordSize))..];
            records[i] = new IncarnationRecord(
                BinaryPrimitives.ReadInt32LittleEndian(r),
                new IncarnationStamp(
                    new Ballot(BinaryPrimitives.ReadInt64LittleEndian(r[4..]), BinaryPrimitives.ReadInt32LittleEndian(r[12..])),
                    BinaryPrimitives.ReadInt64LittleEndian(r[16..]),
                    BinaryPrimitives.ReadInt64LittleEndian(r[24..])),
                BinaryPrimitives.ReadUInt64LittleEndian(r[32..]));
            try
            {
                records[i].Validate();
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"hard state record holds a malformed incarnation record: {e.Message}");
            }

            if (i > 0 && records[i].Member <= records[i - 1].Member)
            {
                // The writer stores the table sorted, one record per member: anything else is not what it wrote.
                throw new InvalidDataException($"hard state record holds incarnation records out of order at member {records[i].Member}");
            }
        }

        incarnations = IncarnationTable.From(records);
        return incarnation;
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
