using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ReplicatedKv.Client;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Cli;

/// <summary>
/// <c>rkvctl member add | promote | remove | replace</c>: membership changes, sent to the leader one at a time. Each
/// prints the new configuration. Exit 3 with the leader's reason when a change is refused (another change pending, a
/// removal that would leave too few voters, a member still lagging, an unknown or existing id); 4 when no leader
/// answers, or when a change got no answer and may or may not be applied (see <c>member list</c>).
/// </summary>
internal static partial class MemberChangeCommands
{
    private const string ExistingClusterHint = "--initial-cluster-state existing";

    public static void AddTo(Command member, CliContext context)
    {
        member.Subcommands.Add(AddCommand(context));
        member.Subcommands.Add(PromoteCommand(context));
        member.Subcommands.Add(RemoveCommand(context));
        member.Subcommands.Add(ReplaceCommand(context));
    }

    private static Argument<string> IdArgument(string name, string description) => new(name) { Description = description };

    private static Option<string> UrlOption(string name, string description) => new(name) { Description = description, Required = true };

    private static Command AddCommand(CliContext context)
    {
        var id = IdArgument("ID", "Node id of the new member, as its --node-id (1-64 letters, digits, '-', '_' or '.')");
        var peerUrl = UrlOption("--peer-url", "Where the other members reach its peer port, e.g. http://10.0.0.4:7101");
        var clientUrl = UrlOption("--client-url", "Where clients reach it, e.g. http://10.0.0.4:7001");
        var learner = new Option<bool>("--learner") { Description = "Stay a learner until 'member promote' (default: promoted automatically once caught up)" };
        var command = new Command("add",
            "Add a member; it starts empty as a learner and becomes a voter once caught up (unless --learner). Then start its server with "
            + ExistingClusterHint + " and an empty data directory. Exit 3 if refused") { id, peerUrl, clientUrl, learner };
        command.SetAction(async (parsed, ct) =>
        {
            var (name, peer, client) = (NodeId(parsed.GetRequiredValue(id)), Url(parsed, peerUrl), Url(parsed, clientUrl));
            await using var kv = Commands.Client(parsed);
            var answer = await kv.AddMemberAsync(name, peer, client, parsed.GetValue(learner), Commands.Timeout(parsed), ct);
            var next = parsed.GetValue(learner) ? $"promote it with 'rkvctl member promote {name}' once it has caught up" : "it becomes a voter once caught up";
            return await ReportAsync(context, parsed, $"added {name} as a learner; {next}", answer, startHintFor: name);
        });
        return command;
    }

    private static Command PromoteCommand(CliContext context)
    {
        var id = IdArgument("ID", "Node id of the learner to make a voter");
        var command = new Command("promote", "Make a learner a voter (exit 3 with the reason while it still lags)") { id };
        command.SetAction(async (parsed, ct) =>
        {
            var name = NodeId(parsed.GetRequiredValue(id));
            await using var kv = Commands.Client(parsed);
            var answer = await kv.PromoteMemberAsync(name, Commands.Timeout(parsed), ct);
            return await ReportAsync(context, parsed, $"promoted {name} to voter", answer);
        });
        return command;
    }

    private static Command RemoveCommand(CliContext context)
    {
        var id = IdArgument("ID", "Node id of the member to remove");
        var command = new Command("remove",
            "Remove a member (the leader too: it hands leadership to the most up-to-date remaining voter). Exit 3 if it would leave too few voters to run") { id };
        command.Aliases.Add("rm");
        command.SetAction(async (parsed, ct) =>
        {
            var name = NodeId(parsed.GetRequiredValue(id));
            await using var kv = Commands.Client(parsed);
            var answer = await kv.RemoveMemberAsync(name, Commands.Timeout(parsed), ct);
            return await ReportAsync(context, parsed, $"removed {name}; stop its server and delete its data directory", answer);
        });
        return command;
    }

