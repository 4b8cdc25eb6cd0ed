using ReplicatedKv.Chaos.Nemesis;

namespace ReplicatedKv.Chaos.Scenarios;

internal enum ScenarioKind
{
    Kill,
    Pause,
    Partition,
    FsyncCrash,
    Mixed,

    /// <summary>Every node killed at once and restarted together, again and again: how long a whole cluster takes to serve.</summary>
    Restart,

    /// <summary>No faults, the workload at full speed: leader changes and write stalls a healthy cluster shows under load.</summary>
    Load,

    /// <summary>
    /// Deliberately unsafe, to prove the checks can fail: a node loses its data directory and is restarted with
    /// <c>--initial-cluster-state new</c> (which README calls unsafe on a lost disk), so acknowledged writes vanish.
    /// </summary>
    LostDiskUnsafe,

    /// <summary>
    /// <see cref="LostDiskUnsafe"/> with the minority cut off by a partition instead of frozen: the writes are lost
    /// only if the partition really kept them from the minority, so it shows the network's partitions work.
    /// </summary>
    LostDiskUnsafePartition,
}

internal static class ScenarioNames
{
    private static readonly Dictionary<string, ScenarioKind> ByName = new(StringComparer.Ordinal)
    {
        ["kill"] = ScenarioKind.Kill,
        ["pause"] = ScenarioKind.Pause,
        ["partition"] = ScenarioKind.Partition,
        ["fsync-crash"] = ScenarioKind.FsyncCrash,
        ["mixed"] = ScenarioKind.Mixed,
        ["restart"] = ScenarioKind.Restart,
        ["load"] = ScenarioKind.Load,
        ["lost-disk-unsafe"] = ScenarioKind.LostDiskUnsafe,
        ["lost-disk-unsafe-partition"] = ScenarioKind.LostDiskUnsafePartition,
    };

    public static IEnumerable<string> All => ByName.Keys;

    public static bool TryParse(string name, out ScenarioKind kind) => ByName.TryGetValue(name, out kind);

    public static string Name(this ScenarioKind kind) => ByName.First(p => p.Value == kind).Key;

    /// <summary>The faults a scenario's nemesis draws from; partitions only where the network can make them.</summary>
    public static IReadOnlyList<FaultKind> Faults(this ScenarioKind kind, bool canPartition) => kind switch
    {
        ScenarioKind.Kill => [FaultKind.Kill],
        ScenarioKind.Pause => [FaultKind.Pause],
        ScenarioKind.Partition => [FaultKind.Partition],
        ScenarioKind.FsyncCrash => [FaultKind.FsyncCrash],
        ScenarioKind.Restart => [FaultKind.RestartAll],
        ScenarioKind.Mixed => canPartition
            ? [FaultKind.Kill, FaultKind.Pause, FaultKind.Partition, FaultKind.FsyncCrash]
            : [FaultKind.Kill, FaultKind.Pause, FaultKind.FsyncCrash],
        _ => [],
    };

    public static bool NeedsPartitions(this ScenarioKind kind) => kind is ScenarioKind.Partition or ScenarioKind.LostDiskUnsafePartition;

    public static bool IsLostDisk(this ScenarioKind kind) => kind is ScenarioKind.LostDiskUnsafe or ScenarioKind.LostDiskUnsafePartition;

    public static bool NeedsFailpoints(this ScenarioKind kind) => kind is ScenarioKind.FsyncCrash or ScenarioKind.Mixed;
}
