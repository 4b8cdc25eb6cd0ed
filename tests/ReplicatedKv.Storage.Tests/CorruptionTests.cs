namespace ReplicatedKv.Storage.Tests;

/// <summary>Damage that is not a torn tail stops the node instead of silently dropping acknowledged writes.</summary>
public sealed class CorruptionTests
{
    [Fact]
    public async Task A_bit_flip_in_a_middle_record_is_refused_naming_file_and_offset()
    {
        using var dir = new TempDirectory();
        var ends = WalTestKit.WriteEntries(dir.Path, count: 10);
        var path = WalTestKit.SegmentPath(dir.Path);
        var bytes = await File.ReadAllBytesAsync(path);
        var damagedRecordStart = ends[3];
        bytes[damagedRecordStart + 12] ^= 0x10;
        await File.WriteAllBytesAsync(path, bytes);

        var open = () => WalTestKit.Open(dir.Path, out _);
        open.Should().Throw<WalCorruptionException>()
            .Which.Message.Should().StartWith($"{path}: damaged record at offset {damagedRecordStart}: records this node made durable are lost;");
        (await File.ReadAllBytesAsync(path)).Should().Equal(bytes, "a refused log is left untouched for the operator");
    }

    [Fact]
    public async Task A_bit_flip_in_the_last_record_past_the_durable_mark_is_treated_as_a_torn_tail()
    {
        using var dir = new TempDirectory();
        var (path, ends) = await WriteTenAndFlipABitInTheLastAsync(dir.Path);
        WalTestKit.SetDurableMark(dir.Path, segment: 1, length: ends[^2]);

        await using var log = WalTestKit.Open(dir.Path, out var contents);
        contents.Entries.Select(e => e.Slot).Should().Equal(Enumerable.Range(1, 9).Select(i => (long)i));
        contents.TruncatedBytes.Should().Be(ends[^1] - ends[^2]);
    }

    [Fact]
    public async Task A_bit_flip_in_the_last_record_below_the_durable_mark_is_refused_as_lost_state()
    {
        using var dir = new TempDirectory();
        var (path, ends) = await WriteTenAndFlipABitInTheLastAsync(dir.Path);

        var open = () => WalTestKit.Open(dir.Path, out _);
        open.Should().Throw<WalCorruptionException>().Which.Message.Should().StartWith($"{path}: damaged record at offset {ends[^2]}");
    }

    [Fact]
    public async Task Damage_at_the_end_of_an_older_segment_is_corruption_not_a_torn_tail()
    {
        using var dir = new TempDirectory();
        await using (var log = WalTestKit.Open(dir.Path, out _, segmentBytes: 200))
        {
            for (var slot = 1; slot <= 12; slot++)
            {
                var batch = new WalBatch();
                batch.AddEntry(WalTestKit.Entry(slot, size: 60));
                log.Commit(batch);
            }

            log.SegmentCount.Should().BeGreaterThan(2);
        }

        var oldest = Directory.GetFiles(dir.Path, "*.wal").Order(StringComparer.Ordinal).First();
        var bytes = await File.ReadAllBytesAsync(oldest);
        bytes[^3] ^= 0xFF;
        await File.WriteAllBytesAsync(oldest, bytes);

        var open = () => WalTestKit.Open(dir.Path, out _);
        open.Should().Throw<WalCorruptionException>().Which.Message.Should().StartWith(oldest);
    }

    /// <summary>Ten entries, cleanly closed (the mark covers all), then one bit of the last record flipped.</summary>
    private static async Task<(string Path, List<long> Ends)> WriteTenAndFlipABitInTheLastAsync(string directory)
    {
        var ends = WalTestKit.WriteEntries(directory, count: 10);
        var path = WalTestKit.SegmentPath(directory);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[ends[^2] + 15] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes);
        return (path, ends);
    }
}
