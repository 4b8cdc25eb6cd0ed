using ReplicatedKv.Testing.Files;

namespace ReplicatedKv.Storage.Tests;

/// <summary>
/// A full disk or failing device, through the file seam's twin: writes fail clearly, the log stays intact, writing
/// resumes after.
/// </summary>
public sealed class DiskFaultTests
{
    private const string Wal = "/twin/wal";

    [Fact]
    public void A_failed_write_leaves_no_partial_record_and_writing_resumes_when_the_disk_recovers()
    {
        var files = new InMemoryFiles();
        using (var log = WalTestKit.Open(Wal, out _, files: files))
        {
            log.CommitEntry(1);
            var lengthBefore = SegmentBytes(files).Length;

            files.DiskFull = true;
            FluentActions.Invoking(() => log.CommitEntry(2)).Should().Throw<StorageUnavailableException>()
                .Which.InnerException.Should().BeOfType<IOException>().Which.HResult.Should().Be(InMemoryFiles.DiskFullHResult);
            SegmentBytes(files).Length.Should().Be(lengthBefore, "the failed batch is cut back off");

            files.DiskFull = false;
            log.CommitEntry(2);
            log.CommitEntry(3);
        }

        using (WalTestKit.Open(Wal, out var contents, files: files))
        {
            contents.Entries.Select(e => e.Slot).Should().Equal(1, 2, 3);
            contents.TruncatedBytes.Should().Be(0);
        }
    }

    [Fact]
    public void A_torn_write_is_cut_back_off_and_the_same_records_can_be_written_again()
    {
        var files = new InMemoryFiles();
        using (var log = WalTestKit.Open(Wal, out _, files: files))
        {
            log.CommitEntry(1);
            var lengthBefore = SegmentBytes(files).Length;

            files.TearNextWrite(keepBytes: 7);
            FluentActions.Invoking(() => log.CommitEntry(2)).Should().Throw<StorageUnavailableException>();
            SegmentBytes(files).Length.Should().Be(lengthBefore, "the torn part is cut back off");

            log.CommitEntry(2);
        }

        using (WalTestKit.Open(Wal, out var contents, files: files))
        {
            contents.Entries.Select(e => e.Slot).Should().Equal(1, 2);
            contents.TruncatedBytes.Should().Be(0);
        }
    }

    [Fact]
    public void A_failed_fsync_drops_everything_since_the_last_sync_and_a_retry_makes_it_durable()
    {
        var files = new InMemoryFiles();
        using (var log = WalTestKit.Open(Wal, out _, files: files))
        {
            log.CommitEntry(1);
            var durableLength = SegmentBytes(files).Length;

            // Two appends pending, as a loop turn without MustSync may leave; the sync that would cover them fails.
            Append(log, 2);
            Append(log, 3);
            files.FailSyncs = true;
            FluentActions.Invoking(log.Sync).Should().Throw<StorageUnavailableException>().WithMessage("*fdatasync*");
            SegmentBytes(files).Length.Should().Be(durableLength, "what the failed sync covered is unknown, so it is cut off");
            log.HasUnsynced.Should().BeFalse();

            files.FailSyncs = false;
            Append(log, 2);
            Append(log, 3);
            log.Sync();
        }

        files.Crash();
        using (WalTestKit.Open(Wal, out var contents, files: files))
        {
            contents.Entries.Select(e => e.Slot).Should().Equal(1, 2, 3);
        }
    }

    [Fact]
    public void A_failed_segment_roll_keeps_writing_to_the_current_segment_and_rolls_later()
    {
        var files = new InMemoryFiles();
        var failed = 0;
        var committed = new List<long>();
        using (var log = WalTestKit.Open(Wal, out _, segmentBytes: 200, files: files))
        {
            files.Fault = (operation, path) =>
                operation == FileOperation.Create && path.EndsWith(".tmp", StringComparison.Ordinal) ? InMemoryFiles.DiskFullError(path) : null;
            for (var slot = 1; slot <= 6; slot++)
            {
                try
                {
                    log.CommitEntry(slot);
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
            files.List(Wal, ".tmp").Should().BeEmpty("a failed roll leaves no half-made segment");
            files.Fault = null;
            for (var slot = 7; slot <= 12; slot++)
            {
                log.CommitEntry(slot);
                committed.Add(slot);
            }

            log.SegmentCount.Should().BeGreaterThan(1);
        }

        using (WalTestKit.Open(Wal, out var contents, segmentBytes: 200, files: files))
        {
            contents.Entries.Select(e => e.Slot).Should().Equal(committed, "exactly the commits that succeeded are in the log");
            contents.TruncatedBytes.Should().Be(0);
        }
    }

    private static byte[] SegmentBytes(InMemoryFiles files) => files.ReadAll(files.List(Wal, ".wal")[^1]);

    private static void Append(WriteAheadLog log, long slot)
    {
        var batch = new WalBatch();
        batch.AddEntry(WalTestKit.Entry(slot));
        log.Append(batch);
    }
}
