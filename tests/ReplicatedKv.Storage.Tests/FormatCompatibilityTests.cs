using System.Buffers;
using ReplicatedKv.Consensus;
using ReplicatedKv.Testing.Files;
using static ReplicatedKv.Storage.Tests.LostLogKit;

namespace ReplicatedKv.Storage.Tests;

/// <summary>
/// Data directories written before segment headers and the durable mark (format 1) still open: their segments
/// are read as they are, appends continue in them, and every new segment is written in format 2.
/// </summary>
public sealed class FormatCompatibilityTests
{
    [Fact]
    public void A_format_1_log_opens_keeps_appending_and_rolls_into_format_2_segments()
    {
        var files = TwinWithALogDirectory();
        var hardState = new HardState(new Ballot(4, 2), 3);
        files.Put(Segment(1), Format1(hardState, 1, 2, 3));
        files.Put(Segment(2), Format1(hardState, 4, 5));

        using (var log = Open(files, LostStatePolicy.Refuse, out var contents))
        {
            contents.Loss.Should().BeNull();
            contents.HardState.Should().Be(hardState);
            contents.Slots().Should().Equal(Range(1, 5));
            for (var slot = 6; slot <= 12; slot++)
            {
                var batch = new WalBatch();
                batch.AddEntry(WalTestKit.Entry(slot, size: 60));
                log.Commit(batch);
            }
        }

        var paths = files.List(Wal, ".wal");
        paths.Count.Should().BeGreaterThan(3);
        WalSegmentHeader.HasMagic(files.ReadAll(paths[1])).Should().BeFalse("old segments are never rewritten");
        paths.Skip(2).Should().OnlyContain(p => WalSegmentHeader.HasMagic(files.ReadAll(p)), "new segments are format 2");
        using (Open(files, LostStatePolicy.Refuse, out var reopened))
        {
            reopened.Loss.Should().BeNull();
            reopened.Slots().Should().Equal(Range(1, 12));
        }
    }

    [Fact]
    public void An_empty_format_1_segment_is_lost_state_naming_it()
    {
        var files = TwinWithALogDirectory();
        var hardState = new HardState(new Ballot(4, 2), 3);
        files.Put(Segment(1), Format1(hardState, 1, 2));
        files.Put(Segment(2), []);
        files.Put(Segment(3), Format1(hardState, 3));

        var open = () => Open(files, LostStatePolicy.Refuse, out _);

        open.Should().Throw<WalCorruptionException>().Which.Message.Should().StartWith($"{Segment(2)}: empty segment").And.Contain("at offset 0");
    }

    [Fact]
    public void A_format_1_log_without_a_mark_still_cuts_a_torn_tail()
    {
        var files = TwinWithALogDirectory();
        var bytes = Format1(new HardState(new Ballot(1, 1), 0), 1, 2, 3);
        files.Put(Segment(1), bytes[..^5]);

        using var log = Open(files, LostStatePolicy.Refuse, out var contents);

        contents.Loss.Should().BeNull();
        contents.Slots().Should().Equal(1, 2);
        contents.TruncatedBytes.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task A_format_1_closed_segment_that_lost_its_last_records_is_lost_state_not_a_replica_that_cannot_start()
    {
        using var dir = new TempDirectory();
        var wal = Directory.CreateDirectory(Path.Combine(dir.Path, "wal")).FullName;
        var newest = Path.Combine(wal, WalSegment.FileName(2));

        // Segment 1 held slots 1 to 3 and lost slot 3 at a record boundary: format 1 shows no damage at all.
        await File.WriteAllBytesAsync(Path.Combine(wal, WalSegment.FileName(1)), Format1(new HardState(new Ballot(4, 2), 0), 1, 2));
        await File.WriteAllBytesAsync(newest, Format1(new HardState(new Ballot(4, 2), 4), 4));

        var refuse = () => NodeStorage.Open(new StorageOptions { DataDirectory = dir.Path });
        refuse.Should().Throw<WalCorruptionException>().Which.Message.Should()
            .StartWith($"{newest}: the hard state marks slot 4 decided, but no record holds slot 3 at offset 0");

        await using var storage = NodeStorage.Open(new StorageOptions { DataDirectory = dir.Path, LostState = LostStatePolicy.Rejoin });
        storage.LostState!.Path.Should().Be(newest);
        storage.State.HardState.Should().Be(new HardState(new Ballot(4, 2), 2, Rejoining: true));
        var replica = new PaxosReplica(new ReplicaConfig { NodeId = 1, Members = [1, 2, 3] }, storage.State);
        replica.IsVoter.Should().BeFalse();
    }

    private static InMemoryFiles TwinWithALogDirectory()
    {
        var files = new InMemoryFiles();
        files.CreateDirectory(Wal);
        return files;
    }

    private static string Segment(long index) => Path.Combine(Wal, WalSegment.FileName(index));

    /// <summary>A segment as the format 1 writer left it: its opening hard state, then entries, no header.</summary>
    private static byte[] Format1(HardState hardState, params long[] slots)
    {
        var buffer = new ArrayBufferWriter<byte>();
        WalFormat.WriteHardState(buffer, hardState);
        foreach (var slot in slots)
        {
            WalFormat.WriteEntry(buffer, WalTestKit.Entry(slot, size: 60));
        }

        return buffer.WrittenSpan.ToArray();
    }
}
