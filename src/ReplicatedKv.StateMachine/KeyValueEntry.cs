namespace ReplicatedKv.StateMachine;

/// <summary>One key as a read or a listing returns it.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value bytes; empty in a keys-only listing.</param>
/// <param name="ModRevision">The cluster-wide revision of the write that stored this value (compare-and-set compares it).</param>
/// <param name="CreateRevision">The revision that created the key (after its last removal, if any).</param>
/// <param name="Version">Sets since creation: 1 for a new key, +1 per set.</param>
public readonly record struct KeyValueEntry(string Key, ReadOnlyMemory<byte> Value, ulong ModRevision, ulong CreateRevision, ulong Version);
