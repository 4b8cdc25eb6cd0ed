using System.Buffers;
using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage.Tests;

public sealed class WalFormatTests
{
    [Fact]
    public void Every_record_type_round_trips()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var entry = new LogEntry(7, new Ballot(3, 2), new SlotValue([new byte[] { 1, 2 }, Array.Empty<byte>(), new byte[] { 9 }]));
        WalFormat.WriteEntry(buffer, entry);
        WalFormat.WriteEntry(buffer, new LogEntry(8, new Ballot(3, 2), SlotValue.NoOp));
        WalFormat.WriteHardState(buffer, new HardState(new Ballot(5, 1), 6));
        WalFormat.WriteSnapshotMarker(buffer, 4);

        var data = buffer.WrittenSpan;
        var size = WalFormat.TryReadFrame(data, out var type, out var payload);
        type.Should().Be(WalRecordType.Entry);
        WalFormat.ReadEntry(payload).ShouldMatch(entry);
        data = data[size..];
        size = WalFormat.TryReadFrame(data, out _, out payload);
        WalFormat.ReadEntry(payload).Value.IsNoOp.Should().BeTrue();
        data = data[size..];
        size = WalFormat.TryReadFrame(data, out type, out payload);
        type.Should().Be(WalRecordType.HardState);
        WalFormat.ReadHardState(payload).Should().Be(new HardState(new Ballot(5, 1), 6));
        data = data[size..];
        size = WalFormat.TryReadFrame(data, out type, out payload);
        type.Should().Be(WalRecordType.SnapshotMarker);
        WalFormat.ReadSnapshotMarker(payload).Should().Be(4);
        data[size..].Length.Should().Be(0);
    }

    [Fact]
    public void The_join_flags_round_trip_in_the_hard_state_record()
    {
        var states = new[]
        {
            new HardState(new Ballot(7, 3), 11, Rejoining: true), new HardState(Ballot.Zero, 0, Rejoining: true),
            new HardState(Ballot.Zero, 0, Bootstrapped: true), new HardState(new Ballot(7, 3), 11, true, true), new HardState(new Ballot(7, 3), 11),
        };
        foreach (var state in states)
        {
            var buffer = new ArrayBufferWriter<byte>();
            WalFormat.WriteHardState(buffer, state);
            buffer.WrittenCount.Should().Be(WalFormat.HardStateFrameSize);
            WalFormat.TryReadFrame(buffer.WrittenSpan, out var type, out var payload).Should().Be(WalFormat.HardStateFrameSize);
            type.Should().Be(WalRecordType.HardState);
            WalFormat.ReadHardState(payload).Should().Be(state);
        }
    }

    [Fact]
    public void A_hard_state_with_flags_this_version_does_not_know_is_refused()
    {
        // Zero flags (what every record before the flag held) read as a voter; an unknown bit must not be dropped.
        var payload = new byte[28];
        WalFormat.ReadHardState(payload).Rejoining.Should().BeFalse();
        payload[20] = 0b100;
        FluentActions.Invoking(() => WalFormat.ReadHardState(payload)).Should().Throw<InvalidDataException>().WithMessage("*unknown flags*");
    }

    [Fact]
    public void Any_single_bit_flip_in_a_frame_is_detected()
    {
        var buffer = new ArrayBufferWriter<byte>();
        WalFormat.WriteEntry(buffer, WalTestKit.Entry(1, size: 40));
        var frame = buffer.WrittenSpan.ToArray();
        for (var bit = 0; bit < frame.Length * 8; bit++)
        {
            var damaged = (byte[])frame.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            WalFormat.TryReadFrame(damaged, out _, out _).Should().Be(0, $"bit {bit} was flipped");
        }

        WalFormat.TryReadFrame(frame, out _, out _).Should().Be(frame.Length);
    }

    [Fact]
    public void Crc32C_matches_the_standard_check_value()
    {
        // The CRC-32C check value from the Castagnoli polynomial's specification (RFC 3720, B.4).
        Crc32C.Compute("123456789"u8).Should().Be(0xE3069283u);
    }
}
