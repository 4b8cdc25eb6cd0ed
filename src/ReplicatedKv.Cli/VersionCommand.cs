using System.CommandLine;
using System.Text.Json.Nodes;
using ReplicatedKv.Client;

namespace ReplicatedKv.Cli;

/// <summary>
/// <c>rkvctl version</c>: rkvctl's own version, and the version of the first endpoint that answers (every member's is in
/// <c>rkvctl status</c>). No answering server is not an error here: the command must work on a host with no cluster.
/// </summary>
internal static class VersionCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("version", "Show rkvctl's version and that of the first endpoint that answers");
        command.SetAction(async (parsed, ct) =>
        {
            var (server, error) = await ServerVersionAsync(parsed, ct);
            if (Commands.Json(parsed))
            {
                await Commands.WriteJsonAsync(context.Out, new JsonObject { ["rkvctl"] = BuildVersion.Current, ["server"] = server, ["error"] = error });
            }
            else
            {
                await context.Out.WriteLineAsync($"rkvctl {BuildVersion.Current}");
                await context.Out.WriteLineAsync(server is null ? $"server: unknown ({Program.OneLine(error ?? "")})" : $"server {server}");
            }

            return Program.Success;
        });
        return command;
    }

    private static async Task<(string? Server, string? Error)> ServerVersionAsync(ParseResult parsed, CancellationToken ct)
    {
        await using var client = Commands.Client(parsed);
        var errors = new List<string>();
        foreach (var endpoint in Commands.ParseEndpoints(parsed))
        {
            try
            {
                var status = await client.StatusAsync(endpoint, timeout: Commands.Timeout(parsed), cancellationToken: ct);
                return ($"{status.Version} ({status.NodeId} at {endpoint})", null);
            }
            catch (KvException ex)
            {
                errors.Add(ex.Message);
            }
        }

        return (null, "no endpoint answered: " + string.Join("; ", errors));
    }
}
