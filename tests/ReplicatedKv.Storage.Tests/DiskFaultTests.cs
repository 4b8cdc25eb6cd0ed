namespace ReplicatedKv.Storage.Tests;

/// <summary>A full disk or failing device: writes fail clearly, the log stays intact, writing resumes after.</summary>
public sealed class DiskFaultTests
{
    [Fact]
    public async Task A_failed_write_leaves_no_partial_record_and_writing_resumes_when_the_disk_recovers()
    {
        using var dir = new TempDirectory();
        var diskFull = false;
        IOException? Fault(string path) => diskFull ? new IOException("No space left on device") : null;
        await using (var log = WalTestKit.Open(dir.Path, out _, fault: Fault))
        {
            await Commit(log, 1);
            var lengthBefore = new FileInfo(WalTestKit.SegmentPath(dir.Path)).Length;

            diskFull = true;
            var failing = () => Commit(log, 2);
            (await failing.Should().ThrowAsync<StorageUnavailableException>()).Which.Message.Should().Contain("No space left on device");
            new FileInfo(WalTestKit.SegmentPath(dir.Path)).Length.Should().Be(lengthBefore, "the failed batch is cut back off");

            diskFull = false;
            await Commit(log, 2);
            await Commit(log, 3);
        }

        await using (WalTestKit.Open(dir.Path, out var contents))
        {
            contents.Entries.Select(e => e.Slot).Should().Equal(1, 2, 3);
            contents.TruncatedBytes.Should().Be(0);
        }
    }

    [Fact]
    public async Task A_failed_segment_roll_keeps_writing_to_the_current_segment_and_rolls_later()
    {
        using var dir = new TempDirectory();
        var failRolls = false;
        var failed = 0;
        var committed = new List<long>();
        IOException? Fault(string path) => failRolls && path.EndsWith(".tmp", StringComparison.Ordinal) ? new IOException("No space left on device") : null;
        await using (var log = WalTestKit.Open(dir.Path, out _, segmentBytes: 200, fault: Fault))
        {
            failRolls = true;
            for (var slot = 1; slot <= 6; slot++)
            {
                try
                {
                    await Commit(log, slot);
                    committed.Add(slot);
                }
                catch (StorageUnavailableException)
                {
                    // The batch that needed the new segment fails; nothing of it may count as written.
                    failed++;
                }
            }

            failed.Should().BeGreaterThan(0, "the segment filled up and the roll was refused");
            log.SegmentCount.Should().Be(1, "every roll failed");
            Directory.GetFiles(dir.Path, "*.tmp").Should().BeEmpty("a failed roll leaves no half-made segment");
            failRolls = false;
            for (var slot = 7; slot <= 12; slot++)
            {
                await Commit(log, slot);
                committed.Add(slot);
            }

            log.SegmentCount.Should().BeGreaterThan(1);
        }

        await using (WalTestKit.Open(dir.Path, out var contents, segmentBytes: 200))
        {
            contents.Entries.Select(e => e.Slot).Should().Equal(committed, "exactly the commits that succeeded are in the log");
            contents.TruncatedBytes.Should().Be(0);
        }
    }

    private static Task Commit(WriteAheadLog log, long slot)
    {
        var batch = new WalBatch();
        batch.AddEntry(WalTestKit.Entry(slot));
        return log.CommitAsync(batch);
    }
}
