using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ReplicatedKv.Cli;

/// <summary>
/// <c>rkvctl status</c>: every member's own report (see <see cref="ClusterSurvey"/>). Exit 4 when no endpoint
/// answers or no member knows a leader: a script can wait on it.
/// </summary>
internal static class StatusCommand
{
    // The table shows a prefix of the SHA-256, like a short git hash; JSON has it whole.
    private const int ShortHash = 12;

    public static Command Create(CliContext context)
    {
        var cluster = new Option<bool>("--cluster") { Description = "Accepted for etcdctl habits: status always asks every member the first answering endpoint names" };
        var command = new Command("status",
            "Show every member: role, voting state, leader, log positions, lag, revision, key count, state hash, serving (exit 4 if no endpoint answers or no leader is known)")
        {
            cluster,
        };
        command.SetAction(async (parsed, ct) =>
        {
            var endpoints = Commands.ParseEndpoints(parsed);
            await using var client = Commands.Client(parsed);
            var members = await ClusterSurvey.RunAsync(client, endpoints, Commands.Timeout(parsed), includeStateHash: true, ct);
            if (Commands.Json(parsed))
            {
                await Commands.WriteJsonAsync(context.Out, new JsonObject { ["members"] = new JsonArray([.. members.Select(m => m.ToJson())]) });
            }
            else
            {
                await context.Out.WriteAsync(Table(members));
            }

            if (!members.Any(m => m.Answered && m.Leader is not null))
            {
                return await Program.FailAsync(context.Error, "no leader known: no member that answered follows a leader", Program.Unavailable);
            }

            return Program.Success;
        });
        return command;
    }

    public static string Table(IReadOnlyList<MemberRow> members)
    {
        string[] header = ["ID", "CLIENT URL", "ROLE", "VOTING", "LEADER", "BALLOT", "DECIDED", "APPLIED", "LAG", "REVISION", "KEYS", "HASH", "VERSION", "REACHABLE", "SERVING"];
        var rows = members.Select(m => new[]
        {
            m.Id, m.ClientUrl, m.Role, m.Voting ?? "-", m.Leader ?? "-", m.Ballot ?? "-", Number(m.Decided), Number(m.Applied), Number(m.Lag),
            m.Revision?.ToString(CultureInfo.InvariantCulture) ?? "-", Number(m.Keys), m.StateHash is { } hash ? hash[..Math.Min(ShortHash, hash.Length)] : "-",
            m.Version ?? "-",
            m.Answered ? "yes" : m.Error is null ? "no" : "no (" + Program.OneLine(m.Error) + ")",
            m.NotServingReason is null ? "-" : m.NotServingReason.Length == 0 ? "yes" : "no (" + Program.OneLine(m.NotServingReason) + ")",
        }).Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            text.AppendJoin("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).Append('\n');
        }

        return text.ToString();
    }

    private static string Number(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";
}
