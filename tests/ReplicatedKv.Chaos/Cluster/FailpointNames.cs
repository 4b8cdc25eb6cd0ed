namespace ReplicatedKv.Chaos.Cluster;

/// <summary>The server's test-only failpoints (src/ReplicatedKv.Storage/Failpoints.cs), by the names its admin port takes.</summary>
internal static class FailpointNames
{
    /// <summary>Set on a node's environment to enable failpoints at all.</summary>
    public const string EnvironmentVariable = "RKV_FAILPOINTS";

    /// <summary>Spec <c>after:N</c>: the Nth log write from arming tears a record and SIGKILLs the node before fsync.</summary>
    public const string WalCrashMidBatch = "wal-crash-mid-batch";
}
