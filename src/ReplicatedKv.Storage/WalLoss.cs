namespace ReplicatedKv.Storage;

/// <summary>
/// Recovery found that records this log had made durable are gone (a segment missing, empty, cut short or
/// damaged below the durable mark, or written by another node). <see cref="Path"/> and <see cref="Offset"/>
/// name where; what came before is intact.
/// </summary>
public sealed record WalLoss(string Path, long Offset, string Reason)
{
    /// <summary>Position in the segment list of the first segment not kept whole (the list's count: none).</summary>
    internal int FirstDamagedSegment { get; init; }

    /// <summary>Bytes of that segment still intact and kept; 0 moves it aside entirely.</summary>
    internal long IntactBytes { get; init; }

    /// <summary>One line: the file, the offset and what is wrong there.</summary>
    public override string ToString() => $"{Path}: {Reason} at offset {Offset}";

    /// <summary>The refusal under <see cref="LostStatePolicy.Refuse"/>: one line naming the file, the offset and what to do.</summary>
    internal WalCorruptionException Refusal() => new(
        $"{this}: records this node made durable are lost; restore the data directory from a backup, or start the node as a member of a cluster with other members so it rejoins as a learner");
}

/// <summary>What opening a log that lost durable records does (see <see cref="WalLoss"/>).</summary>
public enum LostStatePolicy
{
    /// <summary>Throw <see cref="WalCorruptionException"/> and leave every file untouched for the operator.</summary>
    Refuse,

    /// <summary>
    /// Keep the intact prefix, move the rest aside (<c>*.lost</c>) and durably mark the hard state Rejoining, so
    /// the replica restarts as a learner that does not vote until fenced and fetches the lost slots from its
    /// peers. Only for a member of a cluster with other members: alone, nobody holds what was lost.
    /// </summary>
    Rejoin,
}
