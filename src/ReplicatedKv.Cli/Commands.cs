using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ReplicatedKv.Client;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Cli;

/// <summary>The command tree and the options every command shares.</summary>
internal static class Commands
{
    public const string DefaultEndpoint = "http://127.0.0.1:7001";
    private const string EndpointsName = "--endpoints";
    private const string TimeoutName = "--timeout";
    private const string OutputName = "--output";
    private const string DialTimeoutName = "--dial-timeout";
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DefaultDialTimeout = TimeSpan.FromSeconds(2);

    public static RootCommand Build(CliContext context)
    {
        var root = new RootCommand("rkvctl: command-line client of a ReplicatedKv cluster");
        // Fresh options per command tree (a symbol records its parents), read back by name.
        root.Options.Add(new Option<string>(EndpointsName)
        {
            Description = "Comma-separated client URLs of cluster members (default: $RKV_ENDPOINTS, else " + DefaultEndpoint + ")",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("RKV_ENDPOINTS") is { Length: > 0 } env ? env : DefaultEndpoint,
        });
        root.Options.Add(DurationOption(TimeoutName, "Deadline of each request, retries included (e.g. 500ms, 5s)", DefaultTimeout, recursive: true));
        root.Options.Add(DurationOption(DialTimeoutName, "Give up this soon when no endpoint accepts a connection (refused or silent)", DefaultDialTimeout, recursive: true));
        root.Options.Add(CreateOutput());
        TlsOptions.AddTo(root);
        root.Subcommands.Add(GetCommand(context));
        root.Subcommands.Add(SetCommand(context));
        root.Subcommands.Add(RemoveCommand(context));
        root.Subcommands.Add(ContainsCommand(context));
        root.Subcommands.Add(ListCommand.Create(context));
        root.Subcommands.Add(SnapshotCommands.Create(context));
        root.Subcommands.Add(StatusCommand.Create(context));
        root.Subcommands.Add(HealthCommand.Create(context));
        root.Subcommands.Add(CheckCommand.Create(context));
        root.Subcommands.Add(LeaderCommand.Create(context));
        root.Subcommands.Add(MemberCommand.Create(context));
        root.Subcommands.Add(BenchCommand.Create(context));
        root.Subcommands.Add(VersionCommand.Create(context));
        return root;
    }

    /// <summary>
    /// A duration option. Its default is written into the description as a person would (<c>10s</c>), and the
    /// option itself has none (help would print a TimeSpan as 00:00:10): read it with Duration.
    /// </summary>
    public static Option<TimeSpan?> DurationOption(string name, string description, TimeSpan defaultValue, bool recursive = false) => new(name)
    {
        Description = $"{description} [default: {Durations.Format(defaultValue)}]",
        Recursive = recursive,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Durations.TryParse(text, out var value))
            {
                return value;
            }

