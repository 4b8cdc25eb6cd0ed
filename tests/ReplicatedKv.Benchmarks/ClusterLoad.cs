using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using HdrHistogram;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Hosting;
using ReplicatedKv.Server.Settings;
using ReplicatedKv.Testing.Ports;

namespace ReplicatedKv.Benchmarks;

/// <summary>
/// Closed-loop load on a whole cluster: real rkv-server hosts (in this process, on loopback, each with its own
/// data directory and fsyncs) and gRPC clients spread over every node. Each client issues one request at a time;
/// writes go through the follower forwarding path two times out of three with 3 nodes, as unsteered clients would.
/// Prints throughput and latency percentiles. All nodes share this machine's cores and disk, so this is a floor
/// for a real deployment, where they do not.
/// </summary>
internal static class ClusterLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var nodes = Option(args, "--nodes", 3);
        var clients = Option(args, "--clients", 64);
        var seconds = Option(args, "--seconds", 10);
        var valueBytes = Option(args, "--value-bytes", 100);
        var readRatio = Option(args, "--read-ratio", 0) / 100.0;
        var root = Path.Combine(BenchmarkFiles.Root, "cluster-" + Guid.NewGuid().ToString("N")[..8]);
        var hosts = await StartClusterAsync(nodes, root);
        try
        {
            var channels = hosts.Select(h => GrpcChannel.ForAddress(h.Settings.AdvertiseClientUrl)).ToArray();
            await WaitForLeaderAsync(new KeyValue.KeyValueClient(channels[0]));
            var writes = new LongHistogram(TimeStamp.Minutes(1), 3);
            var reads = new LongHistogram(TimeStamp.Minutes(1), 3);
            var errors = 0L;
            var value = ByteString.CopyFrom(new byte[valueBytes]);
            var stop = Stopwatch.StartNew();
            var duration = TimeSpan.FromSeconds(seconds);
            var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                var client = new KeyValue.KeyValueClient(channels[c % channels.Length]);
                var random = new Random(c);
                var own = new LongHistogram(TimeStamp.Minutes(1), 3);
                var ownReads = new LongHistogram(TimeStamp.Minutes(1), 3);
                var sequence = 0UL;
                while (stop.Elapsed < duration)
                {
                    var key = "key-" + random.Next(10_000).ToString(CultureInfo.InvariantCulture);
                    var start = Stopwatch.GetTimestamp();
                    try
                    {
                        if (random.NextDouble() < readRatio)
                        {
                            await client.GetAsync(new GetRequest { Key = key }, deadline: DateTime.UtcNow.AddSeconds(5));
                            ownReads.RecordValue(Stopwatch.GetTimestamp() - start);
                        }
                        else
                        {
                            await client.SetAsync(new SetRequest
                            {
                                Key = key,
                                Value = value,
                                RequestId = new RequestId { ClientId = "bench-" + c, Sequence = ++sequence },
                            }, deadline: DateTime.UtcNow.AddSeconds(5));
                            own.RecordValue(Stopwatch.GetTimestamp() - start);
                        }
                    }
                    catch (RpcException)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }

                lock (writes)
                {
                    writes.Add(own);
                    reads.Add(ownReads);
                }
            })).ToArray();
            await Task.WhenAll(tasks);
            var elapsed = stop.Elapsed.TotalSeconds;
            Console.WriteLine($"cluster load: {nodes} nodes, {clients} clients, {seconds} s, {valueBytes}-byte values, {readRatio:P0} linearizable reads");
            Report("set", writes, elapsed);
            Report("get", reads, elapsed);
            Console.WriteLine($"errors: {errors}");
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }

            Directory.Delete(root, recursive: true);
            BenchmarkFiles.DeleteDefaultRootIfEmpty();
        }

        return 0;
    }

    private static void Report(string name, LongHistogram histogram, double seconds)
    {
        if (histogram.TotalCount == 0)
        {
            return;
        }

        static string Ms(long ticks) => (ticks * 1000.0 / Stopwatch.Frequency).ToString("F2", CultureInfo.InvariantCulture);
        Console.WriteLine(
            $"{name}: {histogram.TotalCount / seconds:F0} ops/s; latency ms p50 {Ms(histogram.GetValueAtPercentile(50))} " +
            $"p90 {Ms(histogram.GetValueAtPercentile(90))} p99 {Ms(histogram.GetValueAtPercentile(99))} " +
            $"p99.9 {Ms(histogram.GetValueAtPercentile(99.9))} max {Ms(histogram.GetMaxValue())}");
    }

    private static async Task<ServerHost[]> StartClusterAsync(int size, string root)
    {
        var ports = FreePorts.Pick(2 * size);
        var peers = string.Join(',', Enumerable.Range(0, size).Select(i => $"n{i + 1}=http://127.0.0.1:{ports[(2 * i) + 1]}"));
        var clientUrls = string.Join(',', Enumerable.Range(0, size).Select(i => $"n{i + 1}=http://127.0.0.1:{ports[2 * i]}"));
        var hosts = new List<ServerHost>();
        for (var i = 0; i < size; i++)
        {
            hosts.Add(await ServerHost.StartAsync(new ServerSettings
            {
                NodeId = $"n{i + 1}",
                ClientUrl = new Uri($"http://127.0.0.1:{ports[2 * i]}"),
                PeerUrl = new Uri($"http://127.0.0.1:{ports[(2 * i) + 1]}"),
                AdvertiseClientUrl = $"http://127.0.0.1:{ports[2 * i]}",
                Peers = peers,
                MemberClientUrls = clientUrls,
                DataDir = Path.Combine(root, $"n{i + 1}"),
                LogLevel = "Warning",
            }));
        }

        return [.. hosts];
    }

    private static async Task WaitForLeaderAsync(KeyValue.KeyValueClient client)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await client.SetAsync(new SetRequest { Key = "warm-up", Value = ByteString.Empty }, deadline: DateTime.UtcNow.AddSeconds(2));
                return;
            }
            catch (RpcException) when (attempt < 50)
            {
                await Task.Delay(200);
            }
        }
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
