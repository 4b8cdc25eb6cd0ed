using ReplicatedKv.Consensus;
using ReplicatedKv.Testing.Files;

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

                log.Commit(batch);
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
    public void A_compaction_cut_short_leaves_no_hole_in_the_log()
    {
        // Found by the kill -9 test, which kills the writer right after it announces a compaction: deleting the
        // newest eligible segments first left older ones behind newer ones that were gone.
        var files = new InMemoryFiles();
        var deletes = 0;
        using (var log = WalTestKit.Open(Wal, out _, segmentBytes: 256, files: files))
        {
            for (var slot = 1; slot <= 40; slot++)
            {
                log.CommitEntry(slot, size: 50);
            }

            files.Fault = (operation, _) => operation == FileOperation.Delete && ++deletes == 3 ? new IOException("crash during compaction") : null;
            FluentActions.Invoking(() => log.CompactThrough(30)).Should().Throw<IOException>();
            files.Fault = null;
        }

        // The process died there (kill -9, not a power cut): the deletions done so far stay.
        using (WalTestKit.Open(Wal, out var contents, segmentBytes: 256, files: files))
        {
            var slots = contents.Entries.Select(e => e.Slot).ToList();
            slots[0].Should().BeGreaterThan(1, "two segments went before the crash");
            slots.Should().Equal(Enumerable.Range((int)slots[0], 40 - (int)slots[0] + 1).Select(i => (long)i), "what is kept has no hole");
        }
    }

    [Fact]
    public void Appends_are_durable_only_from_the_sync_that_follows_them()
    {
        var files = new InMemoryFiles();
        using (var log = WalTestKit.Open(Wal, out _, files: files))
        {
            var syncsAtOpen = log.Syncs;
            for (var slot = 1; slot <= 50; slot++)
            {
                var batch = new WalBatch();
                batch.AddEntry(WalTestKit.Entry(slot));
                log.Append(batch);
            }

            log.HasUnsynced.Should().BeTrue();
            log.Sync();
            (log.Syncs - syncsAtOpen).Should().Be(1, "one sync covers every append before it");
            log.Sync();
            (log.Syncs - syncsAtOpen).Should().Be(1, "with nothing appended there is nothing to sync");

            var unsynced = new WalBatch();
            unsynced.AddEntry(WalTestKit.Entry(51));
            log.Append(unsynced);
            files.Crash();
        }

        using (WalTestKit.Open(Wal, out var contents, files: files))
        {
            contents.Entries.Select(e => e.Slot).Should().Equal(Enumerable.Range(1, 50).Select(i => (long)i), "the crash took the append no sync covered");
        }
    }

    [Fact]
    public void A_segment_roll_first_makes_what_the_full_segment_holds_durable()
    {
        var files = new InMemoryFiles();
        using (var log = WalTestKit.Open(Wal, out _, segmentBytes: 256, files: files))
        {
            for (var slot = 1; slot <= 20; slot++)
            {
                var batch = new WalBatch();
                batch.AddEntry(WalTestKit.Entry(slot, size: 50));
                log.Append(batch);
            }

            log.SegmentCount.Should().BeGreaterThan(3);
            files.Crash();
        }

        using (WalTestKit.Open(Wal, out var contents, segmentBytes: 256, files: files))
        {
            var slots = contents.Entries.Select(e => e.Slot).ToList();
            slots.Should().Equal(Enumerable.Range(1, slots.Count).Select(i => (long)i), "closed segments were synced before the next was started");
            slots.Count.Should().BeLessThan(20, "the newest segment's appends were never synced");
            slots.Count.Should().BeGreaterThan(0);
        }
    }

    [Fact]
    public void A_crash_inside_a_write_leaves_a_torn_tail_that_recovery_cuts_off()
    {
        var files = new InMemoryFiles();
        var log = WalTestKit.Open(Wal, out _, files: files);
        log.CommitEntry(1);
        log.CommitEntry(2);
        files.CrashDuringNextWrite(keepBytes: 12);
        FluentActions.Invoking(() => log.CommitEntry(3)).Should().Throw<SimulatedCrashException>();
        log.Dispose();

        using (WalTestKit.Open(Wal, out var contents, files: files))
        {
            contents.Entries.Select(e => e.Slot).Should().Equal(1, 2);
            contents.TruncatedBytes.Should().Be(12);
        }
    }

    [Fact]
    public async Task Compaction_never_deletes_the_only_hard_state_when_the_newest_segment_lacks_a_header()
    {
        using var dir = new TempDirectory();
        var hardState = new HardState(new Ballot(9, 2), 3);
        await using (var log = WalTestKit.Open(dir.Path, out _))
        {
            var batch = new WalBatch();
            batch.AddEntry(WalTestKit.Entry(1));
            batch.AddHardState(hardState);
            log.Commit(batch);
        }

        // A segment that starts without a header, as a crash inside a segment roll could once leave.
        var headerless = new System.Buffers.ArrayBufferWriter<byte>();
        WalFormat.WriteEntry(headerless, WalTestKit.Entry(2));
        await File.WriteAllBytesAsync(Path.Combine(dir.Path, "0000000000000002.wal"), headerless.WrittenSpan.ToArray());

        await using (var log = WalTestKit.Open(dir.Path, out _))
        {
            log.CompactThrough(100).Should().Be(0, "the only hard state lives in the older segment");
        }

        await using (WalTestKit.Open(dir.Path, out var contents))
        {
            contents.HardState.Should().Be(hardState);
        }
    }

    private const string Wal = "/twin/wal";
}
