using System.Buffers;
using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage.Tests;

/// <summary>
/// The incarnation id and record table (Consensus DESIGN.md, "Incarnations") ride in the hard state record: they
/// round-trip, survive segment rolls and compaction (every segment opens with them), and a record without them (the
/// older format) reads as id 0 with an empty table.
/// </summary>
public sealed class IncarnationRecordTests
{
    private static readonly IncarnationTable Table = IncarnationTable.From(
    [
        new IncarnationRecord(3, IncarnationStamp.Fence(new Ballot(7, 1), 12), 0xDEAD_BEEF_0000_0001),
        new IncarnationRecord(1, IncarnationStamp.Fence(new Ballot(2, 3), 4), ulong.MaxValue),
        new IncarnationRecord(2, IncarnationStamp.Probe(5), 42),
    ]);

    [Fact]
    public void The_incarnation_id_and_table_round_trip_in_the_hard_state_record()
    {
        var state = new HardState(new Ballot(9, 2), 40, Rejoining: true, Incarnation: 0x0123_4567_89AB_CDEF);
        var buffer = new ArrayBufferWriter<byte>();
        WalFormat.WriteHardState(buffer, state, Table);

        buffer.WrittenCount.Should().Be(WalFormat.HardStateFrameSizeOf(state, Table));
        WalFormat.TryReadFrame(buffer.WrittenSpan, out var type, out var payload).Should().Be(buffer.WrittenCount);
        type.Should().Be(WalRecordType.HardState);
        WalFormat.ReadHardState(payload, out var table).Should().Be(state);
        table.Records.Should().Equal(Table.Records);
    }

    [Fact]
    public void An_id_with_no_records_round_trips()
    {
        var state = new HardState(Ballot.Zero, 0, Incarnation: 7);
        var payload = PayloadOf(state, null);
        WalFormat.ReadHardState(payload, out var table).Should().Be(state);
        table.Records.Should().BeEmpty();
    }

    [Fact]
    public void Without_an_id_or_records_the_record_is_the_older_28_byte_format_and_it_reads_as_id_0_and_no_records()
    {
        var state = new HardState(new Ballot(5, 1), 6, Bootstrapped: true);
        var payload = PayloadOf(state, IncarnationTable.Empty);
        payload.Length.Should().Be(28, "an older version can still read what a replica without an incarnation writes");
        WalFormat.HardStateFrameSizeOf(state, null).Should().Be(WalFormat.HardStateFrameSize);

        WalFormat.ReadHardState(payload, out var table).Incarnation.Should().Be(0);
        table.Records.Should().BeEmpty();
    }

    [Fact]
    public void A_section_version_this_version_does_not_know_is_refused()
    {
        var payload = PayloadOf(new HardState(Ballot.Zero, 0, Incarnation: 7), Table);
        payload[28] = 2;
        FluentActions.Invoking(() => WalFormat.ReadHardState(payload, out _)).Should().Throw<InvalidDataException>().WithMessage("*section version 2*");
    }

    [Fact]
    public void A_record_count_that_does_not_match_the_bytes_is_refused()
    {
        var payload = PayloadOf(new HardState(Ballot.Zero, 0, Incarnation: 7), Table);
        FluentActions.Invoking(() => WalFormat.ReadHardState(payload.AsSpan(0, payload.Length - 1), out _)).Should().Throw<InvalidDataException>();
        FluentActions.Invoking(() => WalFormat.ReadHardState(payload.AsSpan(0, 30), out _)).Should().Throw<InvalidDataException>();
        payload[37] = 4; // count 3 -> 4
        FluentActions.Invoking(() => WalFormat.ReadHardState(payload, out _)).Should().Throw<InvalidDataException>().WithMessage("*claims 4*");
    }

    [Fact]
    public void A_record_no_replica_may_hold_and_a_member_listed_twice_are_refused()
    {
        var payload = PayloadOf(new HardState(Ballot.Zero, 0, Incarnation: 7), Table);
        var zeroId = (byte[])payload.Clone();
        Array.Clear(zeroId, 28 + 13 + 32, 8); // the first record's id
        FluentActions.Invoking(() => WalFormat.ReadHardState(zeroId, out _)).Should().Throw<InvalidDataException>().WithMessage("*malformed incarnation record*");

        var twice = (byte[])payload.Clone();
        twice[28 + 13 + 44] = twice[28 + 13]; // the second record names the first one's member
        FluentActions.Invoking(() => WalFormat.ReadHardState(twice, out _)).Should().Throw<InvalidDataException>().WithMessage("*out of order*");
    }

    [Fact]
    public async Task The_id_and_table_survive_reopening_segment_rolls_and_compaction()
    {
        using var dir = new TempDirectory();
        var state = new HardState(new Ballot(4, 2), 3, Incarnation: 0xABCD);
        await using (var log = WalTestKit.Open(dir.Path, out _, segmentBytes: 256))
        {
            for (var slot = 1; slot <= 40; slot++)
            {
                var batch = new WalBatch();
                batch.AddEntry(WalTestKit.Entry(slot, size: 50));
                if (slot == 3)
                {
                    batch.AddHardState(state, Table);
                }

                log.Commit(batch);
            }

            log.CompactThrough(25).Should().BeGreaterThan(0, "the segment holding the record itself is gone after this");
        }

        await using (WalTestKit.Open(dir.Path, out var contents, segmentBytes: 256))
        {
            contents.HardState.Should().Be(state);
            contents.Incarnations.Records.Should().Equal(Table.Records, "every segment opens with the table current when it was created");
        }
    }

    [Fact]
    public void Node_storage_hands_the_table_back_in_the_persistent_state()
    {
        using var dir = new TempDirectory();
        var options = new StorageOptions { DataDirectory = dir.Path };
        var state = new HardState(new Ballot(1, 1), 0, Incarnation: 99);
        using (var storage = NodeStorage.Open(options))
        {
            storage.State.Incarnations!.Records.Should().BeEmpty("a new directory has no records");
            storage.State.HardState.Incarnation.Should().Be(0);
            var batch = new WalBatch();
            batch.AddHardState(state, Table);
            storage.Log.Append(batch);
            storage.Log.Sync();
        }

        using var reopened = NodeStorage.Open(options);
        reopened.State.HardState.Should().Be(state);
        reopened.State.Incarnations!.Records.Should().Equal(Table.Records);
    }

    private static byte[] PayloadOf(HardState state, IncarnationTable? table)
    {
        var buffer = new ArrayBufferWriter<byte>();
        WalFormat.WriteHardState(buffer, state, table);
        return buffer.WrittenSpan[WalFormat.HeaderSize..].ToArray();
    }
}
