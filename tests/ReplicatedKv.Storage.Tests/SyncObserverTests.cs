using System.Collections.Concurrent;
using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage.Tests;

/// <summary>The host measures the disk through <see cref="IWalSyncObserver"/>: one report per fsync, with what it made durable.</summary>
public sealed class SyncObserverTests
{
    [Fact]
    public async Task Each_group_commit_reports_its_fsync_with_the_commands_and_bytes_it_made_durable()
    {
        using var dir = new TempDirectory();
        var observer = new RecordingObserver();
        await using var log = WriteAheadLog.Open(new WalOptions { Directory = dir.Path, SyncObserver = observer }, out _);

        var twoCommands = new WalBatch();
        twoCommands.AddEntry(new LogEntry(1, new Ballot(1, 1), new SlotValue([new byte[] { 1 }, new byte[] { 2 }])));
        long entryBytes = twoCommands.Length; // read before the commit hands the batch's buffer back to the pool
        log.Commit(twoCommands);

        var hardStateOnly = new WalBatch();
        hardStateOnly.AddHardState(new HardState(new Ballot(1, 1), 1));
        long hardStateBytes = hardStateOnly.Length;
        log.Commit(hardStateOnly);

        observer.Syncs.Select(s => (s.Commands, s.Bytes)).Should().Equal((2, entryBytes), (0, hardStateBytes));
        observer.Syncs.Should().OnlyContain(s => s.Duration >= TimeSpan.Zero);
        log.Syncs.Should().Be(observer.Syncs.Length + 3, "the fsyncs at open (new segment, recovered position, durable mark) are not group commits");
    }

    private sealed class RecordingObserver : IWalSyncObserver
    {
        private readonly ConcurrentQueue<(TimeSpan Duration, int Commands, long Bytes)> _syncs = new();

        public (TimeSpan Duration, int Commands, long Bytes)[] Syncs => _syncs.ToArray();

        public void OnSynced(TimeSpan duration, int commands, long bytes) => _syncs.Enqueue((duration, commands, bytes));
    }
}
