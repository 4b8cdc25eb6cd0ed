using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// Necessary conditions that follow from versions alone, checked in O(n log n) before any search. Writes with
/// known versions take effect in version order and the current write's version never goes down, so: a write that
/// completed before another was invoked has the lower version; an operation that saw the key at some version (a
/// read, a mismatch reply, a guard that held) cannot have been invoked after a write with a higher version
/// completed, nor have returned before a write with a lower version was invoked, nor see a lower version than an
/// operation that returned before it was invoked. These catch stale reads, lost writes and reads going backwards
/// directly, however many clients overlap, and name the operations that contradict each other.
/// </summary>
internal static class VersionOrderCheck
{
    public static KeyViolation? FindViolation(CompiledKey key)
    {
        var writes = WritesInVersionOrder(key);
        return WriteAgainstEarlierWrite(key, writes)
            ?? ObservationAfterNewerWrite(key, writes)
            ?? ObservationBeforeOlderWrite(key, writes)
            ?? ObservationAgainstEarlierObservation(key);
    }

    /// <summary>Required writes whose version the history tells, by version.</summary>
    private static int[] WritesInVersionOrder(CompiledKey key) =>
        Enumerable.Range(0, key.RequiredCount)
            .Where(o => key.Operations[o] is { Kind: ModelOperationKind.Set or ModelOperationKind.Remove, Version: not 0 })
            .OrderBy(o => key.Operations[o].Version)
            .ToArray();

    private static KeyViolation? WriteAgainstEarlierWrite(CompiledKey key, int[] writes)
    {
        var byInvoke = writes.OrderBy(o => key.InvokeNanos[o]).ToArray();
        var byReturn = writes.OrderBy(o => key.ReturnNanos[o]).ToArray();
        var highestReturned = -1;
        var returned = 0;
        foreach (var write in byInvoke)
        {
            for (; returned < byReturn.Length && key.ReturnNanos[byReturn[returned]] < key.InvokeNanos[write]; returned++)
            {
                if (highestReturned < 0 || key.Operations[byReturn[returned]].Version > key.Operations[highestReturned].Version)
                {
                    highestReturned = byReturn[returned];
                }
            }

            if (highestReturned >= 0 && key.Operations[highestReturned].Version > key.Operations[write].Version)
            {
                var earlier = key.Sources[highestReturned];
                var later = key.Sources[write];
                return new KeyViolation(
                    key.Key,
                    $"Versions went backwards: {OperationText.Describe(later)} got version {later.Version}, lower than the version " +
                    $"{earlier.Version} of {OperationText.Describe(earlier)}, which {Completed(key, highestReturned)} before it was invoked.",
                    [later, earlier]);
            }
        }

        return null;
    }

    private static KeyViolation? ObservationAfterNewerWrite(CompiledKey key, int[] writes)
    {
        // earliestReturnFrom[i]: of the writes at version rank i and above, the one that returned first.
        var earliestReturnFrom = new int[writes.Length + 1];
        earliestReturnFrom[writes.Length] = -1;
        for (var rank = writes.Length - 1; rank >= 0; rank--)
        {
            var next = earliestReturnFrom[rank + 1];
            earliestReturnFrom[rank] = next >= 0 && key.ReturnNanos[next] <= key.ReturnNanos[writes[rank]] ? next : writes[rank];
        }

        var versions = writes.Select(o => key.Operations[o].Version).ToArray();
        for (var operation = 0; operation < key.RequiredCount; operation++)
        {
            if (ObservedVersion(key.Operations[operation]) is not { } seen
                || Array.BinarySearch(versions, seen) is var rank && rank < 0)
            {
                continue;
            }

            var newer = earliestReturnFrom[rank + 1];
            if (newer >= 0 && key.ReturnNanos[newer] < key.InvokeNanos[operation])
            {
                var observer = key.Sources[operation];
                var overwrite = key.Sources[newer];
                return new KeyViolation(
                    key.Key,
                    $"{OperationText.Describe(observer)} saw the key at version {seen}, but {OperationText.Describe(overwrite)} " +
                    $"{Completed(key, newer)} before it was invoked, and versions only grow, so version {seen} was no longer current.",
                    [observer, overwrite, key.Sources[writes[rank]]]);
            }
        }

        return null;
    }

