using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos.Tests;

/// <summary>Breaks a linearizable history in a way no order can explain.</summary>
internal static class HistoryMutation
{
    /// <summary>
    /// Makes one read return a value that was definitely overwritten before the read began: a set W1 completed before
    /// another acknowledged write W2 was invoked, and W2 completed before the read was invoked. Every linearization
    /// orders W1, W2, read, so the read cannot see W1. Returns null when the history has no such triple.
    /// </summary>
    public static (List<Operation> History, Operation StaleRead)? MakeOneReadStale(IReadOnlyList<Operation> history, Random random)
    {
        var acknowledgedWrites = history
            .Where(o => o.Outcome == OperationOutcome.Ok && (o.Kind == OperationKind.Set || o is { Kind: OperationKind.Remove, Found: true }))
            .ToLookup(o => o.Key);
        var reads = history.Where(o => o is { Kind: OperationKind.Get, Outcome: OperationOutcome.Ok }).OrderBy(_ => random.Next()).ToList();
        foreach (var read in reads)
        {
            var writes = acknowledgedWrites[read.Key].ToList();
            var candidates =
                from overwriting in writes
                where overwriting.CompleteNanos < read.InvokeNanos
                from overwritten in writes
                where overwritten.Kind == OperationKind.Set
                    && overwritten.CompleteNanos < overwriting.InvokeNanos
                    && overwritten.Value != read.ReadValue
                select overwritten;
            var stale = candidates.Distinct().OrderBy(_ => random.Next()).FirstOrDefault();
            if (stale is null)
            {
                continue;
            }

            var staleRead = read with { Found = true, ReadValue = stale.Value, Version = stale.Version };
            var mutated = history.Select(o => ReferenceEquals(o, read) ? staleRead : o).ToList();
            return (mutated, staleRead);
        }

        return null;
    }

    /// <summary>
    /// Makes a read find the key absent between two reads that returned the same write: R1 returned before R was
    /// invoked, R returned before R2 was invoked, and R1 and R2 saw the same write W. W was current from R1 to R2
    /// and cannot take effect twice, so the key was present throughout and R cannot find it absent. Versions say
    /// nothing about an absent read, so only the search can catch this. Returns null when there is no such triple.
    /// </summary>
    public static (List<Operation> History, Operation MissingRead)? MakeReadMissAPresentKey(IReadOnlyList<Operation> history, Random random)
    {
        var readsByKey = history
            .Where(o => o is { Kind: OperationKind.Get, Outcome: OperationOutcome.Ok })
            .OrderBy(o => o.InvokeNanos)
            .ToLookup(o => o.Key);
        foreach (var reads in readsByKey.OrderBy(_ => random.Next()))
        {
            var list = reads.ToList();
            for (var i = 0; i < list.Count; i++)
            {
                var (first, middle) = (list[i], list.Skip(i + 1).FirstOrDefault(r => r.InvokeNanos > list[i].CompleteNanos));
                if (!first.Found || middle is null || !middle.Found)
                {
                    continue;
                }

                var last = list.FirstOrDefault(r => r.InvokeNanos > middle.CompleteNanos && r.Found && r.ReadValue == first.ReadValue);
                if (last is not null)
                {
                    var missing = middle with { Found = false, ReadValue = null, Version = 0 };
                    return (history.Select(o => ReferenceEquals(o, middle) ? missing : o).ToList(), missing);
                }
            }
        }

        return null;
    }
}
