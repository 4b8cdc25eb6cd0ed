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
    public async Task A_compaction_cut_short_leaves_no_hole_in_the_log()
    {
        // Found by the kill -9 test, which kills the writer right after it announces a compaction: deleting the
        // newest eligible segments first left older ones behind newer ones that were gone.
        using var dir = new TempDirectory();
        var deletes = 0;
        var options = new WalOptions
        {
            Directory = dir.Path,
            SegmentBytes = 256,
            DeleteFault = _ => ++deletes == 3 ? new IOException("crash during compaction") : null,
        };
        await using (var log = WriteAheadLog.Open(options, out _))
        {
            for (var slot = 1; slot <= 40; slot++)
            {
                var batch = new WalBatch();
                batch.AddEntry(WalTestKit.Entry(slot, size: 50));
                await log.CommitAsync(batch);
            }

            FluentActions.Invoking(() => log.CompactThrough(30)).Should().Throw<IOException>();
        }

        await using (WalTestKit.Open(dir.Path, out var contents, segmentBytes: 256))
        {
            var slots = contents.Entries.Select(e => e.Slot).ToList();
            slots[0].Should().BeGreaterThan(1, "two segments went before the crash");
            slots.Should().Equal(Enumerable.Range((int)slots[0], 40 - (int)slots[0] + 1).Select(i => (long)i), "what is kept has no hole");
        }
    }

    [Fact]
    public async Task Concurrent_committers_all_get_every_batch_durable()
    {
        using var dir = new TempDirectory();
        const int Writers = 8, PerWriter = 250;
        await using (var log = WalTestKit.Open(dir.Path, out _))
        {
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < PerWriter; i++)
                {
                    var batch = new WalBatch();
                    batch.AddEntry(WalTestKit.Entry((w * PerWriter) + i + 1));
                    await log.CommitAsync(batch);
                }
            })).ToArray();
            await Task.WhenAll(writers);
        }

        await using (WalTestKit.Open(dir.Path, out var contents))
        {
            contents.Entries.Select(e => e.Slot).Order().Should().Equal(Enumerable.Range(1, Writers * PerWriter).Select(i => (long)i));
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
            await log.CommitAsync(batch);
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

    [Fact]
    public async Task Batches_committed_while_an_fsync_runs_share_the_next_one()
    {
        using var dir = new TempDirectory();
        using var inFirstWrite = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var writes = 0;
        IOException? HoldFirstWrite(string path)
        {
            // Hold the first append (segment creation goes through the hook too, with a .tmp file).
            if (path.EndsWith(".wal", StringComparison.Ordinal) && Interlocked.Increment(ref writes) == 1)
            {
                inFirstWrite.Set();
                release.Wait();
            }

            return null;
        }

        await using var log = WalTestKit.Open(dir.Path, out _, fault: HoldFirstWrite);
        var syncsAtOpen = log.Syncs;
        var first = Task.Run(() => Commit(log, 1));
        inFirstWrite.Wait();

        // The flusher is inside its first write: these queue up behind it.
        var queued = Enumerable.Range(2, 50).Select(slot => Commit(log, slot)).ToArray();
        queued.Should().OnlyContain(t => !t.IsCompleted, "nothing is durable before its fsync");
        release.Set();
        await first;
        await Task.WhenAll(queued);
        (log.Syncs - syncsAtOpen).Should().Be(2, "the 50 batches queued during the first fsync share the second");
    }

    private static Task Commit(WriteAheadLog log, long slot)
    {
        var batch = new WalBatch();
        batch.AddEntry(WalTestKit.Entry(slot));
        return log.CommitAsync(batch);
    }
}
