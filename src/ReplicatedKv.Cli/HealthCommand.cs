using System.CommandLine;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using ReplicatedKv.Client;

namespace ReplicatedKv.Cli;

/// <summary>
/// <c>rkvctl health [--wait D] [--cluster]</c>: exit 0 when grpc.health.v1 says SERVING (the node sees a leader with a
/// live quorum), polling until the wait elapses; 1 otherwise. Without --cluster the endpoints are tried in turn, as
/// get and set do, and the first that answers decides; with --cluster every endpoint must be serving. A node that is
/// not serving is asked (Cluster.Status) why, and the reason is printed.
/// </summary>
internal static class HealthCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static Command Create(CliContext context)
    {
        var wait = Commands.DurationOption("--wait", "Keep polling until serving or this long has passed (e.g. 30s; 0s: check once)", TimeSpan.Zero);
        var cluster = new Option<bool>("--cluster") { Description = "Check every endpoint (all must be serving) instead of the first that answers" };
        var command = new Command("health", "Check grpc.health.v1 (exit 0 when serving, 1 otherwise), with the reason a node is not serving") { wait, cluster };
        command.SetAction(async (parsed, ct) =>
        {
            var endpoints = Commands.ParseEndpoints(parsed);
            var timeout = Commands.Timeout(parsed);
            var until = DateTime.UtcNow + Commands.Duration(parsed, wait, TimeSpan.Zero);
            var options = TlsOptions.Apply(parsed, new KvClientOptions { Endpoints = endpoints, DialTimeout = Commands.DialTimeout(parsed) });
            await using var reasons = new KvClient(options);
            var probe = new Probe(options, reasons, timeout, Commands.DialTimeout(parsed));
            var results = parsed.GetValue(cluster)
                ? await Task.WhenAll(endpoints.Select(endpoint => PollAsync(() => probe.CheckAsync(endpoint, ct), until, ct)))
                : [await PollAsync(() => FirstAnsweringAsync(probe, endpoints, ct), until, ct)];
            var healthy = results.All(r => r.Serving);
            if (Commands.Json(parsed))
            {
                var nodes = new JsonArray([.. results.Select(r => new JsonObject
                {
                    ["endpoint"] = Urls.Show(r.Endpoint),
                    ["status"] = r.Status,
                    ["serving"] = r.Serving,
                    ["reason"] = r.Reason,
                })]);
                await Commands.WriteJsonAsync(context.Out, new JsonObject { ["serving"] = healthy, ["endpoints"] = nodes });
            }
            else
            {
                foreach (var result in results)
                {
                    await context.Out.WriteLineAsync($"{Urls.Show(result.Endpoint)}: {result.Status}{(result.Reason is { Length: > 0 } reason ? " (" + Program.OneLine(reason) + ")" : "")}");
                }
            }

            return healthy ? Program.Success : Program.NotFound;
        });
        return command;
    }

    private static async Task<Result> PollAsync(Func<Task<Result>> check, DateTime until, CancellationToken ct)
    {
        while (true)
        {
            var result = await check();
            if (result.Serving || DateTime.UtcNow + PollInterval >= until)
            {
                return result;
            }

            await Task.Delay(PollInterval, ct);
        }
    }

    // The first endpoint that answers at all decides; if none answers, the last one's error is the answer.
    private static async Task<Result> FirstAnsweringAsync(Probe probe, IReadOnlyList<Uri> endpoints, CancellationToken ct)
    {
        Result? last = null;
        foreach (var endpoint in endpoints)
        {
            last = await probe.CheckAsync(endpoint, ct);
            if (last.Answered)
            {
                return last;
            }
        }

        return last!;
    }

    private sealed class Probe(KvClientOptions options, KvClient reasons, TimeSpan timeout, TimeSpan dialTimeout)
    {
        public async Task<Result> CheckAsync(Uri endpoint, CancellationToken ct)
        {
            var handler = ClientTls.CreateHandler(options);
            handler.ConnectTimeout = dialTimeout;

            using var channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { HttpHandler = handler });
            var client = new Health.HealthClient(channel);
            try
            {
                var response = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + timeout, cancellationToken: ct);
                if (response.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return new Result(endpoint, "SERVING", Serving: true, Answered: true, null);
                }

                var status = response.Status == HealthCheckResponse.Types.ServingStatus.NotServing ? "NOT_SERVING" : response.Status.ToString().ToUpperInvariant();
                return new Result(endpoint, status, Serving: false, Answered: true, await ReasonAsync(endpoint, ct));
            }
            catch (RpcException ex) when (!ct.IsCancellationRequested)
            {
                var detail = ex.Status.Detail is { Length: > 0 } d ? d : ex.Status.DebugException?.GetBaseException().Message ?? "";
                return new Result(endpoint, $"unreachable ({Program.OneLine(ex.Status.StatusCode + ": " + detail)})", Serving: false, Answered: false, null);
            }
        }

        // Best effort: a node that says NOT_SERVING but cannot say why still gets its NOT_SERVING printed.
        private async Task<string?> ReasonAsync(Uri endpoint, CancellationToken ct)
        {
            try
            {
                return (await reasons.StatusAsync(endpoint, timeout: timeout, cancellationToken: ct)).NotServingReason;
            }
            catch (KvException)
            {
                return null;
            }
        }
    }

    private sealed record Result(Uri Endpoint, string Status, bool Serving, bool Answered, string? Reason);
}
