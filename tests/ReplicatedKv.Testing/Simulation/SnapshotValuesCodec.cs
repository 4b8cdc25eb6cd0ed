using System.Buffers.Binary;
using ReplicatedKv.Consensus;

namespace ReplicatedKv.Testing.Simulation;

/// <summary>
/// The payload <see cref="RealStorageDisk"/> puts in a real snapshot file: the decided values it reflects, which the
/// simulator needs back (its agreement check and the snapshots it sends compare values, not tables).
/// <c>[i32 slots] { [i32 commands] { [i32 length][bytes] } }</c>.
/// </summary>
internal static class SnapshotValuesCodec
{
    public static byte[] Encode(IReadOnlyList<SlotValue> values)
    {
        using var buffer = new MemoryStream();
        WriteInt(buffer, values.Count);
        foreach (var value in values)
        {
            WriteInt(buffer, value.Commands.Count);
            foreach (var command in value.Commands)
            {
                WriteInt(buffer, command.Length);
                buffer.Write(command.Span);
            }
        }

        return buffer.ToArray();
    }

    public static IReadOnlyList<SlotValue> Decode(Stream payload)
    {
        var values = new List<SlotValue>();
        for (var slots = ReadInt(payload); slots > 0; slots--)
        {
            var commands = new ReadOnlyMemory<byte>[ReadInt(payload)];
            for (var i = 0; i < commands.Length; i++)
            {
                var bytes = new byte[ReadInt(payload)];
                payload.ReadExactly(bytes);
                commands[i] = bytes;
            }

            values.Add(commands.Length == 0 ? SlotValue.NoOp : new SlotValue(commands));
        }

        return values;
    }

    private static void WriteInt(Stream stream, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        stream.Write(bytes);
    }

    private static int ReadInt(Stream stream)
    {
        Span<byte> bytes = stackalloc byte[4];
        stream.ReadExactly(bytes);
        return BinaryPrimitives.ReadInt32LittleEndian(bytes);
    }
}
