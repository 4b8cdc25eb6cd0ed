using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ReplicatedKv.Client;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Cli;

/// <summary>
/// <c>rkvctl member list</c>: the configuration in force, as the leader sees it (it alone knows each member's lag):
/// id, peer and client URLs, voter or learner, lag. Without a reachable leader, the first answering node's view,
/// with lag unknown. Exit 4 when no endpoint answers. The changes (add, promote, remove, replace) are in
/// <see cref="MemberChangeCommands"/>.
/// </summary>
internal static class MemberCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("member", "Cluster membership (list, add, promote, remove, replace)");
        command.Subcommands.Add(ListCommand(context));
        MemberChangeCommands.AddTo(command, context);
        return command;
    }

    private static Command ListCommand(CliContext context)
    {
        var command = new Command("list", "List the members of the configuration in force: id, URLs, voter/learner, lag (lag known only through the leader)");
        command.SetAction(async (parsed, ct) =>
        {
            await using var client = Commands.Client(parsed);
            var status = await LeaderOrAnyStatusAsync(client, Commands.ParseEndpoints(parsed), Commands.Timeout(parsed), ct);
            var rows = Rows(status);
            if (Commands.Json(parsed))
            {
                await Commands.WriteJsonAsync(context.Out, new JsonObject
                {
                    ["configuration_slot"] = status.ConfigurationSlot,
                    ["configuration_effective_slot"] = status.ConfigurationEffectiveSlot,
                    ["pending_configuration_slot"] = status.PendingConfigurationSlot,
                    ["members"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
                    {
                        ["id"] = r.Id,
                        ["peer_url"] = r.PeerUrl,
                        ["client_url"] = r.ClientUrl,
                        ["role"] = r.Role,
                        ["lag"] = r.Lag,
                    })]),
                });
            }
            else
            {
                await context.Out.WriteAsync(Table(rows));
            }

            return Program.Success;
        });
        return command;
    }

    internal sealed record Row(string Id, string PeerUrl, string ClientUrl, string Role, long? Lag);

    // The node itself, then its peers; members not in the configuration in force are left out.
    private static List<Row> Rows(StatusResponse status)
    {
        var leads = status.Role == NodeRole.Leader;
        var rows = new List<Row> { new(status.NodeId, status.PeerUrl, status.ClientUrl, RoleName(status.MemberRole), leads ? 0 : null) };
        rows.AddRange(status.Peers.Select(p => new Row(p.NodeId, p.PeerUrl, p.ClientUrl, RoleName(p.MemberRole), leads && p.Lag >= 0 ? p.Lag : null)));
        return [.. rows.Where(r => r.Role != "none").OrderBy(r => r.Id, StringComparer.Ordinal)];
    }

    internal static string RoleName(MemberRole role) => role switch
    {
        MemberRole.Voter => "voter",
        MemberRole.Learner => "learner",
        _ => "none",
    };

    internal static string Table(List<Row> rows)
    {
        string[] header = ["ID", "PEER URL", "CLIENT URL", "ROLE", "LAG"];
        var cells = rows.Select(r => new[] { r.Id, r.PeerUrl, r.ClientUrl.Length > 0 ? r.ClientUrl : "-", r.Role, r.Lag?.ToString(CultureInfo.InvariantCulture) ?? "-" })
            .Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(c => cells.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in cells)
        {
            text.AppendJoin("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The leader's status (found directly or through the leader an endpoint names), else the first answer.</summary>
    internal static async Task<StatusResponse> LeaderOrAnyStatusAsync(KvClient client, IReadOnlyList<Uri> endpoints, TimeSpan timeout, CancellationToken ct)
    {
        var errors = new List<string>();
        StatusResponse? first = null;
        foreach (var endpoint in endpoints)
        {
            try
            {
                var status = await client.StatusAsync(endpoint, timeout: timeout, cancellationToken: ct);
                if (status.Role == NodeRole.Leader)
                {
                    return status;
                }

                first ??= status;
            }
            catch (KvException ex)
            {
                errors.Add(ex.Message);
            }
        }

        if (first is null)
        {
            throw new ClusterUnavailableException($"no endpoint answered: {string.Join("; ", errors)}");
        }

        if (Uri.TryCreate(first.LeaderClientUrl, UriKind.Absolute, out var leaderUrl))
        {
            try
            {
                return await client.StatusAsync(leaderUrl, timeout: timeout, cancellationToken: ct);
            }
            catch (KvException)
            {
                // The leader named is not reachable from here: show the answering node's view, lag unknown.
            }
        }

        return first;
    }
}
