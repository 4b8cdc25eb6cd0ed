using System.CommandLine;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using ReplicatedKv.Client;

namespace ReplicatedKv.Cli;

/// <summary>
/// <c>rkvctl health [--wait D] [--cluster]</c>: exit 0 when grpc.health.v1 says SERVING (the node sees a leader with a
/// live quorum), polling until the wait elapses; 1 otherwise. With --cluster every endpoint must be serving.
/// </summary>
internal static class HealthCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static Command Create(CliContext context)
    {
        var wait = Commands.DurationOption("--wait", "Keep polling until serving or this long has passed (e.g. 30s; default: check once)", TimeSpan.Zero);
        var cluster = new Option<bool>("--cluster") { Description = "Check every endpoint (all must be serving) instead of the first" };
        var command = new Command("health", "Check grpc.health.v1 (exit 0 when serving, 1 otherwise)") { wait, cluster };
        command.SetAction(async (parsed, ct) =>
        {
            var endpoints = Commands.ParseEndpoints(parsed);
            var targets = parsed.GetValue(cluster) ? endpoints : [endpoints[0]];
            var timeout = Commands.Timeout(parsed);
            var until = DateTime.UtcNow + parsed.GetValue(wait);
            var tls = TlsOptions.Apply(parsed, new KvClientOptions { Endpoints = endpoints });
            var results = await Task.WhenAll(targets.Select(endpoint => CheckAsync(endpoint, tls, timeout, until, ct)));
            var healthy = results.All(r => r.Serving);
            if (Commands.Json(parsed))
            {
                var nodes = new JsonArray([.. results.Select(r => new JsonObject { ["endpoint"] = r.Endpoint.ToString(), ["status"] = r.Status, ["serving"] = r.Serving })]);
                await Commands.WriteJsonAsync(context.Out, new JsonObject { ["serving"] = healthy, ["endpoints"] = nodes });
            }
            else
            {
                foreach (var result in results)
                {
                    await context.Out.WriteLineAsync($"{result.Endpoint}: {result.Status}");
                }
            }

            return healthy ? Program.Success : Program.NotFound;
        });
        return command;
    }

    private static async Task<Result> CheckAsync(Uri endpoint, KvClientOptions tls, TimeSpan timeout, DateTime until, CancellationToken ct)
    {
        using var channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { HttpHandler = ClientTls.CreateHandler(tls) });
        var client = new Health.HealthClient(channel);
        while (true)
        {
            var remaining = until - DateTime.UtcNow;
            var attempt = remaining > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(Math.Max(remaining.Ticks, TimeSpan.FromMilliseconds(500).Ticks), timeout.Ticks)) : timeout;
            string status;
            try
            {
                var response = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + attempt, cancellationToken: ct);
                if (response.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return new Result(endpoint, "SERVING", true);
                }

                status = response.Status == HealthCheckResponse.Types.ServingStatus.NotServing ? "NOT_SERVING" : response.Status.ToString().ToUpperInvariant();
            }
            catch (RpcException ex) when (!ct.IsCancellationRequested)
            {
                status = $"unreachable ({Program.OneLine(ex.Status.StatusCode + ": " + ex.Status.Detail)})";
            }

            if (DateTime.UtcNow + PollInterval >= until)
            {
                return new Result(endpoint, status, false);
            }

            await Task.Delay(PollInterval, ct);
        }
    }

    private sealed record Result(Uri Endpoint, string Status, bool Serving);
}
