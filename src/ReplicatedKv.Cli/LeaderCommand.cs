using System.CommandLine;
using System.Text.Json.Nodes;
using ReplicatedKv.Client;

namespace ReplicatedKv.Cli;

/// <summary>
/// <c>rkvctl leader transfer --to ID</c>: moves leadership to another voter (e.g. before maintenance of the leader's
/// machine). Exit 3 with the leader's reason when it refuses or the target does not take over in time.
/// </summary>
internal static class LeaderCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("leader", "Leadership operations (transfer)");
        command.Subcommands.Add(TransferCommand(context));
        return command;
    }

    private static Command TransferCommand(CliContext context)
    {
        var to = new Option<string>("--to") { Description = "Node id of the voter to lead next (e.g. n2)", Required = true };
        var command = new Command("transfer", "Hand leadership to another voter and wait until it leads (exit 3 with the reason if refused)") { to };
        command.SetAction(async (parsed, ct) =>
        {
            var target = parsed.GetRequiredValue(to);
            if (string.IsNullOrWhiteSpace(target))
            {
                throw new UsageException("--to: a node id is required");
            }

            await using var client = Commands.Client(parsed);
            try
            {
                var answer = await client.TransferLeaderAsync(target, Commands.Timeout(parsed), ct);
                if (Commands.Json(parsed))
                {
                    await Commands.WriteJsonAsync(context.Out, new JsonObject { ["leader"] = answer.LeaderId, ["leader_client_url"] = answer.LeaderClientUrl });
                }
                else
                {
                    await context.Out.WriteLineAsync($"{answer.LeaderId} leads now" + (answer.LeaderClientUrl.Length > 0 ? $" ({answer.LeaderClientUrl})" : ""));
                }

                return Program.Success;
            }
            catch (KvException ex) when (ex.StatusCode is Grpc.Core.StatusCode.Aborted)
            {
                // Started but not taken up in time: the old leader leads on, and nothing else changed.
                return await Program.FailAsync(context.Error, $"transfer not completed: {ex.Message}", Program.PreconditionFailed);
            }
        });
        return command;
    }
}
