using System.Text.Json;
using System.Text.Json.Nodes;

namespace ReplicatedKv.Benchmarks.HotPaths;

/// <summary>
/// allocation-budgets.json: the most bytes per operation each hot path may allocate. A budget is today's measured
/// figure rounded up a little (<see cref="BudgetFor"/>); raising one is a deliberate, reviewed change (README.md).
/// </summary>
public sealed class AllocationBudgets
{
    public const string FileName = "allocation-budgets.json";

    private AllocationBudgets(IReadOnlyDictionary<string, long> bytesPerOperation) => BytesPerOperation = bytesPerOperation;

    public IReadOnlyDictionary<string, long> BytesPerOperation { get; }

    public static AllocationBudgets Load(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty");
        var budgets = root["bytesPerOperation"]?.AsObject() ?? throw new InvalidDataException($"{path} has no bytesPerOperation object");
        return new AllocationBudgets(budgets.ToDictionary(p => p.Key, p => p.Value!.GetValue<long>(), StringComparer.Ordinal));
    }

    /// <summary>Null when <paramref name="measured"/> is within the path's budget, else why not (one line).</summary>
    public string? Exceeded(string path, double measured)
    {
        if (!BytesPerOperation.TryGetValue(path, out var budget))
        {
            return $"{path} has no budget in {FileName}";
        }

        return measured <= budget
            ? null
            : $"{path} allocates {measured:F1} bytes per operation, over its budget of {budget} ({FileName}; see tests/ReplicatedKv.Benchmarks/README.md before raising it)";
    }

    /// <summary>A measured figure rounded up a little: 5% and 8 bytes of headroom, to a multiple of 8.</summary>
    public static long BudgetFor(double measured) => ((long)Math.Ceiling(((measured * 1.05) + 8) / 8)) * 8;

    /// <summary>The file's text for these measured figures (what RKV_WRITE_ALLOCATION_BUDGETS=1 writes).</summary>
    public static string Render(IReadOnlyDictionary<string, double> measured)
    {
        var budgets = new JsonObject();
        foreach (var (path, bytes) in measured.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            budgets[path] = BudgetFor(bytes);
        }

        var root = new JsonObject
        {
            ["$comment"] = "Most bytes each hot path may allocate per operation (tests/ReplicatedKv.Benchmarks/HotPaths). " +
                "Regenerate with RKV_WRITE_ALLOCATION_BUDGETS=1 dotnet test tests/ReplicatedKv.Benchmarks.Tests only when an increase is deliberate; see tests/ReplicatedKv.Benchmarks/README.md.",
            ["bytesPerOperation"] = budgets,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine;
    }
}
