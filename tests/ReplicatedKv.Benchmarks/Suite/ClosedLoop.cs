using System.Diagnostics;
using Grpc.Net.Client;
using HdrHistogram;

namespace ReplicatedKv.Benchmarks.Suite;

/// <summary>What one row measured: operations in the measured window, their latency, and the errors.</summary>
/// <remarks><paramref name="CpuBefore"/> and <paramref name="CpuAfter"/>: CPU milliseconds of each measured process at the window's edges.</remarks>
internal sealed record LoadMeasure(long Operations, double Seconds, LongHistogram Latency, long Errors, string? FirstError,
    double?[] CpuBefore, double?[] CpuAfter)
{
    public double OpsPerSecond => Operations / Seconds;

    public double Milliseconds(double percentile) =>
        Latency.TotalCount == 0 ? double.NaN : Latency.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency;
}

/// <summary>
/// Closed-loop clients: each issues one request, waits for the answer, issues the next. Clients share
/// <see cref="SuiteOptions.ConnectionsFor"/> connections (client c on connection c mod n), and connection i goes to
/// member i mod members, so the load is spread round-robin over the members as unsteered clients spread it.
/// </summary>
internal static class ClosedLoop
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(5);

    /// <summary>One HTTP/2 connection per channel (no extra connections opened behind the caller's back).</summary>
    public static GrpcChannel[] OpenConnections(IReadOnlyList<string> urls, int count) =>
        Enumerable.Range(0, count).Select(i => GrpcChannel.ForAddress(urls[i % urls.Count], new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = false,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            },
            MaxReceiveMessageSize = 16 << 20,
        })).ToArray();

    /// <summary>Runs <paramref name="clients"/> closed-loop clients for warm-up then the measured window.</summary>
    /// <remarks>The processes in <paramref name="cpuPids"/> have their CPU time sampled when the measured window opens and when it closes.</remarks>
    public static async Task<LoadMeasure> RunAsync(IReadOnlyList<KvCalls> connections, int clients, Workload workload, int keyCount,
        TimeSpan warmUp, TimeSpan duration, IReadOnlyList<int> cpuPids)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var measureFrom = Stopwatch.GetTimestamp() + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        var measureTo = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var total = NewHistogram();
        long errors = 0;
        string? firstError = null;
        var cpu = SampleCpuAsync(cpuPids, warmUp, duration);

        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var calls = connections[c % connections.Count];
            var random = new Random(HashCode.Combine(run, c));
            var own = NewHistogram();
            var clientId = $"bench-{run}-{c}";
            var sequence = 0UL;
            while (true)
            {
                var start = Stopwatch.GetTimestamp();
                if (start >= measureTo)
                {
                    break;
                }

                var key = random.Next(keyCount);
                try
                {
                    var deadline = DateTime.UtcNow + CallDeadline;
                    if (workload.NextIsSet(random))
                    {
                        await calls.SetAsync(key, clientId, ++sequence, deadline).ConfigureAwait(false);
                    }
                    else
                    {
                        await calls.GetAsync(key, linearizable: workload != Workload.SerializableGet, deadline).ConfigureAwait(false);
                    }

                    if (start >= measureFrom)
                    {
                        own.RecordValue(Stopwatch.GetTimestamp() - start);
                    }
                }
                catch (Exception ex) when (ex is Grpc.Core.RpcException or HttpRequestException or IOException)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, OneLine(ex), null);
                }
            }

            lock (total)
            {
                total.Add(own);
            }
        })).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var (before, after) = await cpu.ConfigureAwait(false);
        return new LoadMeasure(total.TotalCount, duration.TotalSeconds, total, errors, firstError, before, after);
    }

    private static async Task<(double?[] Before, double?[] After)> SampleCpuAsync(IReadOnlyList<int> pids, TimeSpan warmUp, TimeSpan duration)
    {
        await Task.Delay(warmUp).ConfigureAwait(false);
        var before = CpuTime.Sample(pids);
        await Task.Delay(duration).ConfigureAwait(false);
        return (before, CpuTime.Sample(pids));
    }

    /// <summary>Writes every key once (the value every row uses), so that gets find what they ask for.</summary>
    public static async Task<long> PreloadAsync(IReadOnlyList<KvCalls> connections, int keyCount, int workers = 64)
    {
        long errors = 0;
        var next = -1;
        var run = Guid.NewGuid().ToString("N")[..8];
        var tasks = Enumerable.Range(0, Math.Min(workers, keyCount)).Select(w => Task.Run(async () =>
        {
            var sequence = 0UL;
            for (var key = Interlocked.Increment(ref next); key < keyCount; key = Interlocked.Increment(ref next))
            {
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        await connections[w % connections.Count].SetAsync(key, $"preload-{run}-{w}", ++sequence, DateTime.UtcNow + CallDeadline).ConfigureAwait(false);
                        break;
                    }
                    catch (Grpc.Core.RpcException) when (attempt < 3)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
            }
        }));
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return errors;
    }

    private static LongHistogram NewHistogram() => new(Stopwatch.Frequency * 60, 3);

    private static string OneLine(Exception ex) => ex is Grpc.Core.RpcException rpc
        ? $"{rpc.StatusCode}: {rpc.Status.Detail}"
        : $"{ex.GetType().Name}: {ex.Message}".ReplaceLineEndings(" ");
}
