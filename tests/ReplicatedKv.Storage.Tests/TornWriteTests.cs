namespace ReplicatedKv.Storage.Tests;

/// <summary>Recovery after a crash in the middle of writing: the result is exactly the completed prefix.</summary>
public sealed class TornWriteTests
{
    [Fact]
    public async Task Truncating_the_last_records_at_every_byte_recovers_exactly_the_complete_prefix()
    {
        using var source = new TempDirectory();
        var ends = WalTestKit.WriteEntries(source.Path, count: 8);
        var original = await File.ReadAllBytesAsync(WalTestKit.SegmentPath(source.Path));
        var firstCut = ends[^4];
        for (var cut = firstCut; cut <= original.Length; cut++)
        {
            using var copy = new TempDirectory();
            await File.WriteAllBytesAsync(copy.Combine(Path.GetFileName(WalTestKit.SegmentPath(source.Path))), original.AsSpan(0, (int)cut).ToArray());
            await using (WalTestKit.Open(copy.Path, out var contents))
            {
                var complete = ends.Count(end => end <= cut);
                contents.Entries.Select(e => e.Slot).Should().Equal(Enumerable.Range(1, complete).Select(i => (long)i), $"cut at byte {cut}");
                foreach (var entry in contents.Entries)
                {
                    entry.ShouldMatch(WalTestKit.Entry(entry.Slot, size: (int)entry.Slot * 3));
                }

                contents.TruncatedBytes.Should().Be(cut - ends.Where(end => end <= cut).DefaultIfEmpty(0).Max());
            }

            new FileInfo(WalTestKit.SegmentPath(copy.Path)).Length.Should().Be(ends.Where(end => end <= cut).DefaultIfEmpty(0).Max(), "the torn tail is cut off on disk");
        }
    }

    [Fact]
    public async Task A_log_recovered_from_a_torn_tail_keeps_appending_after_the_cut()
    {
        using var dir = new TempDirectory();
        var ends = WalTestKit.WriteEntries(dir.Path, count: 5);
        var path = WalTestKit.SegmentPath(dir.Path);
        await using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength(ends[^1] - 3);
        }

        // A power cut: the last batch's unsynced mark never reached the disk.
        WalTestKit.SetDurableMark(dir.Path, segment: 1, length: ends[^2]);

        await using (var log = WalTestKit.Open(dir.Path, out var contents))
        {
            contents.Entries.Should().HaveCount(4);
            var batch = new WalBatch();
            batch.AddEntry(WalTestKit.Entry(5, size: 15));
            log.Commit(batch);
        }

        await using (WalTestKit.Open(dir.Path, out var reopened))
        {
            reopened.Entries.Select(e => e.Slot).Should().Equal(1, 2, 3, 4, 5);
            reopened.TruncatedBytes.Should().Be(0);
        }
    }
}
