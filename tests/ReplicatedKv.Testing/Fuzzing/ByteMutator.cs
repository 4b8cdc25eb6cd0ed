using System.Buffers.Binary;

namespace ReplicatedKv.Testing.Fuzzing;

/// <summary>
/// A seeded mutator of byte strings, libFuzzer's classic moves without its coverage feedback: bit flips, bytes
/// set to boundary values, inserts, deletes, truncation, splicing with another valid input, little-endian
/// integers overwritten with boundary values and, where the input parses as protobuf, a varint (a value, a
/// length or a tag) replaced by a boundary number. The same seed gives the same mutations, so a finding replays.
/// </summary>
public sealed class ByteMutator(int seed)
{
    /// <summary>Numbers at the edges decoders get wrong: signedness, 7-bit varint groups, 32- and 64-bit limits.</summary>
    public static readonly ulong[] BoundaryNumbers =
    [
        0, 1, 2, 0x7F, 0x80, 0xFF, 0x3FFF, 0x4000, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000,
        0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFE, 0x7FFF_FFC7, 256 << 20, (256 << 20) + 1,
    ];

    private static readonly byte[] BoundaryBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x81];

    private readonly Random _random = new(seed);

    public Random Random => _random;

    /// <summary>
    /// One to four mutations of <paramref name="input"/> (never changed itself); <paramref name="corpus"/> supplies
    /// the other half of a splice. Occasionally the input comes back whole with random bytes only.
    /// </summary>
    public byte[] Mutate(ReadOnlySpan<byte> input, IReadOnlyList<byte[]>? corpus = null)
    {
        if (_random.Next(50) == 0)
        {
            var noise = new byte[_random.Next(0, Math.Max(2, input.Length * 2))];
            _random.NextBytes(noise);
            return noise;
        }

        var bytes = new List<byte>(input.ToArray());
        var rounds = 1 + _random.Next(4);
        for (var i = 0; i < rounds; i++)
        {
            MutateOnce(bytes, corpus);
        }

        return bytes.ToArray();
    }

    private void MutateOnce(List<byte> bytes, IReadOnlyList<byte[]>? corpus)
    {
        switch (_random.Next(9))
        {
            case 0 when bytes.Count > 0:
                var bit = _random.Next(bytes.Count * 8);
                bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                break;
            case 1 when bytes.Count > 0:
                bytes[_random.Next(bytes.Count)] = BoundaryBytes[_random.Next(BoundaryBytes.Length)];
                break;
            case 2:
                var inserted = new byte[1 + _random.Next(_random.Next(2) == 0 ? 4 : 64)];
                _random.NextBytes(inserted);
                bytes.InsertRange(_random.Next(bytes.Count + 1), inserted);
                break;
            case 3 when bytes.Count > 0:
                var start = _random.Next(bytes.Count);
                bytes.RemoveRange(start, 1 + _random.Next(Math.Min(bytes.Count - start, 16)));
                break;
            case 4 when bytes.Count > 0:
                var keep = _random.Next(bytes.Count);
                bytes.RemoveRange(keep, bytes.Count - keep);
                break;
            case 5 when corpus is { Count: > 0 }:
                Splice(bytes, corpus[_random.Next(corpus.Count)]);
                break;
            case 6 when bytes.Count >= 4:
                OverwriteInteger(bytes);
                break;
            case 7 when bytes.Count > 0:
                var from = _random.Next(bytes.Count);
                var length = 1 + _random.Next(Math.Min(bytes.Count - from, 32));
                bytes.InsertRange(_random.Next(bytes.Count + 1), bytes.GetRange(from, length));
                break;
            default:
                if (!ReplaceProtobufVarint(bytes) && bytes.Count > 0)
                {
                    bytes[_random.Next(bytes.Count)] ^= (byte)(1 + _random.Next(255));
                }

                break;
        }
    }

    /// <summary>A prefix of this input followed by a suffix of another valid one.</summary>
    private void Splice(List<byte> bytes, byte[] other)
    {
        var keep = _random.Next(bytes.Count + 1);
        var from = _random.Next(other.Length + 1);
        bytes.RemoveRange(keep, bytes.Count - keep);
        bytes.AddRange(other.AsSpan(from).ToArray());
    }

    /// <summary>A 4- or 8-byte little-endian integer somewhere in the input set to a boundary number.</summary>
    private void OverwriteInteger(List<byte> bytes)
    {
        var width = bytes.Count >= 8 && _random.Next(2) == 0 ? 8 : 4;
        var at = _random.Next(bytes.Count - width + 1);
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(number, BoundaryNumber());
        for (var i = 0; i < width; i++)
        {
            bytes[at + i] = number[i];
        }
    }

    private bool ReplaceProtobufVarint(List<byte> bytes)
    {
        var varints = ProtobufVarints.Find(bytes.ToArray());
        if (varints.Count == 0)
        {
            return false;
        }

        var (offset, length) = varints[_random.Next(varints.Count)];
        var replacement = _random.Next(8) == 0 ? Overlong() : ProtobufVarints.Encode(BoundaryNumber());
        bytes.RemoveRange(offset, length);
        bytes.InsertRange(offset, replacement);
        return true;
    }

    private ulong BoundaryNumber()
    {
        var number = BoundaryNumbers[_random.Next(BoundaryNumbers.Length)];
        return _random.Next(4) == 0 ? number - 1 : number;
    }

    /// <summary>A varint longer than ten bytes, or one with continuation bits and no end: malformed either way.</summary>
    private byte[] Overlong()
    {
        var bytes = new byte[10 + _random.Next(3)];
        Array.Fill(bytes, (byte)0xFF);
        if (_random.Next(2) == 0)
        {
            bytes[^1] = 0x7F;
        }

        return bytes;
    }
}
