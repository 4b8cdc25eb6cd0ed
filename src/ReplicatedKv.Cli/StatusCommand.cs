using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ReplicatedKv.Client;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Cli;

/// <summary><c>rkvctl status [--cluster]</c>: the members as one node sees them, or as each sees itself.</summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var cluster = new Option<bool>("--cluster") { Description = "Ask every endpoint for its own status instead of one node for its view of all" };
        var command = new Command("status", "Show the cluster's members: role, leader, ballot, log positions, lag, reachability (exit 4 if no endpoint answers)") { cluster };
        command.SetAction(async (parsed, ct) =>
        {
            var endpoints = Commands.ParseEndpoints(parsed);
            var timeout = Commands.Timeout(parsed);
            await using var client = Commands.Client(parsed);
            var members = parsed.GetValue(cluster)
                ? await ClusterViewAsync(client, endpoints, timeout, ct)
                : await NodeViewAsync(client, endpoints, timeout, ct);
            if (Commands.Json(parsed))
            {
                await Commands.WriteJsonAsync(context.Out, new JsonObject { ["members"] = new JsonArray([.. members.Select(m => m.ToJson())]) });
            }
            else
            {
                await context.Out.WriteAsync(Table(members));
            }

            return members.Any(m => m.Answered) ? Program.Success : Program.Unavailable;
        });
        return command;
    }

    /// <summary>The first endpoint that answers: itself, and its peers as it sees them.</summary>
    private static async Task<List<Member>> NodeViewAsync(KvClient client, IReadOnlyList<Uri> endpoints, TimeSpan timeout, CancellationToken ct)
    {
        var errors = new List<string>();
        foreach (var endpoint in endpoints)
        {
            StatusResponse status;
            try
            {
                status = await client.StatusAsync(endpoint, timeout: timeout, cancellationToken: ct);
            }
            catch (KvException ex)
            {
                errors.Add(ex.Message);
                continue;
            }

            var members = new List<Member> { Member.Self(status, endpoint, lag: status.Role == NodeRole.Leader ? 0 : null) };
            foreach (var peer in status.Peers)
            {
                var role = peer.NodeId == status.LeaderId ? "leader" : peer.Reachable ? "follower" : "unknown";
                members.Add(new Member(peer.NodeId, peer.ClientUrl, role, status.LeaderId, null, peer.DecidedSlot >= 0 ? peer.DecidedSlot : null, null,
                    status.Role == NodeRole.Leader ? peer.Lag : null, peer.Reachable, Answered: false, Error: null) { Version = KnownVersion(peer.Version) });
            }

            return [.. members.OrderBy(m => m.Id, StringComparer.Ordinal)];
        }

        throw new ClusterUnavailableException($"no endpoint answered: {string.Join("; ", errors)}");
    }

    /// <summary>Every endpoint for itself; lag comes from the leader's view of its peers.</summary>
    private static async Task<List<Member>> ClusterViewAsync(KvClient client, IReadOnlyList<Uri> endpoints, TimeSpan timeout, CancellationToken ct)
    {
        var answers = await Task.WhenAll(endpoints.Select(async endpoint =>
        {
            try
            {
                return (endpoint, Status: await client.StatusAsync(endpoint, timeout: timeout, cancellationToken: ct), Error: (string?)null);
            }
            catch (KvException ex)
            {
                return (endpoint, Status: (StatusResponse?)null, Error: ex.Message);
            }
        }));
        var leader = answers.Select(a => a.Status).FirstOrDefault(s => s?.Role == NodeRole.Leader);
        var members = new List<Member>();
        foreach (var (endpoint, status, error) in answers)
        {
            if (status is null)
            {
                var known = answers.SelectMany(a => a.Status?.Peers ?? []).FirstOrDefault(p => SameUrl(p.ClientUrl, endpoint));
                members.Add(new Member(known?.NodeId ?? "?", endpoint.ToString(), "unreachable", null, null, null, null, null, false, false, error));
                continue;
            }

            long? lag = leader is null ? null : status.NodeId == leader.NodeId ? 0 : leader.Peers.FirstOrDefault(p => p.NodeId == status.NodeId)?.Lag;
            members.Add(Member.Self(status, endpoint, lag));
        }

        return [.. members.OrderBy(m => m.Id, StringComparer.Ordinal)];
    }

    private static bool SameUrl(string url, Uri endpoint) =>
        Uri.TryCreate(url, UriKind.Absolute, out var parsed) && Uri.Compare(parsed, endpoint, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    private static string RoleName(NodeRole role) => role switch
    {
        NodeRole.Leader => "leader",
        NodeRole.Candidate => "candidate",
        _ => "follower",
    };

    private static string Table(IReadOnlyList<Member> members)
    {
        string[] header = ["ID", "CLIENT URL", "ROLE", "LEADER", "BALLOT", "DECIDED", "APPLIED", "LAG", "VERSION", "REACHABLE"];
        var rows = members.Select(m => new[]
        {
            m.Id, m.ClientUrl, m.Role, m.Leader ?? "-", m.Ballot ?? "-", Number(m.Decided), Number(m.Applied), Number(m.Lag), m.Version ?? "-",
            m.Reachable ? "yes" : m.Error is null ? "no" : "no (" + Program.OneLine(m.Error) + ")",
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

    // A peer not heard from since the answering node started has announced no version yet.
    private static string? KnownVersion(string version) => version.Length > 0 ? version : null;

    /// <summary>One row: null where the answering node does not know.</summary>
    private sealed record Member(string Id, string ClientUrl, string Role, string? Leader, string? Ballot, long? Decided, long? Applied, long? Lag,
        bool Reachable, bool Answered, string? Error)
    {
        /// <summary>The member's build version: its own answer, or what it announced to the answering node; null if unknown.</summary>
        public string? Version { get; init; }

        public static Member Self(StatusResponse status, Uri endpoint, long? lag) =>
            new(status.NodeId, status.ClientUrl is { Length: > 0 } url ? url : endpoint.ToString(), RoleName(status.Role),
                status.LeaderId is { Length: > 0 } leader ? leader : null, status.Ballot, status.DecidedSlot, status.AppliedSlot, lag, true, true, null)
            {
                Version = KnownVersion(status.Version),
            };

        public JsonObject ToJson() => new()
        {
            ["node_id"] = Id,
            ["client_url"] = ClientUrl,
            ["role"] = Role,
            ["leader_id"] = Leader,
            ["ballot"] = Ballot,
            ["decided_slot"] = Decided,
            ["applied_slot"] = Applied,
            ["lag"] = Lag,
            ["version"] = Version,
            ["reachable"] = Reachable,
            ["answered"] = Answered,
            ["error"] = Error,
        };
    }
}