    /// <summary>
    /// An operation that saw version v took effect after v's write; a write with a lower version had to take effect
    /// before v's write, so it cannot have been invoked after that operation returned.
    /// </summary>
    private static KeyViolation? ObservationBeforeOlderWrite(CompiledKey key, int[] writes)
    {
        // latestInvokeBelow[i]: of the writes below version rank i, the one invoked last.
        var latestInvokeBelow = new int[writes.Length + 1];
        latestInvokeBelow[0] = -1;
        for (var rank = 0; rank < writes.Length; rank++)
        {
            var previous = latestInvokeBelow[rank];
            latestInvokeBelow[rank + 1] = previous >= 0 && key.InvokeNanos[previous] >= key.InvokeNanos[writes[rank]] ? previous : writes[rank];
        }

        var versions = writes.Select(o => key.Operations[o].Version).ToArray();
        for (var operation = 0; operation < key.RequiredCount; operation++)
        {
            if (ObservedVersion(key.Operations[operation]) is not { } seen
                || Array.BinarySearch(versions, seen) is var rank && rank < 0)
            {
                continue;
            }

            var older = latestInvokeBelow[rank];
            if (older >= 0 && key.InvokeNanos[older] > key.ReturnNanos[operation])
            {
                var observer = key.Sources[operation];
                var write = key.Sources[older];
                return new KeyViolation(
                    key.Key,
                    $"{OperationText.Describe(observer)} saw the key at version {seen}, but {OperationText.Describe(write)}, with the lower " +
                    $"version {write.Version}, was invoked after it returned, and versions only grow, so that write came too late to be older.",
                    [observer, write, key.Sources[writes[rank]]]);
            }
        }

        return null;
    }

    /// <summary>
    /// Whatever write is current when an operation takes effect was applied no earlier than the one current for an
    /// operation that returned before it was invoked, so the versions operations see never go down in real time.
    /// </summary>
    private static KeyViolation? ObservationAgainstEarlierObservation(CompiledKey key)
    {
        var observers = Enumerable.Range(0, key.RequiredCount).Where(o => ObservedVersion(key.Operations[o]) is not null).ToArray();
        var byInvoke = observers.OrderBy(o => key.InvokeNanos[o]).ToArray();
        var byReturn = observers.OrderBy(o => key.ReturnNanos[o]).ToArray();
        var highestReturned = -1;
        var returned = 0;
        foreach (var observer in byInvoke)
        {
            for (; returned < byReturn.Length && key.ReturnNanos[byReturn[returned]] < key.InvokeNanos[observer]; returned++)
            {
                if (highestReturned < 0 || ObservedVersion(key.Operations[byReturn[returned]]) > ObservedVersion(key.Operations[highestReturned]))
                {
                    highestReturned = byReturn[returned];
                }
            }

            if (highestReturned >= 0 && ObservedVersion(key.Operations[highestReturned]) > ObservedVersion(key.Operations[observer]))
            {
                var earlier = key.Sources[highestReturned];
                var later = key.Sources[observer];
                return new KeyViolation(
                    key.Key,
                    $"Versions went backwards: {OperationText.Describe(later)} saw the key at version {ObservedVersion(key.Operations[observer])}, " +
                    $"but {OperationText.Describe(earlier)} had already seen version {ObservedVersion(key.Operations[highestReturned])} before it was invoked.",
                    [later, earlier]);
            }
        }

        return null;
    }

    /// <summary>The version an operation says the key had when it took effect, if it names one.</summary>
    private static ulong? ObservedVersion(in ModelOperation operation) => operation switch
    {
        { Kind: ModelOperationKind.Read } => operation.Version,
        { Kind: ModelOperationKind.Mismatch, Version: not 0 } => operation.Version,
        { Guard: { } guard and not 0 } => guard,
        _ => null,
    };

    private static string Completed(CompiledKey key, int write) =>
        key.Sources[write].Outcome == OperationOutcome.Unknown
            ? $"was seen by a read that returned at {OperationText.Seconds(key.ReturnNanos[write])}"
            : "completed";
}
