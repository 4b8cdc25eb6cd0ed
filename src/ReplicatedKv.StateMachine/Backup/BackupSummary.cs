namespace ReplicatedKv.StateMachine.Backup;

/// <summary>What <c>snapshot status</c> reports: the header, the file's size, and the key count and state hash of its payload as read back.</summary>
/// <param name="Header">The file's header.</param>
/// <param name="SizeBytes">The file's length.</param>
/// <param name="Keys">Keys in the payload, counted by reading it.</param>
/// <param name="StateHash">The state hash of the payload (as Cluster.Status reports it on a node at that revision).</param>
public sealed record BackupSummary(BackupHeader Header, long SizeBytes, int Keys, string StateHash);
