using ReplicatedKv.Testing.Checking;
using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>
/// Hand-made histories: each call records one operation with its invoke and completion times, given in
/// milliseconds so that explanations read like a run's.
/// </summary>
internal sealed class HistoryBuilder
{
    private const long NanosPerMillisecond = 1_000_000;

    private readonly List<Operation> _operations = [];

    public IReadOnlyList<Operation> Operations => _operations;

    public LinearizabilityResult Check() => LinearizabilityChecker.Check(_operations);

    public Operation Set(string key, string value, long from, long to, ulong version, ulong? ifVersion = null) =>
        Add(key, OperationKind.Set, value, ifVersion, from, to, OperationOutcome.Ok, version: version);

    public Operation SetUnknown(string key, string value, long from, ulong? ifVersion = null) =>
        Add(key, OperationKind.Set, value, ifVersion, from, null, OperationOutcome.Unknown);

    public Operation SetFailed(string key, string value, long from, long to) =>
        Add(key, OperationKind.Set, value, null, from, to, OperationOutcome.Failed);

    public Operation SetMismatch(string key, string value, ulong ifVersion, long from, long to, ulong currentVersion) =>
        Add(key, OperationKind.Set, value, ifVersion, from, to, OperationOutcome.VersionMismatch, version: currentVersion);

    public Operation Get(string key, long from, long to, string value, ulong version) =>
        Add(key, OperationKind.Get, null, null, from, to, OperationOutcome.Ok, found: true, readValue: value, version: version);

    public Operation GetAbsent(string key, long from, long to) =>
        Add(key, OperationKind.Get, null, null, from, to, OperationOutcome.Ok);

    public Operation GetUnknown(string key, long from) =>
        Add(key, OperationKind.Get, null, null, from, null, OperationOutcome.Unknown);

    public Operation Remove(string key, long from, long to, ulong version, ulong? ifVersion = null) =>
        Add(key, OperationKind.Remove, null, ifVersion, from, to, OperationOutcome.Ok, found: true, version: version);

    public Operation RemoveNothing(string key, long from, long to, ulong? ifVersion = null) =>
        Add(key, OperationKind.Remove, null, ifVersion, from, to, OperationOutcome.Ok);

    public Operation RemoveUnknown(string key, long from, ulong? ifVersion = null) =>
        Add(key, OperationKind.Remove, null, ifVersion, from, null, OperationOutcome.Unknown);

    public Operation RemoveMismatch(string key, ulong ifVersion, long from, long to, ulong currentVersion) =>
        Add(key, OperationKind.Remove, null, ifVersion, from, to, OperationOutcome.VersionMismatch, version: currentVersion);

    private Operation Add(
        string key,
        OperationKind kind,
        string? value,
        ulong? ifVersion,
        long from,
        long? to,
        OperationOutcome outcome,
        bool found = false,
        string? readValue = null,
        ulong version = 0)
    {
        // One client per operation: the checker only looks at times, and it keeps every client's calls sequential.
        var id = _operations.Count + 1;
        var operation = new Operation(id, id, key, kind, value, ifVersion, from * NanosPerMillisecond, to * NanosPerMillisecond, outcome, found, readValue, version);
        _operations.Add(operation);
        return operation;
    }
}
