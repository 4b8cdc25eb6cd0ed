using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using HdrHistogram;
using ReplicatedKv.Client;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Cli;

/// <summary>
/// <c>rkvctl bench</c>: a closed-loop load (each client sends its next request when the last one answered) with
/// throughput and latency percentiles. Failed requests are counted, not retried beyond the client's own retries.
/// </summary>
internal static class BenchCommand
{
    private const long MaxMicros = 3_600_000_000;

    public static Command Create(CliContext context)
    {
        var clients = new Option<int>("--clients", "-c") { Description = "Concurrent closed-loop clients", DefaultValueFactory = _ => 16 };
        var total = new Option<long?>("--total", "-n") { Description = "Requests in all (default 10000 unless --duration)" };
        var duration = new Option<TimeSpan?>("--duration", "-d")
        {
            Description = "Run this long instead of a request count (e.g. 10s)",
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (Durations.TryParse(text, out var value) && value > TimeSpan.Zero)
                {
                    return value;
                }

                result.AddError($"--duration: '{text}' is not a positive duration (e.g. 10s)");
                return null;
            },
        };
        var op = new Option<string>("--op") { Description = "Operation: set, get (linearizable), or mixed (half each)", DefaultValueFactory = _ => "set" };
        op.AcceptOnlyFromAmong("set", "get", "mixed");
        var valueSize = new Option<int>("--value-size") { Description = "Bytes per value", DefaultValueFactory = _ => 100 };
        var keySpace = new Option<int>("--key-space") { Description = "Distinct keys (bench-0 .. bench-N-1), chosen at random", DefaultValueFactory = _ => 1000 };
        var command = new Command("bench", "Closed-loop load: throughput and latency p50/p90/p99/max") { clients, total, duration, op, valueSize, keySpace };
        command.SetAction(async (parsed, ct) =>
        {
            var settings = new Settings(parsed.GetValue(clients), parsed.GetValue(duration) is null ? parsed.GetValue(total) ?? 10_000 : null, parsed.GetValue(duration),
                parsed.GetRequiredValue(op), parsed.GetValue(valueSize), parsed.GetValue(keySpace));
            if (settings.Clients < 1 || settings.ValueSize < 0 || settings.KeySpace < 1 || settings.Total < 1)
            {
                throw new UsageException("bench: --clients, --key-space and --total must be positive, --value-size not negative");
            }

            if (parsed.GetValue(total) is not null && parsed.GetValue(duration) is not null)
            {
                throw new UsageException("bench: give --total or --duration, not both");
            }

            var endpoints = Commands.ParseEndpoints(parsed);
            await using var client = new KvClient(TlsOptions.Apply(parsed, new KvClientOptions
            {
                Endpoints = endpoints,
                DefaultTimeout = Commands.Timeout(parsed),
                ConnectionsPerEndpoint = Math.Clamp(settings.Clients / 8, 1, 8),
            }));
            if (settings.Op == "get")
            {
                await PrefillAsync(client, settings, ct);
            }

            // A live progress line only for a person at a terminal: never into redirected output or JSON.
            var showProgress = !Commands.Json(parsed) && ReferenceEquals(context.Error, Console.Error) && !Console.IsErrorRedirected;
            var report = await RunAsync(client, settings, showProgress ? context.Error : null, ct);
            await WriteAsync(context, settings, report, Commands.Json(parsed));
            return report.Ok == 0 && report.Errors > 0 ? Program.Unavailable : Program.Success;
        });
        return command;
    }

    private static async Task PrefillAsync(KvClient client, Settings settings, CancellationToken ct)
    {
        var value = new byte[settings.ValueSize];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(async _ =>
        {
            int key;
            while ((key = Interlocked.Increment(ref next)) < settings.KeySpace)
            {
                await client.SetAsync(Key(key), value, cancellationToken: ct);
            }
        }));
    }

    private static async Task<Report> RunAsync(KvClient client, Settings settings, TextWriter? progress, CancellationToken ct)
    {
        var remaining = settings.Total ?? long.MaxValue;
        long done = 0;
        var started = Stopwatch.GetTimestamp();
        using var finished = new CancellationTokenSource();
        var progressLine = progress is null ? Task.CompletedTask : ShowProgressAsync(progress, settings, started, () => Interlocked.Read(ref done), finished.Token);
        var stopAt = settings.Duration is { } d ? started + (long)(d.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        var workers = await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(async worker =>
        {
            var histogram = new LongHistogram(MaxMicros, 3);
            var random = new Random(worker);
            var value = new byte[settings.ValueSize];
            long errors = 0;
            string? lastError = null;
            while (Interlocked.Decrement(ref remaining) >= 0 && Stopwatch.GetTimestamp() < stopAt)
            {
                var key = Key(random.Next(settings.KeySpace));
                var write = settings.Op == "set" || (settings.Op == "mixed" && random.Next(2) == 0);
                var begin = Stopwatch.GetTimestamp();
                try
                {
                    if (write)
                    {
                        random.NextBytes(value);
                        await client.SetAsync(key, value, cancellationToken: ct);
                    }
                    else
                    {
                        await client.GetAsync(key, ReadConsistency.Linearizable, cancellationToken: ct);
                    }

                    var micros = (Stopwatch.GetTimestamp() - begin) * 1_000_000 / Stopwatch.Frequency;
                    histogram.RecordValue(Math.Min(micros, MaxMicros));
                }
                catch (KvException ex)
                {
                    errors++;
                    lastError = ex.Message;
                }

                Interlocked.Increment(ref done);
            }

            return (histogram, errors, lastError);
        }));
        var elapsed = Stopwatch.GetElapsedTime(started);
        await finished.CancelAsync();
        await progressLine;
        var all = new LongHistogram(MaxMicros, 3);
        foreach (var (histogram, _, _) in workers)
        {
            all.Add(histogram);
        }

        return new Report(all, all.TotalCount, workers.Sum(w => w.errors), workers.Select(w => w.lastError).LastOrDefault(e => e is not null), elapsed);
    }

    private static async Task ShowProgressAsync(TextWriter terminal, Settings settings, long started, Func<long> done, CancellationToken finished)
    {
        while (!finished.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(250, finished);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var count = done();
            var fraction = settings.Total is { } total ? (double)count / total
                : settings.Duration is { } d ? elapsed / d.TotalSeconds : 0;
            var bar = new string('#', (int)(Math.Clamp(fraction, 0, 1) * 30)).PadRight(30, '.');
            await terminal.WriteAsync($"\r[{bar}] {count} requests, {count / Math.Max(elapsed, 0.001):F0}/s ");
        }

        await terminal.WriteAsync("\r" + new string(' ', 72) + "\r");
    }

    private static async Task WriteAsync(CliContext context, Settings settings, Report report, bool json)
    {
        var throughput = report.Ok / Math.Max(report.Elapsed.TotalSeconds, 1e-9);
        double Ms(double percentile) => report.Ok == 0 ? 0 : report.Latency.GetValueAtPercentile(percentile) / 1000.0;
        var max = report.Ok == 0 ? 0 : report.Latency.GetMaxValue() / 1000.0;
        if (json)
        {
            await Commands.WriteJsonAsync(context.Out, new JsonObject
            {
                ["op"] = settings.Op,
                ["clients"] = settings.Clients,
                ["value_size"] = settings.ValueSize,
                ["key_space"] = settings.KeySpace,
                ["ok"] = report.Ok,
                ["errors"] = report.Errors,
                ["last_error"] = report.LastError,
                ["seconds"] = report.Elapsed.TotalSeconds,
                ["throughput"] = throughput,
                ["latency_ms"] = new JsonObject { ["p50"] = Ms(50), ["p90"] = Ms(90), ["p99"] = Ms(99), ["max"] = max },
            });
            return;
        }

        var c = CultureInfo.InvariantCulture;
        await context.Out.WriteLineAsync(string.Create(c, $"op={settings.Op} clients={settings.Clients} value-size={settings.ValueSize} key-space={settings.KeySpace}"));
        await context.Out.WriteLineAsync(string.Create(c, $"requests:   {report.Ok} ok, {report.Errors} failed in {report.Elapsed.TotalSeconds:0.00}s"));
        await context.Out.WriteLineAsync(string.Create(c, $"throughput: {throughput:0.0} ops/s"));
        await context.Out.WriteLineAsync(string.Create(c, $"latency ms: p50 {Ms(50):0.000}  p90 {Ms(90):0.000}  p99 {Ms(99):0.000}  max {max:0.000}"));
        if (report.LastError is { } error)
        {
            await context.Error.WriteLineAsync($"rkvctl: last error: {Program.OneLine(error)}");
        }
    }

    private static string Key(int index) => "bench-" + index.ToString(CultureInfo.InvariantCulture);

    private sealed record Settings(int Clients, long? Total, TimeSpan? Duration, string Op, int ValueSize, int KeySpace);

    private sealed record Report(LongHistogram Latency, long Ok, long Errors, string? LastError, TimeSpan Elapsed);
}
