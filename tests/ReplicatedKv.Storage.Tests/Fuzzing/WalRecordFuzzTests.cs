using System.Buffers;
using System.Buffers.Binary;
using ReplicatedKv.Consensus;
using ReplicatedKv.Testing.Fuzzing;

namespace ReplicatedKv.Storage.Tests.Fuzzing;

/// <summary>
/// The record decoders alone, on mutated payloads (what a checksum-valid record from a buggy or newer writer
/// would hold): an entry or hard state, or <see cref="InvalidDataException"/> (which recovery reports as
/// <see cref="WalCorruptionException"/>); never another exception. A decoder without its bounds checks is caught.
/// </summary>
public sealed class WalRecordFuzzTests
{
    [Fact]
    public void Mutated_entry_and_hard_state_payloads_decode_or_are_refused_as_invalid_data()
    {
        var corpus = Payloads();
        FuzzRun.Seeds("wal-records", 20_000, seed => DecodeMutated(seed, corpus, WalFormat.ReadEntry));
    }

    [Fact]
    public void Seed_48_a_command_count_that_leaves_no_room_for_a_length_is_invalid_data()
    {
        // Found by the fuzzer: ReadEntry read the next command length past the payload (ArgumentOutOfRangeException).
        DecodeMutated(48, Payloads(), WalFormat.ReadEntry);
    }

    [Fact]
    public void Seed_136_a_command_length_near_int_max_is_invalid_data()
    {
        // Found by the fuzzer: offset + 4 + length overflowed to a negative number and passed the bounds check.
        DecodeMutated(136, Payloads(), WalFormat.ReadEntry);
    }

    [Fact]
    public void The_fuzzer_catches_an_entry_decoder_that_trusts_the_command_count_and_lengths()
    {
        // The real decoder checks the count against the payload and each length against what is left.
        static LogEntry Trusting(ReadOnlySpan<byte> payload)
        {
            var count = BinaryPrimitives.ReadInt32LittleEndian(payload[20..]);
            var commands = new ReadOnlyMemory<byte>[count];
            var offset = 24;
            for (var i = 0; i < count; i++)
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(payload[offset..]);
                commands[i] = payload.Slice(offset + 4, length).ToArray();
                offset += 4 + length;
            }

            return new LogEntry(BinaryPrimitives.ReadInt64LittleEndian(payload), Ballot.Zero, new SlotValue(commands));
        }

        var corpus = Payloads();
        var run = () => FuzzRun.Seeds("broken-wal-records", 20_000, seed => DecodeMutated(seed, corpus, Trusting));
        run.Should().Throw<FuzzFailureException>().WithMessage("*seed*");
    }

    private delegate LogEntry EntryDecoder(ReadOnlySpan<byte> payload);

    private static void DecodeMutated(int seed, List<byte[]> corpus, EntryDecoder decode)
    {
        var mutator = new ByteMutator(seed);
        var pick = mutator.Random.Next(corpus.Count);
        var payload = mutator.Mutate(corpus[pick], corpus);
        try
        {
            if (pick < HardStatePayloads)
            {
                // What decodes is exactly what the writer would have written for it: nothing is dropped or invented.
                var state = WalFormat.ReadHardState(payload, out var table);
                var rewritten = new ArrayBufferWriter<byte>();
                WalFormat.WriteHardState(rewritten, state, table);
                WalFormat.ReadHardState(rewritten.WrittenSpan[WalFormat.HeaderSize..], out var again).Should().Be(state);
                again.Records.Should().Equal(table.Records);
                payload.Length.Should().Be(rewritten.WrittenCount - WalFormat.HeaderSize);
                return;
            }

            var entry = decode(payload);
            (24L + (4L * entry.Value.Commands.Count) + entry.Value.PayloadBytes).Should().BeLessThanOrEqualTo(payload.Length, "an entry holds no more than its record");
        }
        catch (InvalidDataException)
        {
        }
        catch (ArgumentOutOfRangeException) when (payload.Length < 24 && pick >= HardStatePayloads)
        {
            // A payload shorter than an entry's fixed part: WalRecovery reports this as corruption too (its Apply catches it).
        }
    }

    /// <summary>The first this many payloads of the corpus are hard states.</summary>
    private const int HardStatePayloads = 2;

    /// <summary>Hard state payloads first (without and with an incarnation section), then entry payloads of every shape.</summary>
    private static List<byte[]> Payloads()
    {
        var table = IncarnationTable.From(
        [
            new IncarnationRecord(1, IncarnationStamp.Fence(new Ballot(3, 2), 7), 0xFEED),
            new IncarnationRecord(4, IncarnationStamp.Probe(2), 5),
        ]);
        var corpus = new List<byte[]>
        {
            PayloadOf(w => WalFormat.WriteHardState(w, new HardState(new Ballot(9, 2), 40, Rejoining: true))),
            PayloadOf(w => WalFormat.WriteHardState(w, new HardState(new Ballot(9, 2), 40, Incarnation: 0xC0FFEE), table)),
        };
        LogEntry[] entries =
        [
            new(1, new Ballot(1, 1), SlotValue.NoOp),
            new(2, new Ballot(3, 2), new SlotValue([new byte[] { 1, 2, 3 }])),
            new(3, new Ballot(long.MaxValue, int.MaxValue), new SlotValue([Array.Empty<byte>(), new byte[100], new byte[] { 0xFF }])),
        ];
        corpus.AddRange(entries.Select(e => PayloadOf(w => WalFormat.WriteEntry(w, e))));
        return corpus;
    }

    private static byte[] PayloadOf(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan[WalFormat.HeaderSize..].ToArray();
    }
}
