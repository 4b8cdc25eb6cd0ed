using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// Versions are cluster-wide revisions, so one version names one write across all keys. Per-key checking cannot
/// see two keys' writes sharing a version; this pass over the whole history can.
/// </summary>
internal static class VersionUniqueness
{
    public static List<KeyViolation> FindViolations(IReadOnlyList<Operation> history)
    {
        var violations = new List<KeyViolation>();
        var ownerByVersion = new Dictionary<ulong, Operation>();
        foreach (var operation in history)
        {
            if (operation.Outcome != OperationOutcome.Ok || operation.Version == 0 || !TiesVersionToWrite(operation))
            {
                continue;
            }

            if (!ownerByVersion.TryAdd(operation.Version, operation))
            {
                var owner = ownerByVersion[operation.Version];
                if (WriteIdentity(owner) != WriteIdentity(operation))
                {
                    violations.Add(new KeyViolation(
                        operation.Key,
                        $"Version {operation.Version} names two different writes: {Describe(owner)} and {Describe(operation)}.",
                        [operation, owner]));
                }
            }
        }

        return violations;
    }

    private static bool TiesVersionToWrite(Operation operation) => operation.Kind switch
    {
        OperationKind.Get or OperationKind.Remove => operation.Found,
        _ => true,
    };

    /// <summary>A set is named by its value (a read of that value names the same write); a remove only by itself.</summary>
    private static (string Key, string? Value, long RemoveId) WriteIdentity(Operation operation) => operation.Kind switch
    {
        OperationKind.Set => (operation.Key, operation.Value, -1),
        OperationKind.Get => (operation.Key, operation.ReadValue, -1),
        _ => (operation.Key, null, operation.Id),
    };

    private static string Describe(Operation operation) => $"key {OperationText.Quote(operation.Key)} {OperationText.Describe(operation)}";
}
