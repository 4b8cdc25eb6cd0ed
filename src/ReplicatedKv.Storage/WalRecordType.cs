namespace ReplicatedKv.Storage;

/// <summary>What a write-ahead log record holds. The numbers are on disk: never reuse one.</summary>
public enum WalRecordType : byte
{
    /// <summary>The acceptor's promised ballot, decided index and flags (the latest one wins).</summary>
    HardState = 1,

    /// <summary>An accepted value: slot, ballot, batch of commands (a later one for a slot wins).</summary>
    Entry = 2,

    /// <summary>A snapshot through this slot exists: recovery must find one at least this new.</summary>
    SnapshotMarker = 3,
}
