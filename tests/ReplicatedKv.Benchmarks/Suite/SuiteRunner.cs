using System.Globalization;
using ReplicatedKv.Benchmarks.Suite.Etcd;
using ReplicatedKv.LocalCluster;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>
/// <c>suite</c>: the whole matrix in one run, side by side. The ceiling first, then for each cluster size a
/// ReplicatedKv cluster and an etcd cluster (when installed), each started fresh, loaded with every key, and driven
/// through each workload and client count. Writes results/suite-TIMESTAMP.{md,json} and one plot per workload.
/// </summary>
internal static class SuiteRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = SuiteOptions.Parse(args, out var problem);
        if (options is null)
        {
            await Console.Error.WriteLineAsync($"suite: {problem}\n{SuiteOptions.Usage}").ConfigureAwait(false);
            return 2;
        }

        var server = ServerLocation.Find(out var missing);
        if (server is null)
        {
            await Console.Error.WriteLineAsync($"suite: {missing}").ConfigureAwait(false);
            return 1;
        }

        var notes = new List<string>();
#if DEBUG
        notes.Add("this is a Debug build: figures are not comparable; run with dotnet run -c Release");
#endif
        var etcd = options.Targets.Contains("etcd") ? EtcdCluster.Find() : null;
        if (options.Targets.Contains("etcd") && etcd is null)
        {
            notes.Add(EtcdCluster.InstallHint);
        }

        var started = DateTime.UtcNow;
        var root = BenchmarkFiles.CreateCaseDirectory("suite");
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // Finish the row in progress, stop every process started, and write what was measured.
            e.Cancel = true;
            stop.Cancel();
            Console.Error.WriteLine("suite: stopping after this row (Ctrl-C again does not hurry it)");
        };
        try
        {
            foreach (var note in notes)
            {
                Console.WriteLine($"suite: {note}");
            }

            Console.WriteLine($"suite: rkv-server {server.ServerDll}; data under {root}");
            var machine = MachineInfo.Measure(root, etcd is null ? null : EtcdCluster.Version(etcd));
            Console.WriteLine($"suite: {machine.Cores} cores, {machine.Os}, {machine.Dotnet}; fdatasync p50 {machine.FdatasyncP50Ms:F3} ms, p99 {machine.FdatasyncP99Ms:F3} ms");

            var plan = Plan(options, etcd is not null);
            var rows = new List<SuiteRow>();
            var keys = new KeySet(options.KeySpace, options.ValueBytes);
            var done = 0;
            var total = plan.Sum(p => RowsFor(options, p.System));
            foreach (var (system, members) in plan)
            {
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                Console.WriteLine($"suite: starting {system}{(system == "ceiling" ? "" : $" with {members} members")}");
                try
                {
                    await using var target = await StartAsync(system, members, root, server, etcd!).ConfigureAwait(false);
                    await Preload(target, keys).ConfigureAwait(false);
                    foreach (var workload in options.Workloads)
                    {
                        foreach (var clients in options.Clients)
                        {
                            foreach (var via in ViasFor(target, clients))
                            {
                                if (stop.IsCancellationRequested)
                                {
                                    break;
                                }

                                var row = await MeasureRowAsync(target, workload, clients, via, keys, options).ConfigureAwait(false);
                                rows.Add(row);
                                Console.WriteLine(Progress(++done, total, row));
                            }
                        }
                    }
                }
                catch (Exception ex) when (ex is InvalidOperationException or Grpc.Core.RpcException or IOException)
                {
                    var note = $"{system}-{members} failed and its remaining rows are missing: {ex.Message.ReplaceLineEndings(" ")}";
                    notes.Add(note);
                    Console.Error.WriteLine($"suite: {note}");
                }
            }

            SuiteRow.FillRatios(rows);
            var command = "dotnet run -c Release --project tests/ReplicatedKv.Benchmarks -- suite " + string.Join(' ', args);
            var report = new SuiteReport(started, command.Trim(), machine, rows, notes);
            Write(report, options.Quick ? "quick" : "suite");
            return rows.Count > 0 ? 0 : 1;
        }
        finally
        {
            BenchmarkFiles.Delete(root);
            BenchmarkFiles.DeleteDefaultRootIfEmpty();
        }
    }

    private static List<(string System, int Members)> Plan(SuiteOptions options, bool etcdInstalled)
    {
        var plan = new List<(string, int)>();
        if (options.Targets.Contains("ceiling"))
        {
            plan.Add(("ceiling", 1));
        }

        foreach (var members in options.Nodes)
        {
            if (options.Targets.Contains("replicatedkv"))
            {
                plan.Add(("replicatedkv", members));
            }

            if (options.Targets.Contains("etcd") && etcdInstalled)
            {
                plan.Add(("etcd", members));
            }
        }

        return plan;
    }

    private static int RowsFor(SuiteOptions options, string system) =>
        options.Workloads.Count * options.Clients.Sum(c => c == 1 && system == "replicatedkv" ? 2 : 1);

    /// <summary>ReplicatedKv's one-client rows run twice, through the leader and through a follower (the targets differ).</summary>
    private static string[] ViasFor(LoadTarget target, int clients) =>
        clients == 1 && target is ReplicatedKvCluster { Members: > 1 } ? ["leader", "follower"] : [""];

    private static async Task<LoadTarget> StartAsync(string system, int members, string root, ServerLocation server, string etcd)
    {
        var folder = Path.Combine(root, $"{system}-{members}");
        return system switch
        {
            "ceiling" => await CeilingTarget.StartAsync(server).ConfigureAwait(false),
            "replicatedkv" => await ReplicatedKvCluster.StartAsync(members, folder, server, new ConsoleOutput(prefixWidth: 3)).ConfigureAwait(false),
            _ => await EtcdCluster.StartAsync(etcd, members, folder).ConfigureAwait(false),
        };
    }

    private static async Task Preload(LoadTarget target, KeySet keys)
    {
        var channels = ClosedLoop.OpenConnections(target.ClientUrls, 16);
        try
        {
            var retries = await ClosedLoop.PreloadAsync(channels.Select(c => target.Connect(c, keys)).ToArray(), keys.Count).ConfigureAwait(false);
            Console.WriteLine($"suite: {target.Label} loaded with {keys.Count} keys" + (retries > 0 ? $" ({retries} sets retried)" : ""));
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    private static async Task<SuiteRow> MeasureRowAsync(LoadTarget target, Workload workload, int clients, string via, KeySet keys, SuiteOptions options)
    {
        var urls = target.ClientUrls;
        if (via.Length > 0 && target is ReplicatedKvCluster cluster)
        {
            var leader = await cluster.LeaderUrlAsync().ConfigureAwait(false) ?? throw new InvalidOperationException("no leader to measure through");
            urls = via == "leader" ? [leader] : [urls.First(u => u != leader)];
        }

        var count = SuiteOptions.ConnectionsFor(clients);
        var channels = ClosedLoop.OpenConnections(urls, count);
        try
        {
            var calls = channels.Select(c => target.Connect(c, keys)).ToArray();
            var cpuPids = target.Pids.Append(Environment.ProcessId).ToArray();
            var batching = target is ReplicatedKvCluster rkv ? ProbeBatchingAsync(rkv, options) : null;
            var measure = await ClosedLoop.RunAsync(calls, clients, workload, keys.Count, options.WarmUp, options.Duration, cpuPids).ConfigureAwait(false);
            var (perSlot, perSync) = batching is null ? (null, null) : await batching.ConfigureAwait(false);
            return SuiteRow.From(target, workload, clients, count, via, measure) with { CommandsPerSlot = perSlot, CommandsPerSync = perSync };
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    /// <summary>The leader's commands per slot and per fdatasync over the row's measured window.</summary>
    private static async Task<(double?, double?)> ProbeBatchingAsync(ReplicatedKvCluster cluster, SuiteOptions options)
    {
        await Task.Delay(options.WarmUp).ConfigureAwait(false);
        var before = await BatchingProbe.LeaderCountersAsync(cluster.AdminUrls).ConfigureAwait(false);
        await Task.Delay(options.Duration).ConfigureAwait(false);
        var after = await BatchingProbe.LeaderCountersAsync(cluster.AdminUrls).ConfigureAwait(false);
        return BatchingProbe.Between(before, after);
    }

    private static string Progress(int done, int total, SuiteRow row)
    {
        var first = row.FirstError is { } e ? $" (first: {e})" : "";
        var rss = string.Join("/", row.RssMb.Select(m => m?.ToString("F0", CultureInfo.InvariantCulture) ?? "?"));
        return string.Create(CultureInfo.InvariantCulture,
            $"[{done}/{total}] {row.LabelWithVia} {row.Workload} {row.Clients} clients / {row.Connections} conns: {row.OpsPerSecond:F0} ops/s, p50 {row.P50Ms:F2} ms, p99 {row.P99Ms:F2} ms, errors {row.Errors}{first}, RSS MiB {rss}, CPU ms/1k ops {Cpu(row)}{Batching(row)}");
    }

    private static string Batching(SuiteRow row) => row.CommandsPerSlot is null && row.CommandsPerSync is null ? "" :
        string.Create(CultureInfo.InvariantCulture, $", leader: {row.CommandsPerSlot:F1} commands/slot, {row.CommandsPerSync:F1} commands/fdatasync");

    private static string Cpu(SuiteRow row) =>
        string.Join("/", row.CpuMsPer1kOps.Select(m => m?.ToString("F0", CultureInfo.InvariantCulture) ?? "?")) +
        string.Create(CultureInfo.InvariantCulture, $" (total {row.CpuMsPer1kOpsTotal:F0}, client {row.ClientCpuMsPer1kOps:F0})");

    /// <summary>Smoke runs (<c>--quick</c>) are named quick-*, which .gitignore leaves out; real runs suite-*.</summary>
    private static void Write(SuiteReport report, string prefix)
    {
        var folder = ResultsFolder();
        Directory.CreateDirectory(folder);
        var stem = Path.Combine(folder, $"{prefix}-{report.StartedUtc:yyyyMMdd-HHmmss}");
        var markdown = report.ToMarkdown();
        File.WriteAllText(stem + ".md", markdown);
        File.WriteAllText(stem + ".json", report.ToJson());
        var plots = ThroughputPlot.Save(report.Rows, stem);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"suite: wrote {stem}.md, {stem}.json" + string.Concat(plots.Select(p => ", " + Path.GetFileName(p))));
    }

    /// <summary>tests/ReplicatedKv.Benchmarks/results, found above the build output; else results/ in the current directory.</summary>
    public static string ResultsFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ReplicatedKv.Benchmarks.csproj")))
            {
                return Path.Combine(dir.FullName, "results");
            }
        }

        return Path.Combine(Environment.CurrentDirectory, "results");
    }
}
