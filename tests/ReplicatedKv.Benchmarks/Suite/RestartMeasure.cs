using System.Diagnostics;
using System.Globalization;
using System.Text;
using ReplicatedKv.LocalCluster;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>
/// <c>restart [--nodes 3] [--keys 1000000] [--value-bytes 256]</c>: loads a real cluster with that many keys, reports each
/// node's resident memory, then stops one follower (SIGTERM) and starts it again on its data (snapshot and log),
/// timing process start to /readyz 200 and to its first answered linearizable get. Targets: under 600 MB per node,
/// ready in under 10 s, with 1,000,000 keys of 256 bytes.
/// </summary>
internal static class RestartMeasure
{
    public static async Task<int> RunAsync(string[] args)
    {
        var members = Option(args, "--nodes", 3);
        var keyCount = Option(args, "--keys", 1_000_000);
        var valueBytes = Option(args, "--value-bytes", 256);
        var server = ServerLocation.Find(out var missing);
        if (server is null || members < 1 || keyCount < 1)
        {
            await Console.Error.WriteLineAsync(server is null ? $"restart: {missing}" : "restart: --nodes and --keys must be at least 1").ConfigureAwait(false);
            return server is null ? 1 : 2;
        }

        var root = BenchmarkFiles.CreateCaseDirectory("restart");
        var report = new StringBuilder();
        void Say(string line)
        {
            Console.WriteLine("restart: " + line);
            report.AppendLine(CultureInfo.InvariantCulture, $"- {line}");
        }

        try
        {
            await using var cluster = await ReplicatedKvCluster.StartAsync(members, root, server, new ConsoleOutput(prefixWidth: 3)).ConfigureAwait(false);
            var keys = new KeySet(keyCount, valueBytes);
            var channels = ClosedLoop.OpenConnections(cluster.ClientUrls, 16);
            var clock = Stopwatch.StartNew();
            Console.WriteLine($"restart: loading {keyCount} keys of {valueBytes} bytes into {members} nodes");
            await ClosedLoop.PreloadAsync(channels.Select(c => cluster.Connect(c, keys)).ToArray(), keyCount, workers: 256).ConfigureAwait(false);
            foreach (var channel in channels)
            {
                channel.Dispose();
            }

            Say(string.Create(CultureInfo.InvariantCulture, $"{members} nodes loaded with {keyCount} keys of {valueBytes} bytes in {clock.Elapsed.TotalSeconds:F0} s"));
            Say("resident memory after loading (MiB): " + Rss(cluster));

            var leader = await cluster.LeaderUrlAsync().ConfigureAwait(false);
            var index = Enumerable.Range(0, members).FirstOrDefault(i => cluster.Layout[i].ClientUrl != leader);
            var node = cluster.Layout[index];
            await cluster.StopNodeAsync(index).ConfigureAwait(false);
            clock.Restart();
            cluster.StartNode(index);
            var (ready, notReady) = await Readiness.WaitAsync([cluster.Node(index)], TimeSpan.FromMinutes(5), CancellationToken.None).ConfigureAwait(false);
            var readyAfter = clock.Elapsed;
            if (!ready)
            {
                Say($"{node.Id} was not ready 5 minutes after its restart: {notReady}");
                return 1;
            }

            using var direct = Grpc.Net.Client.GrpcChannel.ForAddress(node.ClientUrl);
            var last = keys.Strings[keyCount - 1];
            var answer = await new KeyValue.KeyValueClient(direct).GetAsync(new GetRequest { Key = last }, deadline: DateTime.UtcNow.AddSeconds(30));
            var servingAfter = clock.Elapsed;
            Say(string.Create(CultureInfo.InvariantCulture,
                $"{node.Id} (a follower) restarted: /readyz 200 after {readyAfter.TotalSeconds:F2} s, first linearizable get answered after {servingAfter.TotalSeconds:F2} s (found: {answer.Found})"));
            Say("resident memory after the restart (MiB): " + Rss(cluster));

            var folder = Path.Combine(SuiteRunner.ResultsFolder(), $"restart-{DateTime.UtcNow:yyyyMMdd-HHmmss}.md");
            Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
            await File.WriteAllTextAsync(folder,
                $"# Restart with {keyCount} keys\n\nCommand: `dotnet run -c Release --project tests/ReplicatedKv.Benchmarks -- restart {string.Join(' ', args)}`\n\n{report}").ConfigureAwait(false);
            Console.WriteLine($"restart: wrote {folder}");
            return answer.Found ? 0 : 1;
        }
        finally
        {
            BenchmarkFiles.Delete(root);
            BenchmarkFiles.DeleteDefaultRootIfEmpty();
        }
    }

    private static string Rss(ReplicatedKvCluster cluster) => string.Join(", ", cluster.Layout.Select((n, i) =>
        $"{n.Id} {ResidentMemory.Megabytes(cluster.Node(i).Pid)?.ToString("F0", CultureInfo.InvariantCulture) ?? "?"}"));

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : fallback;
    }
}
