using System.Globalization;
using System.Text;
using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// Words for a failed search, after Porcupine's partial linearizations but shorter: how far the longest
/// linearizable prefix got, what it left the key holding, and which operation could not come next and why.
/// </summary>
internal static class SearchExplanation
{
    private const int MostConcurrentNamed = 8;

    public static KeyViolation Explain(CompiledKey key, SearchFailure failure)
    {
        var stuck = key.Sources[failure.Stuck];
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"Not linearizable: at most {failure.RequiredLinearized} of the {key.RequiredCount} operations with known outcomes can be put in an order that fits every reply.");
        text.Append('\n');
        if (failure.Prefix.Count == 0)
        {
            text.Append("No operation can come first");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture,
                $"The longest linearizable prefix ({Operations(failure.Prefix.Count)}) ends with {OperationText.Describe(key.Sources[failure.Prefix[^1]])}, and then {StateText(key, failure.State)}");
        }

        text.Append(".\n");
        var refusal = new KeyModel(key.VersionsOfWrites).Step(key.Operations[failure.Stuck], failure.State, out _);
        text.Append(CultureInfo.InvariantCulture, $"Next must come {OperationText.Describe(stuck)}, but ");
        text.Append(refusal == Refusal.None
            ? "every order of it and the operations concurrent with it contradicts a later reply"
            : Reason(refusal, key, key.Operations[failure.Stuck], stuck, failure.State));
        text.Append('.');
        if (failure.Concurrent.Count > 0)
        {
            var named = failure.Concurrent.Take(MostConcurrentNamed).Select(o => "#" + key.Sources[o].Id.ToString(CultureInfo.InvariantCulture));
            var more = failure.Concurrent.Count > MostConcurrentNamed ? $" and {failure.Concurrent.Count - MostConcurrentNamed} more" : "";
            text.Append('\n');
            text.Append(CultureInfo.InvariantCulture, $"Concurrent with it and not in the prefix: {string.Join(", ", named)}{more}.");
        }

        return new KeyViolation(key.Key, text.ToString(), RelevantOperations(key, failure));
    }

    public static string StateText(CompiledKey key, KeyState state) => state.Current switch
    {
        KeyState.Absent => "the key is absent",
        KeyState.Unobserved => "the key holds the value of a write of unknown outcome that no read saw" + VersionSuffix(state),
        var write => $"the key holds {OperationText.Quote(key.Writes[write].Value)} from #{key.Writes[write].Id}{VersionSuffix(state)}",
    };

    private static string VersionSuffix(KeyState state) =>
        state.CurrentVersion == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" (version {state.CurrentVersion})");

    private static string Reason(Refusal refusal, CompiledKey key, ModelOperation model, Operation source, KeyState state)
    {
        var mismatch = source.Outcome == OperationOutcome.VersionMismatch;
        var subject = mismatch ? "it reported the key" : "its guard requires the key";
        var named = mismatch ? source.Version : source.IfVersion ?? 0;
        var now = StateText(key, state);
        return refusal switch
        {
            Refusal.ReadsAnotherWrite => $"it read {OperationText.Quote(source.ReadValue)} while {now}",
            Refusal.ReadsAbsentButPresent => $"it found the key absent while {now}",
            Refusal.ExpectedAbsent => $"{subject} absent while {now}",
            Refusal.ExpectedPresent or Refusal.VersionDiffers => Invariant($"{subject} at version {named} while {now}"),
            Refusal.VersionOfAnotherWrite => Invariant($"{subject} at version {named}, which belongs to another write, while {now}"),
            Refusal.CurrentVersionNotIncreasing =>
                Invariant($"{subject} at version {named}, but version {state.MaxVersion} was already applied to the key and versions only grow"),
            Refusal.VersionNotIncreasing =>
                Invariant($"its version {model.Version} is not above version {state.MaxVersion} already applied to the key"),
            Refusal.NothingToRemove => $"it removed something while {now}",
            Refusal.RemoveMissedPresentKey => $"it found nothing to remove while {now}",
            _ => refusal.ToString(),
        };
    }

    private static List<Operation> RelevantOperations(CompiledKey key, SearchFailure failure)
    {
        var relevant = new List<Operation> { key.Sources[failure.Stuck] };
        var stuck = key.Operations[failure.Stuck];
        if (stuck.Kind == ModelOperationKind.Read)
        {
            relevant.Add(key.Writes[stuck.Write]);
        }

        if (failure.Prefix.Count > 0)
        {
            relevant.Add(key.Sources[failure.Prefix[^1]]);
        }

        if (failure.State.Current >= 0)
        {
            relevant.Add(key.Writes[failure.State.Current]);
        }

        relevant.AddRange(failure.Concurrent.Take(MostConcurrentNamed).Select(o => key.Sources[o]));
        return relevant.Distinct().ToList();
    }

    private static string Operations(int count) =>
        count == 1 ? "1 operation" : string.Create(CultureInfo.InvariantCulture, $"{count} operations");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
