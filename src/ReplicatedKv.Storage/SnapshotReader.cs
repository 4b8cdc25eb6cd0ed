namespace ReplicatedKv.Storage;

/// <summary>A verified snapshot on disk: its slot, and a way to read its payload.</summary>
public sealed class SnapshotReader(long slot, string path, long payloadOffset, long payloadLength)
{
    public long Slot { get; } = slot;

    public string Path { get; } = path;

    public long PayloadLength { get; } = payloadLength;

    /// <summary>The encoded configurations stored with the snapshot (Consensus.MembershipSnapshot); null if it has none.</summary>
    public byte[]? Membership { get; init; }

    /// <summary>A stream over exactly the payload (what the state machine wrote).</summary>
    public Stream OpenPayload()
    {
        var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        file.Position = payloadOffset;
        return new BoundedReadStream(file, PayloadLength);
    }
}
