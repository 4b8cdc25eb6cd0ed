using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage.Tests;

internal static class WalTestKit
{
    public static LogEntry Entry(long slot, int size = 10) =>
        new(slot, new Ballot(1, 1), new SlotValue([Enumerable.Range(0, size).Select(i => (byte)(slot + i)).ToArray()]));

    public static WriteAheadLog Open(string directory, out WalContents contents, long segmentBytes = 64L << 20, IStorageFiles? files = null) =>
        WriteAheadLog.Open(new WalOptions { Directory = directory, SegmentBytes = segmentBytes, Files = files ?? OsStorageFiles.Instance }, out contents);

    /// <summary>Appends the batch and syncs: what the node loop does with a Ready that must be durable.</summary>
    public static void Commit(this WriteAheadLog log, WalBatch batch)
    {
        log.Append(batch);
        log.Sync();
    }

    /// <summary>Appends and syncs one entry for <paramref name="slot"/>.</summary>
    public static void CommitEntry(this WriteAheadLog log, long slot, int size = 10)
    {
        var batch = new WalBatch();
        batch.AddEntry(Entry(slot, size));
        log.Commit(batch);
    }

    /// <summary>Commits one entry per batch and returns each batch's end offset in the (single) segment.</summary>
    public static List<long> WriteEntries(string directory, int count)
    {
        var ends = new List<long>();
        using var log = Open(directory, out _);
        for (var slot = 1; slot <= count; slot++)
        {
            var batch = new WalBatch();
            batch.AddEntry(Entry(slot, size: slot * 3));
            log.Commit(batch);
            ends.Add(new FileInfo(SegmentPath(directory)).Length);
        }

        return ends;
    }

    /// <summary>
    /// Moves the durable mark back to <paramref name="length"/> bytes of <paramref name="segment"/>: the state a
    /// power cut leaves when the OS had not yet written the newer, unsynced marks back.
    /// </summary>
    public static void SetDurableMark(string directory, long segment, long length, IStorageFiles? files = null)
    {
        using var mark = WalDurableMark.Open(files ?? OsStorageFiles.Instance, directory);
        mark.WriteDurable(segment, length);
    }

    public static WriteAheadLog OpenRejoining(string directory, out WalContents contents, IStorageFiles? files = null) =>
        WriteAheadLog.Open(
            new WalOptions { Directory = directory, Files = files ?? OsStorageFiles.Instance, LostState = LostStatePolicy.Rejoin }, out contents);

    public static string SegmentPath(string directory) => Directory.GetFiles(directory, "*.wal").Order(StringComparer.Ordinal).Last();

    public static void ShouldMatch(this LogEntry actual, LogEntry expected)
    {
        actual.Slot.Should().Be(expected.Slot);
        actual.Ballot.Should().Be(expected.Ballot);
        actual.Value.ContentEquals(expected.Value).Should().BeTrue($"slot {expected.Slot} must read back intact");
    }
}
