using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using ReplicatedKv.Client;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Cli;

/// <summary>
/// <c>rkvctl list [PREFIX] [--from K --to K] [--limit N] [--keys-only]</c>: keys in UTF-8 byte order, fetched page by
/// page as they are printed. Text: one key per line, or key, a tab and the value as UTF-8 text. JSON: one document
/// whose <c>entries</c> array is written as the pages arrive, so a long listing is never held in memory.
/// </summary>
internal static class ListCommand
{
    private const int PageSize = 1000;

    public static Command Create(CliContext context)
    {
        var prefix = new Argument<string?>("PREFIX") { Description = "List keys starting with this (default: every key)", Arity = ArgumentArity.ZeroOrOne };
        var from = new Option<string?>("--from") { Description = "First key of a range (inclusive); not with PREFIX" };
        var to = new Option<string?>("--to") { Description = "End of a range (exclusive); not with PREFIX" };
        var limit = new Option<int?>("--limit") { Description = "Print at most this many keys (default: all)" };
        var keysOnly = new Option<bool>("--keys-only") { Description = "Print keys without values" };
        var serializable = new Option<bool>("--serializable") { Description = "Read the contacted replica's applied state (may be stale) instead of linearizable pages" };
        var command = new Command("list", "List keys in byte order, by prefix or range (pages are fetched as needed)") { prefix, from, to, limit, keysOnly, serializable };
        command.Aliases.Add("ls");
        command.Validators.Add(result =>
        {
            if (result.GetValue(prefix) is { Length: > 0 } && (result.GetValue(from) is not null || result.GetValue(to) is not null))
            {
                result.AddError("list: give a PREFIX or a range (--from, --to), not both");
            }

            if (result.GetValue(limit) is < 1)
            {
                result.AddError("list: --limit must be at least 1");
            }
        });
        command.SetAction(async (parsed, ct) =>
        {
            var most = parsed.GetValue(limit) ?? int.MaxValue;
            var options = new KvListOptions
            {
                Prefix = parsed.GetValue(prefix) ?? string.Empty,
                Start = parsed.GetValue(from) ?? string.Empty,
                End = parsed.GetValue(to) ?? string.Empty,
                PageSize = Math.Min(most, PageSize),
                KeysOnly = parsed.GetValue(keysOnly),
                Consistency = parsed.GetValue(serializable) ? ReadConsistency.Serializable : ReadConsistency.Linearizable,
            };
            await using var client = Commands.Client(parsed);
            var json = Commands.Json(parsed);
            if (json)
            {
                await context.Out.WriteAsync("{\"entries\":[");
            }

            var count = 0;
            var more = false;
            await foreach (var entry in client.ListAllAsync(options, cancellationToken: ct))
            {
                if (count == most)
                {
                    more = true;
                    break;
                }

                await (json ? WriteJsonEntryAsync(context.Out, entry, options.KeysOnly, first: count == 0) : WriteTextEntryAsync(context.Out, entry, options.KeysOnly));
                count++;
            }

            if (json)
            {
                await context.Out.WriteLineAsync($"],\"count\":{count},\"more\":{(more ? "true" : "false")}}}");
            }
            else if (more)
            {
                await context.Error.WriteLineAsync($"rkvctl: stopped at --limit {most}; more keys follow");
            }

            return Program.Success;
        });
        return command;
    }

    private static Task WriteTextEntryAsync(TextWriter output, KvEntry entry, bool keysOnly) =>
        output.WriteLineAsync(keysOnly ? entry.Key : entry.Key + "\t" + Encoding.UTF8.GetString(entry.Value.Span));

    private static Task WriteJsonEntryAsync(TextWriter output, KvEntry entry, bool keysOnly, bool first)
    {
        var node = new JsonObject { ["key"] = entry.Key };
        if (!keysOnly)
        {
            node["value_base64"] = Convert.ToBase64String(entry.Value.Span);
        }

        node["revision"] = entry.Revision;
        node["create_revision"] = entry.CreateRevision;
        node["version"] = entry.Version;
        return output.WriteAsync((first ? "" : ",") + node.ToJsonString());
    }
}
