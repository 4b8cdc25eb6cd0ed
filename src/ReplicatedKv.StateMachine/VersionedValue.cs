namespace ReplicatedKv.StateMachine;

/// <summary>
/// What the table holds per key. <see cref="Value"/> is never modified after it is stored (a write stores a new
/// array), which is what lets snapshot views share it with the live table without copying.
/// </summary>
internal readonly record struct VersionedValue(byte[] Value, ulong Version);