            result.AddError($"{name}: '{text}' is not a duration (e.g. 500ms, 5s, 2m)");
            return null;
        },
    };

    public static TimeSpan Duration(ParseResult parsed, string name, TimeSpan defaultValue) => parsed.GetValue<TimeSpan?>(name) ?? defaultValue;

    public static TimeSpan Duration(ParseResult parsed, Option<TimeSpan?> option, TimeSpan defaultValue) => parsed.GetValue(option) ?? defaultValue;

    /// <summary>A whole-number option whose bad value is named in words (<c>--if-version: 'abc' is not a number</c>).</summary>
    public static Option<ulong?> NumberOption(string name, string alias, string description) => new(name, alias)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }

            result.AddError($"{NameAsTyped(result, name)}: '{text}' is not a number");
            return null;
        },
    };

    // The spelling the user typed (an alias such as --if-version), so the message names what they wrote.
    private static string NameAsTyped(System.CommandLine.Parsing.ArgumentResult result, string name) =>
        result.Parent is System.CommandLine.Parsing.OptionResult { IdentifierToken: { } token } ? token.Value : name;

    public static bool Json(ParseResult parsed) => parsed.GetValue<string>(OutputName) == "json";

    public static TimeSpan Timeout(ParseResult parsed) => Duration(parsed, TimeoutName, DefaultTimeout);

    public static TimeSpan DialTimeout(ParseResult parsed) => Duration(parsed, DialTimeoutName, DefaultDialTimeout);

    public static IReadOnlyList<Uri> ParseEndpoints(ParseResult parsed)
    {
        var text = parsed.GetValue<string>(EndpointsName) ?? DefaultEndpoint;
        var urls = new List<Uri>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var withScheme = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                throw new UsageException($"--endpoints: '{part}' is not an http(s) URL");
            }

            urls.Add(url);
        }

        return urls.Count > 0 ? urls : throw new UsageException("--endpoints: no endpoint given");
    }

    public static KvClient Client(ParseResult parsed) =>
        new(TlsOptions.Apply(parsed, new KvClientOptions { Endpoints = ParseEndpoints(parsed), DefaultTimeout = Timeout(parsed), DialTimeout = DialTimeout(parsed), ConnectionsPerEndpoint = 1 }));

    public static Task WriteJsonAsync(TextWriter output, JsonNode node) => output.WriteLineAsync(node.ToJsonString());

    private static Option<string> CreateOutput()
    {
        var option = new Option<string>(OutputName, "-o")
        {
            Description = "Output format",
            Recursive = true,
            DefaultValueFactory = _ => "text",
        };
        option.AcceptOnlyFromAmong("text", "json");
        return option;
    }

    private static Argument<string> KeyArgument() => new("KEY") { Description = "The key" };

    // --if-version is the name from before keys had their own version; it still means the modification revision.
    private static Option<ulong?> IfRevisionOption(string description) => NumberOption("--if-revision", "--if-version", description);

    private static Command GetCommand(CliContext context)
    {
        var key = KeyArgument();
        var serializable = new Option<bool>("--serializable") { Description = "Read the contacted replica's applied state (may be stale) instead of a linearizable read" };
        var command = new Command("get", "Write a key's value, its exact bytes (a newline follows only on a terminal); exit 1 if absent") { key, serializable };
        command.SetAction(async (parsed, ct) =>
        {
            var name = parsed.GetRequiredValue(key);
            await using var client = Client(parsed);
            var consistency = parsed.GetValue(serializable) ? ReadConsistency.Serializable : ReadConsistency.Linearizable;
            var value = await client.GetAsync(name, consistency, cancellationToken: ct);
            if (Json(parsed))
            {
                var node = new JsonObject { ["key"] = name, ["found"] = value.HasValue };
                if (value is { } v)
                {
                    node["value_base64"] = Convert.ToBase64String(v.Value.Span);
                    node["revision"] = v.Revision;
                    node["create_revision"] = v.CreateRevision;
                    node["version"] = v.Version;
                }

                await WriteJsonAsync(context.Out, node);
                return value.HasValue ? Program.Success : Program.NotFound;
            }

            if (value is not { } found)
            {
                return await Program.FailAsync(context.Error, $"{name}: not found", Program.NotFound);
            }

            await WriteValueAsync(context, found.Value, ct);
            return Program.Success;
        });
        return command;
    }

    private static Command SetCommand(CliContext context)
    {
        var key = KeyArgument();
        var value = new Argument<string?>("VALUE") { Description = "The value as UTF-8 text, or - to read it (binary) from stdin", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<FileInfo?>("--file", "-f") { Description = "Read the value (binary) from this file" };
        var ifVersion = IfRevisionOption("Set only if the key's modification revision is this (0: only if absent); exit 3 otherwise");
        var requestId = new Option<string?>("--request-id")
        {
            Description = "Send the write under this id (CLIENT:SEQUENCE), to retry one whose outcome was unknown: it is applied at most once",
        };
        var command = new Command("set", "Set a key; prints the revision of the write") { key, value, file, ifVersion, requestId };
        command.Validators.Add(result =>
        {
            var hasValue = result.GetValue(value) is not null;
            var hasFile = result.GetValue(file) is not null;
            if (hasValue == hasFile)
            {
                result.AddError("set: give exactly one of VALUE, - (stdin) or --file");
            }

            if (result.GetValue(requestId) is { } id && !RequestIds.TryParse(id, out _))
            {
                result.AddError($"--request-id: '{id}' is not CLIENT:SEQUENCE (e.g. {RequestIds.Example})");
            }
        });
        command.SetAction(async (parsed, ct) =>
        {
            var name = parsed.GetRequiredValue(key);
            var bytes = await ReadValueAsync(context, parsed.GetValue(value), parsed.GetValue(file), ct);
            await using var client = Client(parsed);
            // rkvctl always picks the id itself, so an unknown outcome can name the id to retry with.
            var given = parsed.GetValue(requestId);
            var id = given is not null && RequestIds.TryParse(given, out var parsedId) ? parsedId : RequestIds.New();
            ulong revision;
            try
            {
                revision = await client.SetWithRequestIdAsync(name, bytes, id, parsed.GetValue(ifVersion), cancellationToken: ct);
            }
            catch (WriteOutcomeUnknownException ex)
            {
                throw new WriteOutcomeUnknownException($"{ex.Message}; to retry it without applying it twice, repeat the command with --request-id {RequestIds.Format(id)}", ex);
            }

            if (Json(parsed))
            {
                await WriteJsonAsync(context.Out, new JsonObject { ["key"] = name, ["revision"] = revision });
            }
            else
            {
                await context.Out.WriteLineAsync(revision.ToString(CultureInfo.InvariantCulture));
            }

            return Program.Success;
        });
        return command;
    }

    /// <summary>
    /// A value as it was stored: on a real stdout its exact bytes, so <c>get k &gt; f</c> gives back what
    /// <c>set k --file f</c> stored, plus a newline only on a terminal (where the prompt would otherwise follow
    /// the value on its line). Without a byte stream (in-process runs) it is UTF-8 text and a newline.
    /// </summary>
    private static async Task WriteValueAsync(CliContext context, ReadOnlyMemory<byte> value, CancellationToken ct)
    {
        if (context.RawOut is not { } raw)
        {
            await context.Out.WriteLineAsync(Encoding.UTF8.GetString(value.Span));
            return;
        }

        await context.Out.FlushAsync(ct);
        await raw.WriteAsync(value, ct);
        if (context.OutIsTerminal)
        {
            await raw.WriteAsync("\n"u8.ToArray(), ct);
        }

        await raw.FlushAsync(ct);
    }

    private static async Task<byte[]> ReadValueAsync(CliContext context, string? value, FileInfo? file, CancellationToken ct)
    {
        if (file is not null)
        {
            return await File.ReadAllBytesAsync(file.FullName, ct);
        }

        if (value == "-")
        {
            var buffer = new MemoryStream();
            if (context.Stdin is { } input)
            {
                await input.CopyToAsync(buffer, ct);
            }
            else
            {
                await using var stdin = Console.OpenStandardInput();
                await stdin.CopyToAsync(buffer, ct);
            }

            return buffer.ToArray();
        }

        return Encoding.UTF8.GetBytes(value ?? "");
    }

    private static Command RemoveCommand(CliContext context)
    {
        var key = KeyArgument();
        var ifVersion = IfRevisionOption("Remove only if the key's modification revision is this; exit 3 otherwise");
        var command = new Command("remove", "Remove a key; prints the revision of the removal (exit 1 if absent)") { key, ifVersion };
        command.Aliases.Add("rm");
        command.SetAction(async (parsed, ct) =>
        {
            var name = parsed.GetRequiredValue(key);
            await using var client = Client(parsed);
            var result = await client.RemoveAsync(name, parsed.GetValue(ifVersion), cancellationToken: ct);
            if (Json(parsed))
            {
                await WriteJsonAsync(context.Out, new JsonObject { ["key"] = name, ["removed"] = result.Removed, ["revision"] = result.Revision });
                return result.Removed ? Program.Success : Program.NotFound;
            }

            if (!result.Removed)
            {
                return await Program.FailAsync(context.Error, $"{name}: not found", Program.NotFound);
            }

            await context.Out.WriteLineAsync(result.Revision.ToString(CultureInfo.InvariantCulture));
            return Program.Success;
        });
        return command;
    }

    private static Command ContainsCommand(CliContext context)
    {
        var key = KeyArgument();
        var serializable = new Option<bool>("--serializable") { Description = "Ask the contacted replica's applied state (may be stale)" };
        var command = new Command("contains", "Print whether a key exists (exit 0 if it does, 1 if not)") { key, serializable };
        command.SetAction(async (parsed, ct) =>
        {
            var name = parsed.GetRequiredValue(key);
            await using var client = Client(parsed);
            var consistency = parsed.GetValue(serializable) ? ReadConsistency.Serializable : ReadConsistency.Linearizable;
            var found = await client.ContainsAsync(name, consistency, cancellationToken: ct);
            if (Json(parsed))
            {
                await WriteJsonAsync(context.Out, new JsonObject { ["key"] = name, ["found"] = found });
            }
            else
            {
                await context.Out.WriteLineAsync(found ? "true" : "false");
            }

            return found ? Program.Success : Program.NotFound;
        });
        return command;
    }
}
