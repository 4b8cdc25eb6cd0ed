using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ReplicatedKv.StateMachine.Backup;

namespace ReplicatedKv.Cli;

/// <summary>
/// <c>rkvctl snapshot save FILE [--endpoint URL]</c> and <c>rkvctl snapshot status FILE</c>: backups of a running
/// cluster. Restoring one is offline and belongs to the server: <c>rkv-server restore</c> (see deploy/README.md).
/// </summary>
internal static class SnapshotCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("snapshot", "Back up a node's state to a file (save) and check a backup file (status); restore with rkv-server restore");
        command.Subcommands.Add(SaveCommand(context));
        command.Subcommands.Add(StatusCommand(context));
        return command;
    }

    private static Command SaveCommand(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "Where to write the backup (replaced only once a complete, verified one has arrived)" };
        var endpoint = new Option<string?>("--endpoint") { Description = "Client URL of the node to back up (default: the leader, found through --endpoints)" };
        var command = new Command("save", "Stream a consistent snapshot of one node's applied state into FILE, verifying its checksum (exit 5 if it arrived damaged)")
        {
            file, endpoint,
        };
        command.SetAction(async (parsed, ct) =>
        {
            var path = Path.GetFullPath(parsed.GetRequiredValue(file));
            var source = parsed.GetValue(endpoint) is { } text ? ParseUrl(text) : null;
            await using var client = Commands.Client(parsed);

            // Written beside FILE and renamed over it only once verified: a damaged or cut transfer leaves no FILE behind.
            var partial = $"{path}.{Guid.NewGuid():N}.part";
            BackupHeader header;
            try
            {
                var stream = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
                await using (stream)
                {
                    await client.SaveSnapshotAsync(stream, source, Commands.Timeout(parsed), ct);
                    await stream.FlushAsync(ct);
                    stream.Flush(flushToDisk: true);
                }

                header = BackupFile.Verify(partial);
                File.Move(partial, path, overwrite: true);
            }
            catch (BackupFileException ex)
            {
                return await FailAsync(context, $"the snapshot arrived damaged ({ex.Message}); {path} was not written");
            }
            finally
            {
                File.Delete(partial);
            }

            var size = new FileInfo(path).Length;
            if (Commands.Json(parsed))
            {
                var json = HeaderJson(path, header, size);
                json["checksum"] = "ok";
                await Commands.WriteJsonAsync(context.Out, json);
            }
            else
            {
                await context.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"saved {path}: cluster {header.ClusterId}, from {header.NodeId}, slot {header.AppliedSlot}, revision {header.Revision}, {header.KeyCount} keys, {size} bytes, checksum ok"));
            }

            return Program.Success;
        });
        return command;
    }

    private static Command StatusCommand(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "A backup file written by snapshot save" };
        var command = new Command("status", "Check a backup file (checksum and every entry) and show its cluster id, slot, revision, keys, size and state hash (exit 1 if damaged)")
        {
            file,
        };
        command.SetAction(async (parsed, ct) =>
        {
            var path = parsed.GetRequiredValue(file);
            BackupSummary summary;
            try
            {
                summary = await BackupFile.InspectAsync(path, ct);
            }
            catch (Exception ex) when (ex is BackupFileException or IOException or UnauthorizedAccessException)
            {
                await context.Error.WriteLineAsync($"rkvctl: {path}: {Program.OneLine(ex.Message)}");
                return Program.NotFound;
            }

            var header = summary.Header;
            if (Commands.Json(parsed))
            {
                var json = HeaderJson(path, header, summary.SizeBytes);
                json["state_hash"] = summary.StateHash;
                json["checksum"] = "ok";
                await Commands.WriteJsonAsync(context.Out, json);
                return Program.Success;
            }

            string[][] rows =
            [
                ["file", path],
                ["cluster id", header.ClusterId],
                ["taken on", header.NodeId],
                ["created", header.Created.ToString("u", CultureInfo.InvariantCulture)],
                ["slot", header.AppliedSlot.ToString(CultureInfo.InvariantCulture)],
                ["revision", header.Revision.ToString(CultureInfo.InvariantCulture)],
                ["keys", summary.Keys.ToString(CultureInfo.InvariantCulture)],
                ["size", summary.SizeBytes.ToString(CultureInfo.InvariantCulture) + " bytes"],
                ["state hash", summary.StateHash],
                ["checksum", "ok"],
            ];
            foreach (var row in rows)
            {
                await context.Out.WriteLineAsync($"{row[0],-11}{row[1]}");
            }

            return Program.Success;
        });
        return command;
    }

    private static JsonObject HeaderJson(string path, BackupHeader header, long size) => new()
    {
        ["file"] = path,
        ["cluster_id"] = header.ClusterId,
        ["node_id"] = header.NodeId,
        ["created"] = header.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ["slot"] = header.AppliedSlot,
        ["revision"] = header.Revision,
        ["keys"] = header.KeyCount,
        ["size"] = size,
    };

    private static Uri ParseUrl(string text)
    {
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
        return Uri.TryCreate(withScheme, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            ? url
            : throw new UsageException($"--endpoint: '{text}' is not an http(s) URL");
    }

    private static async Task<int> FailAsync(CliContext context, string message)
    {
        await context.Error.WriteLineAsync("rkvctl: " + Program.OneLine(message));
        return Program.OtherError;
    }
}
