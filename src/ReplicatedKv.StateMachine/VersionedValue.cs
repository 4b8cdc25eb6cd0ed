namespace ReplicatedKv.StateMachine;

/// <summary>
/// What the table holds per key. <see cref="Value"/> is never modified after it is stored (a write stores a new
/// array), which is what lets snapshot views share it with the live table without copying.
/// </summary>
/// <param name="Value">The value bytes.</param>
/// <param name="Version">The modification revision: the cluster-wide revision of the write that stored this value
/// (what compare-and-set compares; named Version in code that predates per-key versions).</param>
/// <param name="CreateRevision">The revision of the write that created the key (after its last removal, if any).</param>
/// <param name="KeyVersion">How many sets the key has seen since it was created: 1 at creation, as etcd's version.</param>
internal readonly record struct VersionedValue(byte[] Value, ulong Version, ulong CreateRevision, ulong KeyVersion);
