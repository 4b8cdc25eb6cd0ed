namespace ReplicatedKv.Storage;

/// <summary>
/// Under <see cref="LostStatePolicy.Rejoin"/>: keeps the intact prefix of a log that lost durable records and sets
/// the rest aside as <c>&lt;segment&gt;.&lt;n&gt;.lost</c> files (never deleted: they are the operator's evidence), so
/// that the log on disk is again a consistent, if older, state of this node.
/// </summary>
internal static class WalLossRepair
{
    public static void SetAside(IStorageFiles files, string directory, WalLoss loss)
    {
        var paths = files.List(directory, ".wal");
        var setAside = files.List(directory, ".lost").Count;
        for (var i = loss.FirstDamagedSegment; i < paths.Count; i++)
        {
            var aside = $"{paths[i]}.{++setAside}.lost";
            if (i > loss.FirstDamagedSegment || loss.IntactBytes == 0)
            {
                files.Move(paths[i], aside);
                continue;
            }

            var bytes = files.ReadAll(paths[i]);
            if (bytes.Length <= loss.IntactBytes)
            {
                continue;
            }

            // A copy of the whole file for the operator, then the damaged part cut off the one kept.
            using (var copy = files.Create(aside))
            {
                copy.Write(0, bytes);
                copy.DataSync();
            }

            using var kept = files.OpenExisting(paths[i]);
            kept.SetLength(loss.IntactBytes);
            kept.DataSync();
        }

        files.SyncDirectory(directory);
    }
}
