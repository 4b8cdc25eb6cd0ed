using System.Buffers.Binary;

namespace ReplicatedKv.Storage.Tests;

/// <summary>
/// A flipped bit in a segment header's version field is damage, not a segment from a newer build: found by the
/// seeded simulator on real storage, where such a flip made a rejoinable node refuse to start, telling the operator
/// to run "the rkv-server version that wrote it".
/// </summary>
public sealed class SegmentHeaderDamageTests
{
    [Fact]
    public async Task A_flipped_bit_in_the_version_field_of_a_closed_segment_is_a_loss_the_node_rejoins_after()
    {
        using var dir = new TempDirectory();
        var first = await WriteSegmentsAsync(dir.Path);
        var bytes = await File.ReadAllBytesAsync(first);
        bytes[4] ^= 0x01; // format 2 reads as format 3
        await File.WriteAllBytesAsync(first, bytes);

        await using var log = WalTestKit.OpenRejoining(dir.Path, out var contents);
        contents.Loss.Should().NotBeNull();
        contents.Loss!.Reason.Should().Be("damaged segment header");
        contents.HardState.Rejoining.Should().BeTrue("the node lost durable records and must learn them again");
    }

    [Fact]
    public async Task An_intact_header_of_a_newer_format_is_still_refused_as_one()
    {
        using var dir = new TempDirectory();
        var first = await WriteSegmentsAsync(dir.Path);
        var bytes = await File.ReadAllBytesAsync(first);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(40), Crc32C.Compute(bytes.AsSpan(0, 40)));
        await File.WriteAllBytesAsync(first, bytes);

        var open = () => WalTestKit.OpenRejoining(dir.Path, out _);
        open.Should().Throw<WalCorruptionException>().Which.Message.Should().Contain("segment format 3 at offset 4 is newer than this build reads (2)");
    }

    /// <summary>Writes enough to close the first segment; returns its path.</summary>
    private static async Task<string> WriteSegmentsAsync(string directory)
    {
        await using (var log = WalTestKit.Open(directory, out _, segmentBytes: 200))
        {
            for (var slot = 1; slot <= 6; slot++)
            {
                log.CommitEntry(slot, size: 60);
            }

            log.SegmentCount.Should().BeGreaterThan(1);
        }

        return Directory.GetFiles(directory, "*.wal").Order(StringComparer.Ordinal).First();
    }
}
