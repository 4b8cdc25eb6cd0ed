using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Perfolizer.Horology;

namespace ReplicatedKv.Benchmarks;

/// <summary>
/// Write-ahead log benchmarks. From the repository root:
/// <code>dotnet run -c Release --project tests/ReplicatedKv.Benchmarks -- --filter '*'</code>
/// BenchmarkDotNet's own switches apply (<c>--filter '*Wal*'</c>, <c>--job short</c>, <c>--list flat</c>, ...).
/// <c>-- cluster [--nodes 3] [--clients 64] [--seconds 10] [--value-bytes 100] [--read-ratio 0]</c> runs closed-loop
/// client load against an in-process cluster of real servers on loopback (see ClusterLoad).
/// <c>-- apply [--keys 1000000]</c> measures the state machine alone: set and get throughput with and without the
/// sorted key index side by side, and the latency of listing pages of 1,000 keys (see ApplyAndListBenchmark).
/// <c>-- suite [--nodes 3,5] [--seconds N] [--clients 1,16,64,256,1000] [--workloads set,get,sget,mixed] [--quick]</c>
/// runs the side-by-side matrix against real rkv-server processes, the no-consensus ceiling and etcd (see Suite/ and README.md);
/// <c>-- restart [--nodes 3] [--keys 1000000]</c> loads that many keys, reports memory and times one node's restart (Suite/RestartMeasure).
/// <c>-- paired [rounds]</c> instead alternates WAL commits and raw fdatasyncs in one process (see PairedCommitLatency).
/// Files go to <c>RKV_BENCH_DIR</c>, default <c>.rkv-bench</c> under the current directory, and are removed
/// after each benchmark case.
/// </summary>
public static class Program
{
    /// <summary>
    /// The job used unless the command line names one with <c>--job</c>: few, short iterations (an iteration is
    /// hundreds of fsyncs, which JIT and timer effects do not touch) so that the whole run takes a few minutes on
    /// a 2-core machine. It is the base job, so <c>--iterationCount</c>, <c>--warmupCount</c> and the like adjust it.
    /// </summary>
    public static Job IoJob { get; } = Job.Default
        .WithWarmupCount(3)
        .WithIterationCount(15)
        .WithIterationTime(TimeInterval.FromMilliseconds(250))
        .WithUnrollFactor(1)
        .WithId("Io")
        .AsDefault();

    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length > 0 && args[0] == "cluster")
        {
            return ClusterLoad.RunAsync(args[1..]).GetAwaiter().GetResult();
        }

        if (args.Length > 0 && args[0] == "suite")
        {
            return Suite.SuiteRunner.RunAsync(args[1..]).GetAwaiter().GetResult();
        }

        if (args.Length > 0 && args[0] == "restart")
        {
            return Suite.RestartMeasure.RunAsync(args[1..]).GetAwaiter().GetResult();
        }

        // The ceiling host the suite starts as a child process (see Suite/CeilingHost.cs); not for running by hand.
        if (args.Length > 0 && args[0] == "ceiling-host")
        {
            return Suite.CeilingHost.RunAsync(args[1..]).GetAwaiter().GetResult();
        }

        if (args.Length > 0 && args[0] == "apply")
        {
            return ApplyAndListBenchmark.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "paired")
        {
            var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2000;
            PairedCommitLatency.RunAsync(rounds).GetAwaiter().GetResult();
            BenchmarkFiles.DeleteDefaultRootIfEmpty();
            return 0;
        }

        // Pin the folder for the benchmark processes BenchmarkDotNet starts (they run in another directory).
        var folderGiven = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(BenchmarkFiles.DirectoryVariable));
        Environment.SetEnvironmentVariable(BenchmarkFiles.DirectoryVariable, BenchmarkFiles.Root);

        // One joined summary, each WAL case measured right after its raw twin (see PairedOrderer).
        IConfig config = DefaultConfig.Instance.WithOptions(ConfigOptions.JoinSummary).WithOrderer(PairedOrderer.Instance);
        if (!args.Any(a => a is "-j" or "--job"))
        {
            config = config.AddJob(IoJob);
        }

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config).ToList();

        if (!folderGiven)
        {
            BenchmarkFiles.DeleteDefaultRootIfEmpty();
        }

        if (GoalReport.Build(summaries) is { } report)
        {
            Console.WriteLine();
            Console.WriteLine(report);
            var results = summaries.Select(s => s.ResultsDirectoryPath).FirstOrDefault(Directory.Exists);
            if (results is not null)
            {
                var path = Path.Combine(results, "wal-goals.md");
                File.WriteAllText(path, report);
                Console.WriteLine($"// goal report written to {path}");
            }
        }

        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
