using System.Runtime.CompilerServices;
using ReplicatedKv.Benchmarks.HotPaths;

namespace ReplicatedKv.Benchmarks.Tests;

/// <summary>
/// Each hot path allocates no more per operation than allocation-budgets.json allows. Bytes are counted, not timed,
/// so the check holds on a loaded machine. After a deliberate change, regenerate the budgets with
/// <c>RKV_WRITE_ALLOCATION_BUDGETS=1 dotnet test tests/ReplicatedKv.Benchmarks.Tests</c> and say why in the commit.
/// </summary>
public sealed class AllocationBudgetTests
{
    private static readonly string BudgetPath = Path.Combine(AppContext.BaseDirectory, AllocationBudgets.FileName);

    [Fact]
    public void Every_hot_path_allocates_within_its_budget()
    {
        var measured = HotPathWorkloads.Names.ToDictionary(name => name, Measure);
        if (Environment.GetEnvironmentVariable("RKV_WRITE_ALLOCATION_BUDGETS") == "1")
        {
            var text = AllocationBudgets.Render(measured);
            File.WriteAllText(SourceBudgetPath(), text);
            File.WriteAllText(BudgetPath, text);
        }

        var budgets = AllocationBudgets.Load(BudgetPath);
        var failures = measured.Select(m => budgets.Exceeded(m.Key, m.Value)).OfType<string>().ToList();
        failures.Should().BeEmpty("measured bytes per operation: {0}", string.Join(", ", measured.Select(m => $"{m.Key} {m.Value:F1}")));
    }

    [Fact]
    public void The_budget_file_names_exactly_the_hot_paths()
    {
        AllocationBudgets.Load(BudgetPath).BytesPerOperation.Keys.Should().BeEquivalentTo(HotPathWorkloads.Names);
    }

    [Fact]
    public void A_path_that_allocates_more_than_its_budget_is_caught()
    {
        var budgets = AllocationBudgets.Load(BudgetPath);
        using var honest = new CommandCodecWorkload();
        using var leaky = new ExtraAllocation(new CommandCodecWorkload(), extraBytes: 64);

        budgets.Exceeded(CommandCodecWorkload.PathName, AllocationMeter.BytesPerOperation(honest)).Should().BeNull();
        budgets.Exceeded(CommandCodecWorkload.PathName, AllocationMeter.BytesPerOperation(leaky))
            .Should().StartWith("command-codec allocates").And.Contain("over its budget");
    }

    [Fact]
    public void The_meter_counts_what_each_operation_allocates()
    {
        using var empty = new ExtraAllocation(inner: null, extraBytes: 0);
        using var kilobyte = new ExtraAllocation(inner: null, extraBytes: 1000);

        AllocationMeter.BytesPerOperation(empty).Should().Be(0);

        // An array carries its header and length beside its bytes.
        AllocationMeter.BytesPerOperation(kilobyte).Should().BeInRange(1000, 1100);
    }

    [Fact]
    public void A_budget_is_the_measured_figure_rounded_up_a_little()
    {
        AllocationBudgets.BudgetFor(0).Should().Be(8);
        AllocationBudgets.BudgetFor(100).Should().Be(120);
        AllocationBudgets.BudgetFor(1000).Should().Be(1064);
    }

    [Fact]
    public void A_path_missing_from_the_file_is_caught()
    {
        AllocationBudgets.Load(BudgetPath).Exceeded("no-such-path", 0).Should().Contain("has no budget");
    }

    private static double Measure(string name)
    {
        using var workload = HotPathWorkloads.Create(name);
        return AllocationMeter.BytesPerOperation(workload);
    }

    private static string SourceBudgetPath([CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "ReplicatedKv.Benchmarks", AllocationBudgets.FileName);

    /// <summary>A deliberately wasteful variant: the inner path (if any) plus one array of <paramref name="extraBytes"/> per operation.</summary>
    private sealed class ExtraAllocation(IHotPathWorkload? inner, int extraBytes) : IHotPathWorkload
    {
        public byte[]? Last { get; private set; }

        public string Name => inner?.Name ?? "extra-allocation";

        public void RunOnce()
        {
            inner?.RunOnce();
            if (extraBytes > 0)
            {
                // Kept in a field so the JIT cannot prove the array dead and drop or stack-allocate it.
                Last = new byte[extraBytes];
            }
        }

        public void Dispose() => inner?.Dispose();
    }
}
