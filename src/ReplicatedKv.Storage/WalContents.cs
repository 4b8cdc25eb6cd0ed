using ReplicatedKv.Consensus;

namespace ReplicatedKv.Storage;

/// <summary>Everything recovery read back from the log, in the order it was written.</summary>
public sealed class WalContents
{
    public HardState HardState { get; internal set; }

    /// <summary>The incarnation table of the latest hard state record (empty for one written without it).</summary>
    public IncarnationTable Incarnations { get; internal set; } = IncarnationTable.Empty;

    /// <summary>Accepted entries in write order; where a slot repeats, the later entry wins.</summary>
    public List<LogEntry> Entries { get; } = [];

    /// <summary>The newest snapshot the log says exists (0 for none).</summary>
    public long SnapshotMarker { get; internal set; }

    /// <summary>Bytes cut off a torn tail, 0 when the log ended cleanly.</summary>
    public long TruncatedBytes { get; internal set; }

    /// <summary>
    /// Set when records the log had made durable are gone; then everything above comes from the intact prefix
    /// only, and (under <see cref="LostStatePolicy.Rejoin"/>) the hard state is marked Rejoining.
    /// </summary>
    public WalLoss? Loss { get; internal set; }

    internal List<WalSegment> Segments { get; } = [];

    /// <summary>Where <see cref="HardState"/> was read from (file and offset), to name it when it cannot be trusted.</summary>
    internal (string Path, long Offset) HardStateAt { get; set; }
}

/// <summary>One segment file and the highest slot of any entry in it (what compaction decides by).</summary>
internal sealed class WalSegment(long index, string path)
{
    public long Index { get; } = index;

    public string Path { get; } = path;

    public long Length { get; set; }

    public long MaxSlot { get; set; }

    /// <summary>Bytes of the format 2 header before the first record: 0 for a format 1 segment.</summary>
    public int HeaderBytes { get; init; }

    /// <summary>Running number of the segment's first record (from its header; format 1 segments only count on).</summary>
    public long FirstRecord { get; init; }

    /// <summary>Records in the segment so far: the next segment's first record is <c>FirstRecord + Records</c>.</summary>
    public long Records { get; set; }

    /// <summary>True when the segment opens with a hard state record, as every rolled segment does.</summary>
    public bool HasHeader { get; set; }

    public static string FileName(long index) => $"{index:D16}.wal";
}
