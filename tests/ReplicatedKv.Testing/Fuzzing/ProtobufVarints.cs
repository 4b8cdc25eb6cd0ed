namespace ReplicatedKv.Testing.Fuzzing;

/// <summary>
/// Finds the varints of a protobuf encoding (tags, varint values and lengths, also inside nested messages), so
/// the mutator can replace exactly those with boundary numbers. A best-effort walk: bytes that stop parsing end
/// it, and a length-delimited field is looked into only if its contents parse as a message.
/// </summary>
public static class ProtobufVarints
{
    public static List<(int Offset, int Length)> Find(byte[] message)
    {
        var found = new List<(int, int)>();
        Walk(message, 0, message.Length, found, depth: 0);
        return found;
    }

    public static byte[] Encode(ulong value)
    {
        var bytes = new List<byte>(10);
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
        return bytes.ToArray();
    }

    /// <summary>Walks fields from <paramref name="start"/> to <paramref name="end"/>; true if they parsed exactly.</summary>
    private static bool Walk(byte[] bytes, int start, int end, List<(int, int)> found, int depth)
    {
        var position = start;
        var mark = found.Count;
        while (position < end)
        {
            if (!TryRead(bytes, position, end, out var tag, out var tagLength) || tag >> 3 == 0)
            {
                found.RemoveRange(mark, found.Count - mark);
                return false;
            }

            found.Add((position, tagLength));
            position += tagLength;
            switch (tag & 7)
            {
                case 0:
                    if (!TryRead(bytes, position, end, out _, out var valueLength))
                    {
                        found.RemoveRange(mark, found.Count - mark);
                        return false;
                    }

                    found.Add((position, valueLength));
                    position += valueLength;
                    break;
                case 1:
                    position += 8;
                    break;
                case 5:
                    position += 4;
                    break;
                case 2:
                    if (!TryRead(bytes, position, end, out var length, out var lengthLength) || length > (ulong)(end - position - lengthLength))
                    {
                        found.RemoveRange(mark, found.Count - mark);
                        return false;
                    }

                    found.Add((position, lengthLength));
                    position += lengthLength;
                    if (depth < 8)
                    {
                        Walk(bytes, position, position + (int)length, found, depth + 1);
                    }

                    position += (int)length;
                    break;
                default:
                    found.RemoveRange(mark, found.Count - mark);
                    return false;
            }
        }

        if (position != end)
        {
            found.RemoveRange(mark, found.Count - mark);
            return false;
        }

        return true;
    }

    private static bool TryRead(byte[] bytes, int position, int end, out ulong value, out int length)
    {
        value = 0;
        length = 0;
        for (var shift = 0; shift < 64 && position + length < end; shift += 7)
        {
            var b = bytes[position + length++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