    private static Command ReplaceCommand(CliContext context)
    {
        var old = IdArgument("OLD", "Node id of the member to retire (it may be down)");
        var id = IdArgument("NEW", "Node id of the member that takes its place (a new id, empty data directory)");
        var peerUrl = UrlOption("--peer-url", "The new member's peer URL");
        var clientUrl = UrlOption("--client-url", "The new member's client URL");
        var command = new Command("replace",
            "Replace a member by a new one at a new address: remove OLD, then add NEW (promoted once caught up). "
            + "If the add fails after the removal, says so and exits non-zero; finish with 'member add'") { old, id, peerUrl, clientUrl };
        command.SetAction(async (parsed, ct) =>
        {
            var (retired, name) = (NodeId(parsed.GetRequiredValue(old)), NodeId(parsed.GetRequiredValue(id)));
            var (peer, client) = (Url(parsed, peerUrl), Url(parsed, clientUrl));
            if (retired == name)
            {
                throw new UsageException("replace: OLD and NEW must differ (a node that keeps its id rejoins by itself after losing its disk)");
            }

            var timeout = Commands.Timeout(parsed);
            await using var kv = Commands.Client(parsed);
            await kv.RemoveMemberAsync(retired, timeout, ct);
            await context.Out.WriteLineAsync($"removed {retired}");
            MemberChangeResponse answer;
            try
            {
                answer = await AddAfterRemovalAsync(kv, Commands.ParseEndpoints(parsed), name, peer, client, timeout, ct);
            }
            catch (KvException ex)
            {
                var finish = $"rkvctl member add {name} --peer-url {Shown(peer)} --client-url {Shown(client)}";
                var code = await Program.FailAsync(context.Error, $"replace half done: {retired} was removed, but adding {name} failed: {ex.Message}; finish with: {finish}",
                    ex is ClusterUnavailableException or WriteOutcomeUnknownException ? Program.Unavailable : Program.PreconditionFailed);
                return code;
            }

            return await ReportAsync(context, parsed, $"added {name} as a learner in place of {retired}; it becomes a voter once caught up", answer, startHintFor: name);
        });
        return command;
    }

    /// <summary>
    /// The add of a replace, right after the removal: the removal may not govern yet (a change pending), or the
    /// leader may be handing over after removing itself. Both are refusals or a missing leader, which left nothing
    /// changed, so the add is asked again until the deadline. An add whose outcome is unknown (the old leader
    /// answered UNAVAILABLE on its way out, or nobody answered) is looked up in the member list: done if NEW is
    /// there, asked again if it is not.
    /// </summary>
    private static async Task<MemberChangeResponse> AddAfterRemovalAsync(KvClient kv, IReadOnlyList<Uri> endpoints, string name, Uri peer, Uri client,
        TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        var pause = TimeSpan.FromMilliseconds(100);
        var outcomeUnknown = false;
        while (true)
        {
            try
            {
                return await kv.AddMemberAsync(name, peer, client, learner: false, deadline - DateTime.UtcNow, ct);
            }
            catch (KvException ex) when (ex is MemberChangeRefusedException or ClusterUnavailableException or WriteOutcomeUnknownException
                || (ex is MemberExistsException && outcomeUnknown))
            {
                // Already a member after an add whose outcome was unknown: that add went through; wait until it governs.
                outcomeUnknown |= ex is WriteOutcomeUnknownException;
                if (DateTime.UtcNow + pause >= deadline)
                {
                    throw;
                }

                await Task.Delay(pause, ct);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
                if (outcomeUnknown && await ConfigurationListingAsync(kv, endpoints, name, ct) is { } done)
                {
                    return done;
                }
            }
        }
    }

