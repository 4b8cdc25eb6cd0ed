using ReplicatedKv.Testing.Files;

namespace ReplicatedKv.Testing.Simulation;

/// <summary>
/// Medium damage a crash of <see cref="RealStorageDisk"/> may add: a flipped bit or a zeroed range, either in the
/// unsynced tail a crash left in a log segment (never reported durable: recovery must cut it off silently) or in
/// bytes that were synced (recovery must notice and rejoin, or refuse: never start as if nothing happened).
/// </summary>
/// <remarks>
/// Synced damage goes only where the log's durable mark vouches for it: a closed segment, the newest segment's
/// header, or the mark itself. Synced bytes past the mark of the newest segment look exactly like a torn tail
/// (the mark is written without an fsync and may lag), so the log cannot tell damage there from a crash.
/// </remarks>
internal sealed class StorageDamage(InMemoryFiles files, string walDirectory)
{
    // WalSegmentHeader.Size (internal to the storage library): the format 2 header every segment opens with.
    private const int SegmentHeaderBytes = 44;

    private Dictionary<string, long> _syncedBefore = [];

    /// <summary>Whether the last <see cref="AfterCrash"/> damaged synced bytes.</summary>
    public string? DurableDamage { get; private set; }

    /// <summary>Notes each segment's synced length before the crash: past it is the unsynced tail.</summary>
    public void BeforeCrash() =>
        _syncedBefore = files.List(walDirectory, ".wal").ToDictionary(path => path, files.SyncedLength);

    /// <summary>Damages what the crash left, as the rates and the failure budget allow.</summary>
    public void AfterCrash(SimRandom random, double unsyncedRate, double syncedRate, bool mayLoseDurable)
    {
        DurableDamage = null;
        if (random.Chance(unsyncedRate))
        {
            var tails = _syncedBefore.Where(s => files.Exists(s.Key) && files.Length(s.Key) > s.Value).ToList();
            if (tails.Count > 0)
            {
                var (path, synced) = random.Pick(tails);
                Damage(random, path, synced, files.Length(path));
            }
        }

        if (mayLoseDurable && random.Chance(syncedRate))
        {
            var segments = files.List(walDirectory, ".wal");
            var targets = segments.SkipLast(1).Select(path => (Path: path, End: files.Length(path))).ToList();
            if (segments.Count > 0)
            {
                targets.Add((segments[^1], Math.Min(SegmentHeaderBytes, files.Length(segments[^1]))));
            }

            var mark = Path.Combine(walDirectory, "durable.mark");
            if (files.Exists(mark))
            {
                targets.Add((mark, files.Length(mark)));
            }

            targets.RemoveAll(t => t.End == 0);
            if (targets.Count > 0)
            {
                var (path, end) = random.Pick(targets);
                DurableDamage = Damage(random, path, 0, end);
            }
        }
    }

    private string Damage(SimRandom random, string path, long from, long to)
    {
        var offset = from + random.Next(0, (int)(to - from));
        if (random.Chance(0.5))
        {
            var bit = random.Next(0, 8);
            files.BitFlip(path, offset, bit);
            return $"bit {bit} of byte {offset} of {Path.GetFileName(path)} flipped";
        }

        var length = random.Next(1, 65);
        files.ZeroRange(path, offset, length);
        return $"{length} bytes zeroed at {offset} of {Path.GetFileName(path)}";
    }
}
