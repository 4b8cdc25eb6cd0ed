using System.Globalization;
using ReplicatedKv.Consensus;
using ReplicatedKv.Storage;
using ReplicatedKv.Testing.Files;

namespace ReplicatedKv.Testing.Simulation;

/// <summary>
/// A simulated node's disk that is the real storage code: <see cref="NodeStorage"/> (write-ahead log, durable mark,
/// recovery, loss repair, compaction) over its own <see cref="InMemoryFiles"/>, which at a crash keeps any pages of
/// the unsynced writes (<see cref="InMemoryFiles.Crash(Random)"/>). A crash reopens the storage exactly as
/// rkv-server's KvNode.OpenAsync does (LostStatePolicy.Rejoin, as in any cluster of more than one node), so the
/// node restarts from whatever the real recovery made of the damage.
/// </summary>
/// <remarks>
/// Snapshot files go through <see cref="SnapshotStore"/>, which uses the real file system (it is not behind the
/// file seam): they live in a temporary folder of their own and survive every crash whole. That is what their
/// write-fsync-rename-fsync protocol promises anyway; the crash model covers the log.
/// </remarks>
internal sealed class RealStorageDisk : ISimDisk
{
    // Small segments, so short runs roll segments, close them and compact them away.
    private const long SegmentBytes = 8 << 10;

    private readonly InMemoryFiles _files = new();
    private readonly StorageOptions _options;
    private readonly StorageDamage _damage;
    private readonly double _unsyncedDamageRate;
    private readonly double _syncedDamageRate;
    private NodeStorage? _storage;
    private HardState _hardState;
    private IncarnationTable? _incarnations;
    private bool _persistedSinceOpen;

    public RealStorageDisk(string dataDirectory, int nodeId, SimulationOptions options)
    {
        _options = new StorageOptions
        {
            DataDirectory = dataDirectory,
            Files = _files,
            SegmentBytes = SegmentBytes,
            SnapshotEveryEntries = 0,
            SnapshotEveryBytes = 0,
            Identity = WalIdentity.Of("simulated", nodeId.ToString(CultureInfo.InvariantCulture)),
            LostState = LostStatePolicy.Rejoin,
#if RKV_FAULT_INJECTION
            Faults = options.StorageFaults,
#endif
        };
        _unsyncedDamageRate = options.UnsyncedDamageRate;
        _syncedDamageRate = options.SyncedDamageRate;
        _damage = new StorageDamage(_files, Path.Combine(dataDirectory, "wal"));
        Open();
    }

    public long SnapshotSlot { get; private set; }

    public IReadOnlyList<SlotValue> SnapshotValues { get; private set; } = [];

    // The real snapshot file holds only the table; the configurations it would carry are kept here, by slot.
    private readonly Dictionary<long, MembershipSnapshot?> _memberships = [];

    public MembershipSnapshot? SnapshotMembership => _memberships.GetValueOrDefault(SnapshotSlot);

    public bool RecoveredFromLoss { get; private set; }

    /// <summary>Why the storage refused to open after the last crash, or null.</summary>
    public string? Refusal { get; private set; }

    /// <summary>The synced-region damage the last crash did, or null: the only excuse for a loss or a refusal.</summary>
    public string? DurableDamage => _damage.DurableDamage;

    /// <summary>
    /// Down: what recovery made of the disk. Up: the newest hard state persisted over the snapshot (entries left
    /// out; what restarting as a voter or not depends on is in the hard state).
    /// </summary>
    public PersistentState? DurableState =>
        _storage is null ? null
        : _persistedSinceOpen ? new PersistentState(_hardState with { DecidedIndex = SnapshotSlot }, SnapshotSlot, [], SnapshotMembership, _incarnations)
        : _storage.State with { Membership = SnapshotMembership };

    public void Persist(Ready ready)
    {
        _storage!.Persist(ready);
        _hardState = ready.HardState ?? _hardState;
        _incarnations = ready.Incarnations ?? _incarnations;
        _persistedSinceOpen = true;
    }

    public void SaveSnapshot(long slot, IReadOnlyList<SlotValue> values, MembershipSnapshot? membership)
    {
        _memberships[slot] = membership;
        var payload = SnapshotValuesCodec.Encode(values);
        _storage!.SaveSnapshotAsync(slot, (stream, token) => stream.WriteAsync(payload, token).AsTask()).GetAwaiter().GetResult();
        _storage.RecordSnapshot(slot);
        SnapshotSlot = slot;
        SnapshotValues = values;
    }

    public void Crash(Ready? pending, SimRandom random, bool mayLoseDurable)
    {
        if (_storage is null)
        {
            return;
        }

        if (pending is not null)
        {
            WriteUnsynced(pending);
        }

        _damage.BeforeCrash();
        _files.Crash(new Random(random.Next(0, int.MaxValue)));
        _damage.AfterCrash(random, _unsyncedDamageRate, _syncedDamageRate, mayLoseDurable);

        // The dead process's log is dropped, not disposed: disposing syncs, and a power cut does not.
        _storage = null;
        Open();
    }

    /// <summary>Every node starts having promised this ballot: written and synced before the first start.</summary>
    public void Promise(HardState hardState)
    {
        var batch = new WalBatch(WalFormat.HardStateFrameSize);
        batch.AddHardState(hardState);
        _storage!.Log.Append(batch);
        _storage.Log.Sync();
        _storage.Dispose();
        Open();
    }

    public void Dispose()
    {
        // Only the snapshot folder is on the real disk; the log is in memory and goes with the object.
        if (Directory.Exists(_options.DataDirectory))
        {
            Directory.Delete(_options.DataDirectory, recursive: true);
        }
    }

    /// <summary>The host wrote a Ready's records when the power went, before (or without) its fsync.</summary>
    private void WriteUnsynced(Ready pending)
    {
        if (pending.Entries.Count == 0 && pending.HardState is null && pending.Incarnations is null)
        {
            return;
        }

        var batch = new WalBatch();
        foreach (var entry in pending.Entries)
        {
            batch.AddEntry(entry);
        }

        if (pending.HardState is not null || pending.Incarnations is not null)
        {
            // As NodeStorage.Persist: the record carries the whole table with the hard state.
            batch.AddHardState(pending.HardState ?? _hardState, pending.Incarnations ?? _incarnations);
        }

        _storage!.Log.Append(batch);
    }

    /// <summary>Opens the storage as KvNode.OpenAsync does; a refusal leaves the node down for good.</summary>
    private void Open()
    {
        try
        {
            _storage = NodeStorage.Open(_options);
        }
        catch (WalCorruptionException e)
        {
            Refusal = e.Message;
            return;
        }

        Refusal = null;
        RecoveredFromLoss = _storage.LostState is not null;
        _hardState = _storage.State.HardState;
        _incarnations = _storage.State.Incarnations;
        _persistedSinceOpen = false;
        SnapshotSlot = _storage.State.SnapshotSlot;
        SnapshotValues = [];
        if (_storage.Snapshot is { } snapshot)
        {
            using var payload = snapshot.OpenPayload();
            SnapshotValues = SnapshotValuesCodec.Decode(payload);
        }
    }
}