    // The leader's configuration if it lists the member (the add went through after all), else null.
    private static async Task<MemberChangeResponse?> ConfigurationListingAsync(KvClient kv, IReadOnlyList<Uri> endpoints, string name, CancellationToken ct)
    {
        StatusResponse status;
        try
        {
            status = await MemberCommand.LeaderOrAnyStatusAsync(kv, endpoints, TimeSpan.FromSeconds(2), ct);
        }
        catch (KvException)
        {
            return null;
        }

        var members = status.Peers.Select(p => new ConfigurationMember { NodeId = p.NodeId, PeerUrl = p.PeerUrl, ClientUrl = p.ClientUrl, Role = p.MemberRole })
            .Prepend(new ConfigurationMember { NodeId = status.NodeId, PeerUrl = status.PeerUrl, ClientUrl = status.ClientUrl, Role = status.MemberRole })
            .Where(m => m.Role != MemberRole.None).ToList();
        if (status.Role != NodeRole.Leader || !members.Any(m => m.NodeId == name))
        {
            return null;
        }

        var answer = new MemberChangeResponse { ConfigurationSlot = status.ConfigurationSlot, ConfigurationEffectiveSlot = status.ConfigurationEffectiveSlot };
        answer.Members.AddRange(members);
        return answer;
    }

    private static async Task<int> ReportAsync(CliContext context, ParseResult parsed, string done, MemberChangeResponse answer, string? startHintFor = null)
    {
        if (Commands.Json(parsed))
        {
            await Commands.WriteJsonAsync(context.Out, new JsonObject
            {
                ["configuration_slot"] = answer.ConfigurationSlot,
                ["configuration_effective_slot"] = answer.ConfigurationEffectiveSlot,
                ["members"] = new JsonArray([.. answer.Members.OrderBy(m => m.NodeId, StringComparer.Ordinal).Select(m => (JsonNode)new JsonObject
                {
                    ["id"] = m.NodeId,
                    ["peer_url"] = m.PeerUrl,
                    ["client_url"] = m.ClientUrl,
                    ["role"] = MemberCommand.RoleName(m.Role),
                })]),
            });
            return Program.Success;
        }

        await context.Out.WriteLineAsync($"{done} (configuration decided at slot {answer.ConfigurationSlot}, governs from slot {answer.ConfigurationEffectiveSlot})");
        await context.Out.WriteAsync(MemberCommand.Table([.. answer.Members.OrderBy(m => m.NodeId, StringComparer.Ordinal)
            .Select(m => new MemberCommand.Row(m.NodeId, m.PeerUrl, m.ClientUrl, MemberCommand.RoleName(m.Role), null))]));
        if (startHintFor is not null)
        {
            await context.Out.WriteLineAsync(StartHint(startHintFor, answer));
        }

        return Program.Success;
    }

    /// <summary>The flags the new member's server needs, as etcd prints ETCD_INITIAL_CLUSTER after a member add.</summary>
    internal static string StartHint(string name, MemberChangeResponse answer)
    {
        var members = answer.Members.OrderBy(m => m.NodeId, StringComparer.Ordinal).ToList();
        var peers = string.Join(',', members.Select(m => $"{m.NodeId}={m.PeerUrl}"));
        var clients = string.Join(',', members.Where(m => m.ClientUrl.Length > 0).Select(m => $"{m.NodeId}={m.ClientUrl}"));
        return $"start {name} with an empty data directory: rkv-server --node-id {name} --peers {peers} --member-client-urls {clients} {ExistingClusterHint}";
    }

    private static string Shown(Uri url) => url.AbsolutePath == "/" ? url.GetLeftPart(UriPartial.Authority) : url.ToString();

    private static string NodeId(string value) => ValidId().IsMatch(value)
        ? value
        : throw new UsageException($"'{value}' is not a node id (1-64 letters, digits, '-', '_' or '.', as --node-id takes it)");

    private static Uri Url(ParseResult parsed, Option<string> option)
    {
        var text = parsed.GetRequiredValue(option);
        return Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps) && url.Port > 0
            ? url
            : throw new UsageException($"{option.Name}: '{text}' is not an http(s) URL with a host and port");
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex ValidId();
}
