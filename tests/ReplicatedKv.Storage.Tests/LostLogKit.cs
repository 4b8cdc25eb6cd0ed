using ReplicatedKv.Testing.Files;

namespace ReplicatedKv.Storage.Tests;

/// <summary>Logs on the in-memory twin, and the damage a lost or copied disk does to them.</summary>
internal static class LostLogKit
{
    public const string Wal = "/twin/wal";

    public static readonly WalIdentity NodeA = WalIdentity.Of("cluster", "a");

    /// <summary>Opens <see cref="Wal"/> on <paramref name="files"/> as node A (by default) under <paramref name="policy"/>.</summary>
    public static WriteAheadLog Open(InMemoryFiles files, LostStatePolicy policy, out WalContents contents, string directory = Wal,
        WalIdentity? identity = null, long segmentBytes = 200) =>
        WriteAheadLog.Open(
            new WalOptions { Directory = directory, Files = files, SegmentBytes = segmentBytes, Identity = identity ?? NodeA, LostState = policy },
            out contents);

    /// <summary>Commits <paramref name="count"/> entries of 60 bytes, one per batch, into 200-byte segments, and closes cleanly.</summary>
    public static IReadOnlyList<string> WriteSegments(InMemoryFiles files, int count = 12, string directory = Wal, WalIdentity? identity = null)
    {
        using (var log = Open(files, LostStatePolicy.Refuse, out _, directory, identity))
        {
            for (var slot = 1; slot <= count; slot++)
            {
                var batch = new WalBatch();
                batch.AddEntry(WalTestKit.Entry(slot, size: 60));
                log.Commit(batch);
            }
        }

        return files.List(directory, ".wal");
    }

    /// <summary>Slots of the entries in the segment at <paramref name="path"/>, read by a fresh log of its own.</summary>
    public static long[] SlotsIn(InMemoryFiles files, string path)
    {
        var copy = new InMemoryFiles();
        copy.CreateDirectory("/copy");
        copy.Put("/copy/" + Path.GetFileName(path), files.ReadAll(path));
        using var log = Open(copy, LostStatePolicy.Refuse, out var contents, "/copy", WalIdentity.Unknown);
        return contents.Entries.Select(e => e.Slot).ToArray();
    }

    public static void Cut(InMemoryFiles files, string path, long length)
    {
        using var file = files.OpenExisting(path);
        file.SetLength(length);
        file.DataSync();
    }

    public static long[] Slots(this WalContents contents) => contents.Entries.Select(e => e.Slot).ToArray();

    public static long[] Range(long first, long last) => Enumerable.Range((int)first, (int)(last - first + 1)).Select(i => (long)i).ToArray();
}
