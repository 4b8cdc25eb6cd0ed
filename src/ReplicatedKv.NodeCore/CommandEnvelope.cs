using System.Buffers.Binary;

namespace ReplicatedKv.NodeCore;

/// <summary>
/// What a node proposes for one client write: the encoded key-value command behind a small header naming the
/// node that took the request and its caller number there. Every replica applies the command; only the origin node,
/// seeing its own number come out of the log, answers the waiting client. So a follower that forwarded a write
/// answers it from its own state machine, after it applied that slot and every earlier one.
/// </summary>
internal static class CommandEnvelope
{
    public const int HeaderSize = 1 + 4 + 4 + 8;

    private const byte Magic = 0xE1;

    /// <summary>Header: magic, origin node id, origin incarnation (random per process start), caller number.</summary>
    public static byte[] Wrap(int origin, uint incarnation, long caller, int commandLength, out Memory<byte> command)
    {
        var buffer = new byte[HeaderSize + commandLength];
        buffer[0] = Magic;
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(1), origin);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(5), incarnation);
        BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(9), caller);
        command = buffer.AsMemory(HeaderSize);
        return buffer;
    }

    /// <summary>
    /// Splits an envelope. Anything else (which only a bug could put in the log) comes back whole with origin 0,
    /// and the state machine's decoder rejects it, on every replica alike.
    /// </summary>
    public static ReadOnlyMemory<byte> Unwrap(ReadOnlyMemory<byte> envelope, out int origin, out uint incarnation, out long caller)
    {
        var span = envelope.Span;
        if (span.Length < HeaderSize || span[0] != Magic)
        {
            origin = 0;
            incarnation = 0;
            caller = 0;
            return envelope;
        }

        origin = BinaryPrimitives.ReadInt32LittleEndian(span[1..]);
        incarnation = BinaryPrimitives.ReadUInt32LittleEndian(span[5..]);
        caller = BinaryPrimitives.ReadInt64LittleEndian(span[9..]);
        return envelope[HeaderSize..];
    }
}
