using ReplicatedKv.StateMachine.Backup;
using ReplicatedKv.Storage;
using ReplicatedKv.Transport;

namespace ReplicatedKv.Server.Restore;

/// <summary>
/// <c>rkv-server restore</c>: seeds one member's data directory of a NEW cluster from a backup file, offline, as
/// etcd's <c>snapshot restore</c> does. Run it once per member with the same file, the same <c>--peers</c> and the
/// same new <c>--cluster-id</c>, then start every member normally with those settings. Exit codes: 0 restored,
/// 1 refused (damaged file, data directory not empty, same cluster id, disk error), 2 usage.
/// </summary>
internal static class RestoreCommand
{
    public const int Restored = 0;
    public const int Refused = 1;
    public const int UsageError = 2;

    public const string Usage = """
        Usage: rkv-server restore --snapshot FILE --cluster-id NEW-ID --node-id ID --peers n1=URL,n2=URL,... [--data-dir DIR]

        Writes a data directory for one member of a new cluster from a backup taken by `rkvctl snapshot save`.
        Run it once for every member (same FILE, --peers and --cluster-id), then start the members normally with
        that --cluster-id and --peers. The cluster id must differ from the backed-up cluster's, so the two clusters
        can never exchange messages. The data directory must be absent or empty: nothing is overwritten.
        --cluster-id, --node-id, --peers and --data-dir also come from RKV_CLUSTER_ID, RKV_NODE_ID, RKV_PEERS and
        RKV_DATA_DIR, as for the server; --data-dir defaults to data/<node-id>.

        """;

    private static readonly string[] Flags = ["snapshot", "cluster-id", "node-id", "peers", "data-dir"];

    /// <summary>Runs the command line after <c>restore</c>; writes one line to <paramref name="stdout"/> or <paramref name="stderr"/>.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment, TextWriter stdout, TextWriter stderr,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Contains("--help") || args.Contains("-h"))
        {
            await stdout.WriteAsync(Usage).ConfigureAwait(false);
            return Restored;
        }

        RestoreRequest request;
        try
        {
            request = Parse(args, environment);
        }
        catch (FormatException ex)
        {
            await stderr.WriteLineAsync($"rkv-server restore: {ex.Message} (see rkv-server restore --help)").ConfigureAwait(false);
            return UsageError;
        }

