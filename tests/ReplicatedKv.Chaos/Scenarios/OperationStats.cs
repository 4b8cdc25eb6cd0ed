using System.Globalization;
using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos.Scenarios;

/// <summary>Operations by kind (compare-and-sets apart) and outcome, for the summary and the tests.</summary>
internal sealed class OperationStats
{
    private readonly Dictionary<(string Kind, OperationOutcome Outcome), int> _counts = [];

    public OperationStats(IEnumerable<Operation> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        foreach (var op in operations)
        {
            var key = (KindName(op), op.Outcome);
            _counts[key] = _counts.GetValueOrDefault(key) + 1;
            Total++;
        }
    }

    public int Total { get; }

    public int Count(OperationOutcome outcome) => _counts.Where(c => c.Key.Outcome == outcome).Sum(c => c.Value);

    /// <summary>Writes (sets and removes, plain or compare-and-set) that completed Ok.</summary>
    public int OkWrites => _counts.Where(c => c.Key.Outcome == OperationOutcome.Ok && c.Key.Kind != "get").Sum(c => c.Value);

    public override string ToString()
    {
        var kinds = _counts.Keys.Select(k => k.Kind).Distinct().Order(StringComparer.Ordinal);
        var parts = kinds.Select(kind =>
        {
            var outcomes = _counts.Where(c => c.Key.Kind == kind).OrderBy(c => c.Key.Outcome)
                .Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key.Outcome.ToString().ToLowerInvariant()} {c.Value}"));
            var total = _counts.Where(c => c.Key.Kind == kind).Sum(c => c.Value);
            return string.Create(CultureInfo.InvariantCulture, $"{kind} {total} ({string.Join(", ", outcomes)})");
        });
        return string.Create(CultureInfo.InvariantCulture, $"{Total} operations: {string.Join("; ", parts)}");
    }

    private static string KindName(Operation op) => (op.Kind, op.IfVersion is not null) switch
    {
        (OperationKind.Get, _) => "get",
        (OperationKind.Set, false) => "set",
        (OperationKind.Set, true) => "cas-set",
        (OperationKind.Remove, false) => "remove",
        (OperationKind.Remove, true) => "cas-remove",
        _ => op.Kind.ToString(),
    };
}
