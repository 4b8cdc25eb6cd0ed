using BenchmarkDotNet.Attributes;

namespace ReplicatedKv.Benchmarks.HotPaths;

/// <summary>
/// The hot paths under BenchmarkDotNet with the memory diagnoser (time and bytes per operation, one case per path):
/// <c>dotnet run -c Release --project tests/ReplicatedKv.Benchmarks -- --filter '*HotPath*'</c>. The same workloads are
/// held to allocation-budgets.json by ReplicatedKv.Benchmarks.Tests.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks : IDisposable
{
    private IHotPathWorkload? _workload;

    public static IEnumerable<string> Paths => HotPathWorkloads.Names;

    [ParamsSource(nameof(Paths))]
    public string Path { get; set; } = "";

    [GlobalSetup]
    public void Setup() => _workload = HotPathWorkloads.Create(Path);

    [GlobalCleanup]
    public void Dispose()
    {
        _workload?.Dispose();
        _workload = null;
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public void RunOnce() => _workload!.RunOnce();
}
