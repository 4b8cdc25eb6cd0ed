using System.CommandLine;
using System.Text.Json.Nodes;

namespace ReplicatedKv.Cli;

/// <summary>
/// <c>rkvctl check hash</c>: the state hashes of every member compared at the same applied slot. Exit 0 when all
/// agree, 1 on a mismatch (replicas diverged: a bug or a damaged disk), 4 when the members could not all be
/// compared before --timeout (one does not answer, or writes keep them at different slots).
/// </summary>
internal static class CheckCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static Command Create(CliContext context)
    {
        var hash = new Command("hash", "Compare every member's state hash at the same applied slot (exit 1 on a mismatch, 4 if they could not all be compared)");
        hash.SetAction(async (parsed, ct) =>
        {
            var endpoints = Commands.ParseEndpoints(parsed);
            var timeout = Commands.Timeout(parsed);
            var until = DateTime.UtcNow + timeout;
            await using var client = Commands.Client(parsed);

            // Under writes the members pass through the same slots at different moments: ask again until they line up.
            while (true)
            {
                var members = await ClusterSurvey.RunAsync(client, endpoints, timeout, includeStateHash: true, ct);
                var verdict = HashCheck.Judge(members);
                if (verdict.Outcome != HashCheck.Outcome.Incomplete || DateTime.UtcNow + PollInterval >= until)
                {
                    return await ReportAsync(context, parsed, members, verdict);
                }

                await Task.Delay(PollInterval, ct);
            }
        });
        var command = new Command("check", "Consistency checks across members") { hash };
        return command;
    }

    private static async Task<int> ReportAsync(CliContext context, ParseResult parsed, IReadOnlyList<MemberRow> members, HashCheck.Verdict verdict)
    {
        var code = verdict.Outcome switch
        {
            HashCheck.Outcome.Match => Program.Success,
            HashCheck.Outcome.Mismatch => Program.NotFound,
            _ => Program.Unavailable,
        };
        if (Commands.Json(parsed))
        {
            await Commands.WriteJsonAsync(context.Out, new JsonObject
            {
                ["outcome"] = verdict.Outcome.ToString().ToLowerInvariant(),
                ["message"] = verdict.Message,
                ["members"] = new JsonArray([.. members.Select(m => new JsonObject
                {
                    ["node_id"] = m.Id,
                    ["client_url"] = m.ClientUrl,
                    ["applied_slot"] = m.Applied,
                    ["state_hash"] = m.StateHash,
                    ["error"] = m.Error,
                })]),
            });
        }
        else
        {
            foreach (var member in members)
            {
                await context.Out.WriteLineAsync($"{member.Id}  {member.ClientUrl}  applied {member.Applied?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}  {member.StateHash ?? "(" + Program.OneLine(member.Error ?? "no hash") + ")"}");
            }
        }

        if (code == Program.Success)
        {
            if (!Commands.Json(parsed))
            {
                await context.Out.WriteLineAsync(verdict.Message);
            }

            return code;
        }

        return await Program.FailAsync(context.Error, verdict.Message, code);
    }
}
