using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// What one key's history says about each of its writes regardless of order: its version (from its own reply or
/// from any read of its value) and whether some read saw it. Contradictions among these are violations on their own.
/// </summary>
internal sealed class WriteFacts
{
    private readonly string _key;
    private readonly List<Operation> _writes;
    private readonly Dictionary<string, int> _writeByValue;
    private readonly IReadOnlyDictionary<string, Operation> _setsByValue;
    private readonly Operation?[] _versionTeller;
    private readonly long[] _firstObservingReturn;

    public WriteFacts(string key, List<Operation> writes, Dictionary<string, int> writeByValue, IReadOnlyDictionary<string, Operation> setsByValue)
    {
        _key = key;
        _writes = writes;
        _writeByValue = writeByValue;
        _setsByValue = setsByValue;
        Versions = new ulong[writes.Count];
        _versionTeller = new Operation?[writes.Count];
        _firstObservingReturn = new long[writes.Count];
        Array.Fill(_firstObservingReturn, long.MaxValue);
    }

    public IReadOnlyList<Operation> Writes => _writes;

    /// <summary>By write index; 0 when the history never tells.</summary>
    public ulong[] Versions { get; }

    public int WriteOf(string value) => _writeByValue[value];

    public ulong VersionOf(Operation set) => Versions[WriteOf(set.Value!)];

    /// <summary>Whether a read saw this set's value, and when the first such read returned.</summary>
    public bool ObservedBy(Operation set, out long firstObservingReturn)
    {
        firstObservingReturn = _writeByValue.TryGetValue(set.Value!, out var write) ? _firstObservingReturn[write] : long.MaxValue;
        return firstObservingReturn != long.MaxValue;
    }

    /// <summary>Every version the history ties to a particular write of this key (sets and removes).</summary>
    public HashSet<ulong> VersionsOfWrites(IReadOnlyList<Operation> operations)
    {
        var versions = new HashSet<ulong>(Versions.Where(v => v != 0));
        foreach (var operation in operations)
        {
            if (operation is { Kind: OperationKind.Remove, Outcome: OperationOutcome.Ok, Found: true })
            {
                versions.Add(operation.Version);
            }
        }

        return versions;
    }

    /// <summary>Reads the facts off the history; returns the first contradiction, if any.</summary>
    public KeyViolation? Learn(IReadOnlyList<Operation> operations)
    {
        foreach (var operation in operations)
        {
            var violation = operation switch
            {
                { Kind: OperationKind.Set, Outcome: OperationOutcome.Ok } =>
                    RequireAssignedVersion(operation) ?? Tell(WriteOf(operation.Value!), operation),
                { Kind: OperationKind.Remove, Outcome: OperationOutcome.Ok, Found: true } => RequireAssignedVersion(operation),
                { Outcome: OperationOutcome.VersionMismatch } => CheckMismatchReply(operation),
                { Kind: OperationKind.Get, Outcome: OperationOutcome.Ok, Found: true } => LearnFromRead(operation),
                _ => null,
            };
            if (violation is not null)
            {
                return violation;
            }
        }

        return null;
    }

    private KeyViolation? LearnFromRead(Operation read)
    {
        if (!_writeByValue.TryGetValue(read.ReadValue!, out var write))
        {
            return ReadOfUnwrittenValue(read);
        }

        if (RequireAssignedVersion(read) is { } zero)
        {
            return zero;
        }

        var set = _writes[write];
        if (read.CompleteNanos < set.InvokeNanos)
        {
            return Violation(
                $"{OperationText.Describe(read)} returned {OperationText.Quote(read.ReadValue)} before the set that wrote it was invoked: {OperationText.Describe(set)}.",
                read,
                set);
        }

        _firstObservingReturn[write] = Math.Min(_firstObservingReturn[write], read.CompleteNanos!.Value);
        return Tell(write, read);
    }

    /// <summary>Records a version some operation tells for a write; a different earlier answer is a contradiction.</summary>
    private KeyViolation? Tell(int write, Operation teller)
    {
        if (Versions[write] == 0)
        {
            Versions[write] = teller.Version;
            _versionTeller[write] = teller;
            return null;
        }

        if (Versions[write] == teller.Version)
        {
            return null;
        }

        var earlier = _versionTeller[write]!;
        return Violation(
            $"The write of {OperationText.Quote(_writes[write].Value)} has two versions: {OperationText.Describe(earlier)} says {earlier.Version}, " +
            $"{OperationText.Describe(teller)} says {teller.Version}.",
            teller,
            earlier,
            _writes[write]);
    }

    private KeyViolation? ReadOfUnwrittenValue(Operation read)
    {
        var value = OperationText.Quote(read.ReadValue);
        if (!_setsByValue.TryGetValue(read.ReadValue!, out var set))
        {
            return Violation($"{OperationText.Describe(read)} read {value}, which no operation wrote.", read);
        }

        return set.Key != _key
            ? Violation($"{OperationText.Describe(read)} read {value}, which was written to key {OperationText.Quote(set.Key)}: {OperationText.Describe(set)}.", read, set)
            : Violation($"{OperationText.Describe(read)} read {value}, whose set failed (definitely not applied): {OperationText.Describe(set)}.", read, set);
    }

    private KeyViolation? RequireAssignedVersion(Operation operation) =>
        operation.Version != 0
            ? null
            : Violation($"{OperationText.Describe(operation)} reports version 0, which the store never assigns (revisions start at 1).", operation);

    private KeyViolation? CheckMismatchReply(Operation operation)
    {
        if (operation.IfVersion is not { } guard)
        {
            return Violation($"{OperationText.Describe(operation)} reports a version mismatch but had no guard.", operation);
        }

        return guard == operation.Version
            ? Violation($"{OperationText.Describe(operation)} reports a version mismatch naming the very version its guard asked for.", operation)
            : null;
    }

    private KeyViolation Violation(string explanation, params Operation[] operations) => new(_key, explanation, operations);
}
