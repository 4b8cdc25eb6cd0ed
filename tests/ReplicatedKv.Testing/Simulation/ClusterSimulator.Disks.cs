namespace ReplicatedKv.Testing.Simulation;

/// <summary>The simulator's disks: the model or the real storage code, and what a recovery from them may report.</summary>
internal sealed partial class ClusterSimulator : IDisposable
{
    private string? _storageRoot;
    private int _disksMade;

    /// <summary>Crashes after which the real storage found synced records lost and restarted the node Rejoining.</summary>
    public int StorageLosses { get; private set; }

    /// <summary>Crashes after which the real storage refused to start (the node stayed down for good).</summary>
    public int StorageRefusals => RefusalReasons.Count;

    /// <summary>Each refusal: the damage the crash did, and the storage's one-line reason.</summary>
    public List<string> RefusalReasons { get; } = [];

    /// <summary>Deletes the real disks' snapshot folders.</summary>
    public void Dispose()
    {
        foreach (var node in _nodes.Skip(1))
        {
            node?.Disk.Dispose();
        }

        if (_storageRoot is not null && Directory.Exists(_storageRoot))
        {
            Directory.Delete(_storageRoot, recursive: true);
        }
    }

    private ISimDisk NewDisk(int nodeId)
    {
        if (!_options.RealStorage)
        {
            return new SimDisk();
        }

        _storageRoot ??= Path.Combine(Path.GetTempPath(), $"rkv-sim-{Guid.NewGuid():N}");
        return new RealStorageDisk(Path.Combine(_storageRoot, $"node{nodeId}-{++_disksMade}"), nodeId, _options);
    }

    /// <summary>
    /// After a crash of a real disk: a loss of synced records, or a refusal, is right only when the crash damaged
    /// synced bytes. A crash that merely lost unsynced writes must recover silently; anything else is a storage bug.
    /// </summary>
    private void CheckRecovery(SimNode node)
    {
        if (node.Disk is not RealStorageDisk disk || !_options.CheckRecovery)
        {
            return;
        }

        if (disk.Refusal is { } refusal)
        {
            RefusalReasons.Add($"{disk.DurableDamage}: {refusal}");
            if (disk.DurableDamage is null)
            {
                Fail("storage", $"node {node.Id} refused to start after a crash that damaged nothing synced: {refusal}");
            }
        }
        else if (disk.RecoveredFromLoss)
        {
            StorageLosses++;
            if (disk.DurableDamage is null)
            {
                Fail("storage", $"node {node.Id} lost synced records in a crash that damaged nothing synced");
            }
        }
    }
}
