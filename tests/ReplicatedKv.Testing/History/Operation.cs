namespace ReplicatedKv.Testing.History;

/// <summary>
/// One client call as the history records it (one JSON line each). Times are from one monotonic clock in the
/// harness process, in nanoseconds. Every write carries a value no other write uses, so a value names its write.
/// </summary>
/// <param name="Id">Unique in the history, in invoke order.</param>
/// <param name="Client">The logical client (one outstanding call at a time).</param>
/// <param name="Key">The key the call touches.</param>
/// <param name="Kind">Get, set or remove.</param>
/// <param name="Value">For a set: the value written.</param>
/// <param name="IfVersion">For a compare-and-set: the version the key must have (0 = must be absent).</param>
/// <param name="InvokeNanos">When the call was made.</param>
/// <param name="CompleteNanos">When the reply arrived; null for <see cref="OperationOutcome.Unknown"/>.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Found">For an ok get: whether the key existed. For an ok remove: whether it deleted something.</param>
/// <param name="ReadValue">For an ok get that found the key: the value read.</param>
/// <param name="Version">
/// For an ok get that found the key: its version. For an ok set, or an ok remove that deleted: the revision the
/// write was given. For a version mismatch: the key's current version (0 when absent).
/// </param>
/// <param name="Error">For failed and unknown outcomes: what the client saw, for people reading the artifacts.</param>
public sealed record Operation(
    long Id,
    int Client,
    string Key,
    OperationKind Kind,
    string? Value,
    ulong? IfVersion,
    long InvokeNanos,
    long? CompleteNanos,
    OperationOutcome Outcome,
    bool Found = false,
    string? ReadValue = null,
    ulong Version = 0,
    string? Error = null);
