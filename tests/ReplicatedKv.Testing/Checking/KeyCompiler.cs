using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// Turns one key's operations into model operations, and rejects up front what no order could explain: reads of
/// values nobody wrote, a write seen with two versions, a read that returned before its write was invoked, replies
/// no store could give. Those need no search, and saying them plainly beats a failed search.
/// </summary>
internal static class KeyCompiler
{
    /// <summary>The key ready for the search, or null with <paramref name="violation"/> set when it cannot be linearizable.</summary>
    public static CompiledKey? Compile(
        string key,
        IReadOnlyList<Operation> operations,
        IReadOnlyDictionary<string, Operation> setsByValue,
        out KeyViolation? violation)
    {
        var writes = new List<Operation>();
        var writeByValue = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var operation in operations)
        {
            if (operation.Kind == OperationKind.Set && operation.Outcome is OperationOutcome.Ok or OperationOutcome.Unknown)
            {
                writeByValue.Add(operation.Value!, writes.Count);
                writes.Add(operation);
            }
        }

        var facts = new WriteFacts(key, writes, writeByValue, setsByValue);
        violation = facts.Learn(operations);
        return violation is null ? Build(key, operations, facts) : null;
    }

    private static CompiledKey Build(string key, IReadOnlyList<Operation> operations, WriteFacts facts)
    {
        var required = new List<(Operation Source, ModelOperation Model, long Return)>();
        var optional = new List<(Operation Source, ModelOperation Model)>();
        foreach (var operation in operations)
        {
            switch (operation.Outcome)
            {
                case OperationOutcome.Failed:
                    continue;
                case OperationOutcome.Unknown when operation.Kind == OperationKind.Get:
                    // A read whose answer was lost constrains nothing.
                    continue;
                case OperationOutcome.Unknown when operation.Kind == OperationKind.Set
                    && facts.ObservedBy(operation, out var firstObservingReturn):
                    // Some read saw its value, so it happened, and before that read returned.
                    required.Add((operation, ToModel(operation, facts), firstObservingReturn));
                    continue;
                case OperationOutcome.Unknown:
                    optional.Add((operation, ToModel(operation, facts)));
                    continue;
                default:
                    required.Add((operation, ToModel(operation, facts), operation.CompleteNanos!.Value));
                    continue;
            }
        }

        optional.Sort((a, b) => a.Source.InvokeNanos.CompareTo(b.Source.InvokeNanos));
        var count = required.Count + optional.Count;
        var sources = new Operation[count];
        var models = new ModelOperation[count];
        var invokes = new long[count];
        var returns = new long[count];
        for (var i = 0; i < required.Count; i++)
        {
            (sources[i], models[i], returns[i]) = required[i];
            invokes[i] = sources[i].InvokeNanos;
        }

        for (var i = 0; i < optional.Count; i++)
        {
            var at = required.Count + i;
            (sources[at], models[at]) = optional[i];
            invokes[at] = sources[at].InvokeNanos;
            returns[at] = long.MaxValue;
        }

        return new CompiledKey
        {
            Key = key,
            Sources = sources,
            Operations = models,
            InvokeNanos = invokes,
            ReturnNanos = returns,
            RequiredCount = required.Count,
            Writes = [.. facts.Writes],
            WriteVersions = facts.Versions,
            VersionsOfWrites = facts.VersionsOfWrites(operations),
        };
    }

    private static ModelOperation ToModel(Operation operation, WriteFacts facts) => operation switch
    {
        { Outcome: OperationOutcome.VersionMismatch } => new(ModelOperationKind.Mismatch, KeyState.Absent, operation.Version, null),
        { Kind: OperationKind.Get, Found: true } => new(ModelOperationKind.Read, facts.WriteOf(operation.ReadValue!), operation.Version, null),
        { Kind: OperationKind.Get } => new(ModelOperationKind.ReadAbsent, KeyState.Absent, 0, null),
        { Kind: OperationKind.Set, Outcome: OperationOutcome.Ok } =>
            new(ModelOperationKind.Set, facts.WriteOf(operation.Value!), operation.Version, operation.IfVersion),
        { Kind: OperationKind.Set } when facts.ObservedBy(operation, out _) =>
            new(ModelOperationKind.Set, facts.WriteOf(operation.Value!), facts.VersionOf(operation), operation.IfVersion),
        { Kind: OperationKind.Set } => new(ModelOperationKind.Set, KeyState.Unobserved, 0, operation.IfVersion),
        { Kind: OperationKind.Remove, Outcome: OperationOutcome.Unknown } => new(ModelOperationKind.Remove, KeyState.Absent, 0, operation.IfVersion),
        { Kind: OperationKind.Remove, Found: true } => new(ModelOperationKind.Remove, KeyState.Absent, operation.Version, operation.IfVersion),
        _ => new(ModelOperationKind.RemoveNothing, KeyState.Absent, 0, operation.IfVersion),
    };
}
