namespace ReplicatedKv.StateMachine;

/// <summary>
/// Unsigned LEB128, the length and number encoding of commands and snapshots: small numbers (most lengths and
/// versions) take one or two bytes instead of eight.
/// </summary>
internal static class Varint
{
    public const int MaxLength = 10;

    /// <summary>Result of <see cref="TryRead"/> when the bytes run out before the number ends.</summary>
    public const int Incomplete = 0;

    /// <summary>Result of <see cref="TryRead"/> for more than ten bytes, or a number beyond 64 bits.</summary>
    public const int Malformed = -1;

    public static int Write(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    public static int Length(ulong value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    /// <summary>Reads one number; returns the bytes it took, <see cref="Incomplete"/> or <see cref="Malformed"/>.</summary>
    public static int TryRead(ReadOnlySpan<byte> source, out ulong value)
    {
        value = 0;
        var shift = 0;
        for (var i = 0; i < MaxLength; i++)
        {
            if (i == source.Length)
            {
                return Incomplete;
            }

            var b = source[i];
            if (i == MaxLength - 1 && b > 1)
            {
                return Malformed;
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return i + 1;
            }

            shift += 7;
        }

        return Malformed;
    }
}
