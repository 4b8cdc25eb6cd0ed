using ReplicatedKv.Chaos.History;

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
    /// Makes a read return the value before the one an earlier read saw: read R1 saw write Wb, R1 completed before
    /// read R2 was invoked, and R2 now sees Wa, the set just before Wb in version order. Every linearization orders
    /// Wa, Wb (versions), R1 (it saw Wb), R2 (real time), so R2 cannot see Wa. Only cases where no newer write had
    /// completed before R2 was invoked are chosen: those the version-order pre-check cannot see, so the search
    /// must find them. Returns null when the history has no such case.
    /// </summary>
    public static (List<Operation> History, Operation BackwardsRead)? MakeReadsGoBackwards(IReadOnlyList<Operation> history, Random random)
    {
        var readsSeen = history
            .Where(o => o is { Kind: OperationKind.Get, Outcome: OperationOutcome.Ok, Found: true })
            .ToLookup(o => o.ReadValue!);
        var writes = history
            .Where(o => o.Kind is OperationKind.Set or OperationKind.Remove)
            .Select(o => (Write: o, Version: o.Outcome == OperationOutcome.Ok ? o.Version : readsSeen[o.Value ?? ""].FirstOrDefault()?.Version ?? 0, Returned: EffectiveReturn(o, readsSeen)))
            .Where(w => w.Version != 0)
            .ToLookup(w => w.Write.Key);
        foreach (var late in history.Where(o => o is { Kind: OperationKind.Get, Outcome: OperationOutcome.Ok }).OrderBy(_ => random.Next()))
        {
            var earlier = history
                .Where(o => o is { Kind: OperationKind.Get, Outcome: OperationOutcome.Ok, Found: true } && o.Key == late.Key && o.CompleteNanos < late.InvokeNanos)
                .MaxBy(o => o.Version);
            if (earlier is null)
            {
                continue;
            }

            var keyWrites = writes[late.Key].OrderBy(w => w.Version).ToList();
            var previous = keyWrites.LastOrDefault(w => w.Version < earlier.Version && w.Write is { Kind: OperationKind.Set, Outcome: OperationOutcome.Ok });
            if (previous.Write is null
                || previous.Write.Value == late.ReadValue
                || keyWrites.Any(w => w.Version > previous.Version && w.Returned < late.InvokeNanos))
            {
                continue;
            }

            var backwards = late with { Found = true, ReadValue = previous.Write.Value, Version = previous.Version };
            return (history.Select(o => ReferenceEquals(o, late) ? backwards : o).ToList(), backwards);
        }

        return null;
    }

    private static long EffectiveReturn(Operation write, ILookup<string, Operation> readsSeen) =>
        write.Outcome == OperationOutcome.Ok
            ? write.CompleteNanos!.Value
            : readsSeen[write.Value ?? ""].Select(r => r.CompleteNanos!.Value).DefaultIfEmpty(long.MaxValue).Min();
}
