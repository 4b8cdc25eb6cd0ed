using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// Checks a recorded history for linearizability against the key-value store's sequential specification.
/// </summary>
/// <remarks>
/// <para>
/// Linearizability is compositional (P-compositionality): a history is linearizable when each key's sub-history
/// is, so keys are checked independently and one key's concurrency never multiplies another's.
/// </para>
/// <para>
/// Outcomes: <see cref="OperationOutcome.Failed"/> operations are dropped. <see cref="OperationOutcome.Unknown"/>
/// ones may take effect at any point after their invoke or never (a lost read is dropped, it constrains nothing).
/// <see cref="OperationOutcome.VersionMismatch"/> is a definite outcome: not applied, and the key's version at that
/// point must be the one reported.
/// </para>
/// <para>
/// Versions: every write's version is a cluster-wide revision, so on one key versions strictly increase in apply
/// order, and a version names one write. A write's version is learned from its own reply or from any read of its
/// value (values name writes); observations that disagree are a violation.
/// </para>
/// <para>
/// Order of work: every key first gets the checks that need no search (<see cref="KeyCompiler"/>: reads of values
/// nobody wrote, conflicting versions; <see cref="VersionOrderCheck"/>: stale reads, lost writes and reads going
/// backwards, which versions alone expose), which are O(n log n) and name the contradicting operations. The remaining keys are then searched
/// (<see cref="LinearizationSearch"/>), smallest first, until the time budget runs out.
/// </para>
/// </remarks>
public static class LinearizabilityChecker
{
    /// <summary>Checks the history; see <see cref="LinearizabilityResult"/> for how to read a timed-out result.</summary>
    /// <param name="history">The operations, in any order. Set values must be unique across the history.</param>
    /// <param name="timeBudget">
    /// Bounds the whole check. When it runs out, keys not yet decided are left unchecked and the result says
    /// <see cref="LinearizabilityResult.TimedOut"/>: inconclusive unless a violation was already found.
    /// A budget of zero or less checks nothing. Null means no bound.
    /// </param>
    /// <exception cref="ArgumentException">The history is malformed (a harness bug, not a store bug): a set
    /// without a value, two sets with the same value, a reply without a completion time, and the like.</exception>
    public static LinearizabilityResult Check(IReadOnlyList<Operation> history, TimeSpan? timeBudget = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        var deadline = Deadline.After(timeBudget);
        var setsByValue = HistoryValidation.IndexSetsByValue(history);
        var violations = VersionUniqueness.FindViolations(history);
        var keysChecked = 0;
        var operationsChecked = 0;
        var timedOut = false;

        // First what needs no search, for every key: a violation found this way stands even if the budget later
        // runs out on some hard key.
        var toSearch = new List<CompiledKey>();
        foreach (var (key, operations) in SplitByKey(history))
        {
            if (deadline.IsExpired)
            {
                timedOut = true;
                break;
            }

            var compiled = KeyCompiler.Compile(key, operations, setsByValue, out var staticViolation);
            var violation = staticViolation ?? VersionOrderCheck.FindViolation(compiled!);
            if (violation is null)
            {
                toSearch.Add(compiled!);
                continue;
            }

            violations.Add(violation);
            keysChecked++;
            operationsChecked += compiled?.Operations.Length ?? operations.Count;
        }

        // Small keys first, so that a key whose concurrency explodes spends only the budget the others left.
        foreach (var compiled in toSearch.OrderBy(k => k.Operations.Length))
        {
            if (timedOut)
            {
                break;
            }

            var search = new LinearizationSearch(compiled);
            var verdict = search.Run(deadline);
            if (verdict == SearchVerdict.TimedOut)
            {
                timedOut = true;
                break;
            }

            if (verdict == SearchVerdict.NotLinearizable)
            {
                violations.Add(SearchExplanation.Explain(compiled, search.Failure!));
            }

            keysChecked++;
            operationsChecked += compiled.Operations.Length;
        }

        return new LinearizabilityResult(
            IsLinearizable: violations.Count == 0 && !timedOut,
            TimedOut: timedOut,
            KeysChecked: keysChecked,
            OperationsChecked: operationsChecked,
            Violations: [.. violations.OrderBy(v => v.Key, StringComparer.Ordinal)]);
    }

    /// <summary>Each key's operations in history order; keys in ordinal order so that runs are repeatable.</summary>
    private static IEnumerable<(string Key, List<Operation> Operations)> SplitByKey(IReadOnlyList<Operation> history)
    {
        var byKey = new Dictionary<string, List<Operation>>(StringComparer.Ordinal);
        foreach (var operation in history)
        {
            if (!byKey.TryGetValue(operation.Key, out var operations))
            {
                byKey.Add(operation.Key, operations = []);
            }

            operations.Add(operation);
        }

        return byKey.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => (pair.Key, pair.Value));
    }
}
