using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// Rejects histories the harness could not have recorded correctly (as opposed to histories the store got wrong):
/// checking them would blame the store for a harness bug.
/// </summary>
internal static class HistoryValidation
{
    /// <summary>Every set by its value; throws when the history is malformed.</summary>
    public static Dictionary<string, Operation> IndexSetsByValue(IReadOnlyList<Operation> history)
    {
        var setsByValue = new Dictionary<string, Operation>(StringComparer.Ordinal);
        foreach (var operation in history)
        {
            if (operation is null)
            {
                throw Malformed("the history holds a null operation");
            }

            if (operation.Key is null)
            {
                throw Malformed($"#{operation.Id} has no key");
            }

            RequireReplyShape(operation);
            if (operation.Kind == OperationKind.Set && !setsByValue.TryAdd(operation.Value!, operation))
            {
                throw Malformed($"#{operation.Id} writes {OperationText.Quote(operation.Value)}, as #{setsByValue[operation.Value!].Id} does: values must name their write");
            }
        }

        return setsByValue;
    }

    private static void RequireReplyShape(Operation operation)
    {
        if (operation.Kind == OperationKind.Set && operation.Value is null)
        {
            throw Malformed($"#{operation.Id} is a set without a value");
        }

        if (operation.Outcome is OperationOutcome.Ok or OperationOutcome.VersionMismatch)
        {
            if (operation.CompleteNanos is not { } complete)
            {
                throw Malformed($"#{operation.Id} has a reply ({operation.Outcome}) but no completion time");
            }

            if (complete < operation.InvokeNanos)
            {
                throw Malformed($"#{operation.Id} completed before it was invoked");
            }
        }

        if (operation is { Kind: OperationKind.Get, Outcome: OperationOutcome.VersionMismatch })
        {
            throw Malformed($"#{operation.Id} is a get with a version mismatch");
        }

        if (operation is { Kind: OperationKind.Get, Outcome: OperationOutcome.Ok, Found: true, ReadValue: null })
        {
            throw Malformed($"#{operation.Id} is a get that found the key but has no value");
        }
    }

    private static ArgumentException Malformed(string why) => new($"malformed history: {why}");
}
