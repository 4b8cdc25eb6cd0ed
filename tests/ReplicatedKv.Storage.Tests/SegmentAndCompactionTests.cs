using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage.Tests;

public sealed class SegmentAndCompactionTests
{
    [Fact]
    public async Task Segments_roll_over_and_compaction_keeps_everything_above_the_snapshot_and_the_hard_state()
    {
        using var dir = new TempDirectory();
        var hardState = new HardState(new Ballot(4, 2), 30);
        await using (var log = WalTestKit.Open(dir.Path, out _, segmentBytes: 256))
        {
            for (var slot = 1; slot <= 40; slot++)
            {
                var batch = new WalBatch();
                batch.AddEntry(WalTestKit.Entry(slot, size: 50));
                if (slot == 5)
                {
                    batch.AddHardState(hardState);
                }

                await log.CommitAsync(batch);
            }

            log.SegmentCount.Should().BeGreaterThan(5);
            var before = log.SegmentCount;
            log.CompactThrough(25).Should().BeGreaterThan(0);
            log.SegmentCount.Should().BeLessThan(before);
        }

        await using (WalTestKit.Open(dir.Path, out var contents, segmentBytes: 256))
        {
            contents.HardState.Should().Be(hardState, "every segment opens with the hard state current when it was created");
            var above = contents.Entries.Where(e => e.Slot > 25).Select(e => e.Slot);
            above.Should().Equal(Enumerable.Range(26, 15).Select(i => (long)i));
            contents.Entries.Min(e => e.Slot).Should().BeGreaterThan(0);
        }
    }

    [Fact]
    public async Task Many_concurrent_commits_share_fsyncs()
    {
        using var dir = new TempDirectory();
        await using var log = WalTestKit.Open(dir.Path, out _);
        var commits = new List<Task>();
        for (var slot = 1; slot <= 2000; slot++)
        {
            var batch = new WalBatch();
            batch.AddEntry(WalTestKit.Entry(slot));
            commits.Add(log.CommitAsync(batch));
        }

        await Task.WhenAll(commits);
        log.Syncs.Should().BeLessThan(2000, "batches queued while an fsync runs are written by the next one");
    }
}