        try
        {
            var header = await RestoreAsync(request, cancellationToken).ConfigureAwait(false);
            await stdout.WriteLineAsync(
                $"restored member {request.NodeId} of cluster '{request.ClusterId}' into {request.DataDir}: slot {header.AppliedSlot}, revision {header.Revision}, " +
                $"{header.KeyCount} keys (backed up from '{header.ClusterId}' on {header.NodeId}); start it with --cluster-id {request.ClusterId} and the same --peers")
                .ConfigureAwait(false);
            return Restored;
        }
        catch (Exception ex) when (ex is RestoreRefusedException or IOException or UnauthorizedAccessException or WalCorruptionException)
        {
            await stderr.WriteLineAsync($"rkv-server restore: {ex.Message.ReplaceLineEndings(" ")}").ConfigureAwait(false);
            return Refused;
        }
    }

    /// <summary>
    /// Verifies the backup (checksum and every entry), refuses a non-empty data directory or the backup's own cluster id,
    /// then writes the snapshot and a log that records it under the new cluster's identity. Returns the backup's header.
    /// </summary>
    public static async Task<BackupHeader> RestoreAsync(RestoreRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Directory.Exists(request.DataDir) && Directory.EnumerateFileSystemEntries(request.DataDir).Any())
        {
            throw new RestoreRefusedException($"data directory {request.DataDir} is not empty; restore only into a new, empty one (nothing was changed)");
        }

        if (File.Exists(request.DataDir))
        {
            throw new RestoreRefusedException($"{request.DataDir} is a file, not a data directory");
        }

        BackupHeader header;
        StateMachine.KeyValueStateMachine machine;
        try
        {
            header = BackupFile.Verify(request.SnapshotFile);
            machine = await BackupFile.RestoreAsync(request.SnapshotFile, cancellationToken).ConfigureAwait(false);
        }
        catch (BackupFileException ex)
        {
            throw new RestoreRefusedException($"{request.SnapshotFile}: {ex.Message}", ex);
        }

        if (string.Equals(header.ClusterId, request.ClusterId, StringComparison.Ordinal))
        {
            throw new RestoreRefusedException(
                $"--cluster-id '{request.ClusterId}' is the backed-up cluster's own id; give the restored cluster a new one, so it and the old cluster can never exchange messages");
        }

        var existed = Directory.Exists(request.DataDir);
        try
        {
            var options = new StorageOptions
            {
                DataDirectory = request.DataDir,
                Identity = WalIdentity.Of(request.ClusterId, request.NodeId),
                LostState = LostStatePolicy.Refuse,
            };
            var storage = NodeStorage.Open(options);
            await using (storage.ConfigureAwait(false))
            {
                // The same snapshot file and log marker a running node writes: the member starts as if it had taken it itself.
                await storage.SaveSnapshotAsync(machine.AppliedSlot, machine.WriteSnapshotAsync, cancellationToken).ConfigureAwait(false);
                storage.RecordSnapshot(machine.AppliedSlot);
            }
        }
        catch
        {
            RemoveWhatWasWritten(request.DataDir, existed);
            throw;
        }

        return header;
    }

    private static RestoreRequest Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new FormatException($"unexpected argument '{arg}'");
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? arg[2..] : arg[2..eq];
            if (!Flags.Contains(name))
            {
                throw new FormatException($"unknown flag --{name}");
            }

            flags[name] = eq >= 0 ? arg[(eq + 1)..] : i + 1 < args.Count ? args[++i] : throw new FormatException($"flag --{name} needs a value");
        }

        string Value(string name) =>
            flags.GetValueOrDefault(name) ?? (environment.GetValueOrDefault("RKV_" + name.Replace('-', '_').ToUpperInvariant()) is { Length: > 0 } env ? env : null)
            ?? throw new FormatException($"--{name} is required");

        var snapshot = flags.GetValueOrDefault("snapshot") ?? throw new FormatException("--snapshot FILE is required");
        var clusterId = Value("cluster-id");
        var nodeId = Value("node-id");
        var peers = Value("peers");

        // Only checked here (the data directory does not store the members): a typo should fail now, not at start.
        _ = ClusterMembers.Parse(clusterId, nodeId, peers);
        var dataDir = flags.GetValueOrDefault("data-dir") ?? (environment.GetValueOrDefault("RKV_DATA_DIR") is { Length: > 0 } d ? d : Path.Combine("data", nodeId));
        return new RestoreRequest(snapshot, clusterId, nodeId, peers, dataDir);
    }

    private static void RemoveWhatWasWritten(string dataDir, bool existed)
    {
        try
        {
            if (!existed)
            {
                Directory.Delete(dataDir, recursive: true);
                return;
            }

            foreach (var entry in Directory.EnumerateFileSystemEntries(dataDir))
            {
                if (Directory.Exists(entry))
                {
                    Directory.Delete(entry, recursive: true);
                }
                else
                {
                    File.Delete(entry);
                }
            }
        }
        catch (IOException)
        {
            // Best effort: the error that brought us here is the one to report.
        }
    }
}

/// <summary>What to restore, and where: one member of the new cluster.</summary>
internal sealed record RestoreRequest(string SnapshotFile, string ClusterId, string NodeId, string Peers, string DataDir);

/// <summary>A restore that would be unsafe or cannot work; nothing was left behind. The message is one line.</summary>
internal sealed class RestoreRefusedException(string message, Exception? inner = null) : Exception(message, inner);
