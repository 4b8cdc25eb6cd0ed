using System.Globalization;
using System.Text;
using ReplicatedKv.Transport;

namespace ReplicatedKv.Server.Settings;

/// <summary>
/// Reads <see cref="ServerSettings"/> from three places, later ones winning: <c>appsettings.json</c> (section
/// <c>ReplicatedKv</c>, keys like <c>NodeId</c>), environment variables (<c>RKV_NODE_ID</c>), and command-line flags
/// (<c>--node-id n1</c> or <c>--node-id=n1</c>). Every setting has all three names, derived from the flag.
/// </summary>
public static partial class SettingsLoader
{
    private static readonly string[] Names =
    [
        "node-id", "client-url", "peer-url", "peers", "data-dir", "cluster-id", "advertise-client-url", "admin-url",
        "initial-cluster-state", "tick-interval", "max-message-age", "election-ticks", "heartbeat-ticks", "window", "max-batch-commands",
        "max-batch-bytes", "max-key-bytes", "max-value-bytes", "max-pending-requests", "request-timeout",
        "snapshot-every-entries", "snapshot-every-bytes", "catch-up-entries", "segment-bytes", "log-format", "log-level", "shutdown-timeout",
        "max-client-connections", "max-peer-connections", "idle-connection-timeout", "request-headers-timeout", "stall-timeout", "max-promotion-lag", "min-threads", "config",
        "member-client-urls", "peer-secret-file",
        "cert-file", "key-file", "trusted-ca-file", "client-cert-auth", "peer-cert-file", "peer-key-file", "peer-trusted-ca-file", "auth-token-file",
    ];

    public static string Usage { get; } = BuildUsage();

    /// <summary>Throws <see cref="InvalidSettingException"/> naming the first bad setting.</summary>
    public static ServerSettings Load(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment, string? workingDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        var flags = ParseFlags(args);
        var configFile = flags.GetValueOrDefault("config") ?? environment.GetValueOrDefault("RKV_CONFIG");
        var json = ReadJson(configFile, workingDirectory ?? Directory.GetCurrentDirectory());
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            var value = flags.GetValueOrDefault(name) ?? environment.GetValueOrDefault(EnvName(name)) ?? json?[JsonKey(name)];
            if (value is not null)
            {
                values[name] = value;
            }
        }

        var settings = Build(new Reader(values));
        return settings with { PeerSecret = PeerSecretSource.Read(values.GetValueOrDefault("peer-secret-file"), environment, workingDirectory) };
    }

    public static string EnvName(string flag) => "RKV_" + flag.Replace('-', '_').ToUpperInvariant();

    public static string JsonKey(string flag) =>
        string.Concat(flag.Split('-').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));

    private static ServerSettings Build(Reader r)
    {
        var nodeId = r.Required("node-id");
        if (!ClusterMembers.IsValidName(nodeId))
        {
            throw Reader.Invalid("node-id", "must be 1-64 letters, digits, '-', '_' or '.'");
        }

        var clientUrl = r.Url("client-url", "http://127.0.0.1:7001");
        var peerUrl = r.Url("peer-url", "http://127.0.0.1:7101");
        if (clientUrl.Port == peerUrl.Port && clientUrl.Port != 0)
        {
            throw Reader.Invalid("peer-url", $"port {peerUrl.Port} is also the client port; clients and peers listen apart");
        }

        var peers = r.Required("peers");
        var clusterId = r.Text("cluster-id", "replicatedkv");
        ClusterMembers members;
        try
        {
            members = ClusterMembers.Parse(clusterId, nodeId, peers);
        }
        catch (FormatException ex)
        {
            throw Reader.Invalid("peers", ex.Message);
        }

        var memberClientUrls = r.Has("member-client-urls") ? r.Text("member-client-urls", "") : null;
        try
        {
            _ = ClusterMembers.Parse(clusterId, nodeId, peers, memberClientUrls);
        }
        catch (FormatException ex)
        {
            throw Reader.Invalid("member-client-urls", ex.Message);
        }

        var settings = new ServerSettings
        {
            NodeId = nodeId,
            ClientUrl = clientUrl,
            PeerUrl = peerUrl,
            Peers = peers,
            ClusterId = clusterId,
            MemberClientUrls = memberClientUrls,
            DataDir = r.Text("data-dir", Path.Combine("data", nodeId)),
            AdvertiseClientUrl = r.Text("advertise-client-url", DefaultAdvertised(clientUrl)),
            AdminUrl = r.Has("admin-url") ? r.Url("admin-url", "", httpsAllowed: false) : null,
            InitialClusterState = r.Choice("initial-cluster-state", InitialClusterState.Auto),
            TickInterval = r.Duration("tick-interval", TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10)),
            MaxMessageAge = r.Duration("max-message-age", ServerSettings.DefaultMaxMessageAge, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10)),
            ElectionTicks = r.Int("election-ticks", 10, 2, 10_000),
            HeartbeatTicks = r.Int("heartbeat-ticks", 2, 1, 10_000),
            Window = r.Int("window", 64, 1, 100_000),
            MaxBatchCommands = r.Int("max-batch-commands", 1024, 1, 1_000_000),
            MaxBatchBytes = r.Int("max-batch-bytes", 4 << 20, 1024, MaxBatchBytesLimit),
            MaxKeyBytes = r.Int("max-key-bytes", 1024, 1, 64 << 10),
            MaxValueBytes = r.Int("max-value-bytes", 1 << 20, 0, 64 << 20),
            MaxPendingRequests = r.Int("max-pending-requests", 20_000, 1, 10_000_000),
            RequestTimeout = r.Duration("request-timeout", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1)),
            SnapshotEveryEntries = r.Long("snapshot-every-entries", 100_000, 0, long.MaxValue),
            SnapshotEveryBytes = r.Long("snapshot-every-bytes", 256L << 20, 0, long.MaxValue),
            CatchUpEntries = r.Long("catch-up-entries", 10_000, 0, long.MaxValue),
            SegmentBytes = r.Long("segment-bytes", 64L << 20, 64 << 10, 1L << 40),
            LogFormat = r.OneOf("log-format", "text", "text", "json"),
            LogLevel = r.OneOf("log-level", "Information", "Verbose", "Debug", "Information", "Warning", "Error", "Fatal"),
            ShutdownTimeout = r.Duration("shutdown-timeout", TimeSpan.FromSeconds(10), TimeSpan.Zero, TimeSpan.FromHours(1)),
            MaxClientConnections = r.Int("max-client-connections", 4096, 1, 1_000_000),
            MaxPeerConnections = r.Int("max-peer-connections", 128, 4, 100_000),
            IdleConnectionTimeout = r.Duration("idle-connection-timeout", TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(1), TimeSpan.FromHours(24)),
            RequestHeadersTimeout = r.Duration("request-headers-timeout", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10)),
            StallTimeout = r.Duration("stall-timeout", TimeSpan.FromSeconds(10), TimeSpan.Zero, TimeSpan.FromHours(1)),
            MaxPromotionLag = r.Long("max-promotion-lag", 1000, 0, long.MaxValue),
            MinThreads = r.Int("min-threads", ServerSettings.DefaultMinThreads, 1, 32_767),
            Security = ReadSecurity(r, clientUrl, peerUrl, members),
        };

        if (settings.HeartbeatTicks >= settings.ElectionTicks)
        {
            throw Reader.Invalid("heartbeat-ticks", $"{settings.HeartbeatTicks} must be below election-ticks ({settings.ElectionTicks})");
        }

        if (settings.MaxBatchBytes < settings.MaxValueBytes + settings.MaxKeyBytes + 256)
        {
            throw Reader.Invalid("max-batch-bytes", $"{settings.MaxBatchBytes} cannot hold one command of the largest key and value ({settings.MaxKeyBytes} + {settings.MaxValueBytes} bytes)");
        }

        if (24L + (4L * settings.MaxBatchCommands) + settings.MaxBatchBytes > Storage.WalFormat.MaxPayload)
        {
            throw Reader.Invalid("max-batch-bytes", $"a slot of {settings.MaxBatchCommands} commands and {settings.MaxBatchBytes} bytes would not fit one log record ({Storage.WalFormat.MaxPayload} bytes)");
        }

        return settings;
    }

    /// <summary>
    /// One slot holds at most this many command bytes: a quarter of a log record (WalFormat.MaxPayload), so a full
    /// slot with its per-command framing always fits one record, and peer messages stay well inside their limit.
    /// </summary>
    public const int MaxBatchBytesLimit = Storage.WalFormat.MaxPayload / 4;

    // A wildcard listen address is no address to give a client: name the machine instead.
    private static string DefaultAdvertised(Uri clientUrl)
    {
        var host = clientUrl.Host is "0.0.0.0" or "[::]" or "::" or "+" or "*" ? System.Net.Dns.GetHostName() : clientUrl.Host;
        return new UriBuilder(clientUrl) { Host = host }.Uri.ToString().TrimEnd('/');
    }

    private static Dictionary<string, string> ParseFlags(IReadOnlyList<string> args)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new InvalidSettingException($"unexpected argument '{arg}'; settings are flags like --node-id n1 (see --help)");
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? arg[2..] : arg[2..eq];
            if (!Names.Contains(name))
            {
                throw new InvalidSettingException($"unknown flag --{name} (see --help)");
            }

            if (eq >= 0)
            {
                flags[name] = arg[(eq + 1)..];
            }
            else if (name == "client-cert-auth" && (i + 1 == args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal)))
            {
                // A switch, as in etcd: present alone means true.
                flags[name] = "true";
            }
            else if (i + 1 < args.Count)
            {
                flags[name] = args[++i];
            }
            else
            {
                throw new InvalidSettingException($"flag --{name} needs a value");
            }
        }

        return flags;
    }

    private static IConfigurationSection? ReadJson(string? configFile, string workingDirectory)
    {
        var path = configFile ?? Path.Combine(workingDirectory, "appsettings.json");
        if (!File.Exists(path))
        {
            return configFile is null ? null : throw new InvalidSettingException($"invalid setting --config (RKV_CONFIG): file '{configFile}' does not exist");
        }

        try
        {
            return new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(path), optional: false).Build().GetSection("ReplicatedKv");
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or IOException)
        {
            throw new InvalidSettingException($"invalid settings file '{path}': {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
    }

    private static string BuildUsage()
    {
        var text = new StringBuilder();
        text.AppendLine("usage: rkv-server --node-id ID --peers n1=http://host1:7101,n2=... [flags]   (or --version, --help)");
        text.AppendLine("Each flag --name may also come from the environment (RKV_NAME) or appsettings.json (section ReplicatedKv, key Name); the flag wins.");
        foreach (var name in Names)
        {
            text.Append(CultureInfo.InvariantCulture, $"  --{name,-24} {EnvName(name),-30} {JsonKey(name)}").AppendLine();
            if (SettingsHelp.Entries.TryGetValue(name, out var help))
            {
                text.Append(CultureInfo.InvariantCulture, $"      {help.Meaning} [{(help.Default == "required" ? "required" : "default: " + help.Default)}]").AppendLine();
            }
        }

        text.AppendLine("The peer secret itself may come only from the variable RKV_PEER_SECRET (or a file, --peer-secret-file): never a flag.");

        return text.ToString();
    }

    /// <summary>Typed access to the raw values, each error naming the setting by flag and variable.</summary>
    private sealed class Reader(Dictionary<string, string> values)
    {
        public bool Has(string name) => values.ContainsKey(name);

        public static InvalidSettingException Invalid(string name, string reason) =>
            new($"invalid setting --{name} ({EnvName(name)}): {reason}");

        public string Required(string name) =>
            values.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : throw Invalid(name, "is required");

        public string Text(string name, string fallback)
        {
            if (!values.TryGetValue(name, out var value))
            {
                return fallback;
            }

            return string.IsNullOrWhiteSpace(value) ? throw Invalid(name, "is empty") : value.Trim();
        }

        public Uri Url(string name, string fallback, bool httpsAllowed = true)
        {
            var text = Text(name, fallback);
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || !(url.Scheme == "http" || (httpsAllowed && url.Scheme == "https")) || url.AbsolutePath != "/")
            {
                throw Invalid(name, $"'{text}' is not a listen address like http://0.0.0.0:7001");
            }

            return url;
        }

        public bool Bool(string name)
        {
            if (!values.TryGetValue(name, out var text))
            {
                return false;
            }

            return bool.TryParse(text.Trim(), out var value) ? value : throw Invalid(name, $"'{text}' is not true or false");
        }

        public int Int(string name, int fallback, int min, int max) => (int)Long(name, fallback, min, max);

        public long Long(string name, long fallback, long min, long max)
        {
            if (!values.TryGetValue(name, out var text))
            {
                return fallback;
            }

            if (!long.TryParse(text.Trim().Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                throw Invalid(name, $"'{text}' is not a whole number");
            }

            return value < min || value > max ? throw Invalid(name, $"{value} is outside {min}..{max}") : value;
        }

        public TimeSpan Duration(string name, TimeSpan fallback, TimeSpan min, TimeSpan max)
        {
            if (!values.TryGetValue(name, out var text))
            {
                return fallback;
            }

            var value = ParseDuration(text.Trim()) ?? throw Invalid(name, $"'{text}' is not a duration like 250ms, 5s or 2m");
            return value < min || value > max ? throw Invalid(name, $"{text} is outside {min}..{max}") : value;
        }

        public T Choice<T>(string name, T fallback)
            where T : struct, Enum
        {
            if (!values.TryGetValue(name, out var text))
            {
                return fallback;
            }

            return Enum.TryParse<T>(text.Trim(), ignoreCase: true, out var value) && Enum.IsDefined(value) && !char.IsAsciiDigit(text.Trim()[0])
                ? value
                : throw Invalid(name, $"'{text}' is not one of {string.Join(", ", Enum.GetNames<T>()).ToLowerInvariant()}");
        }

        public string OneOf(string name, string fallback, params string[] allowed)
        {
            var text = Text(name, fallback);
            return allowed.FirstOrDefault(a => a.Equals(text, StringComparison.OrdinalIgnoreCase))
                ?? throw Invalid(name, $"'{text}' is not one of {string.Join(", ", allowed)}");
        }

        private static TimeSpan? ParseDuration(string text)
        {
            (string Suffix, double Scale)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
            foreach (var (suffix, scale) in units)
            {
                if (text.EndsWith(suffix, StringComparison.Ordinal) &&
                    double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var number) &&
                    number >= 0 && !(suffix == "m" && text.EndsWith("ms", StringComparison.Ordinal)))
                {
                    return TimeSpan.FromMilliseconds(number * scale);
                }
            }

            return null;
        }
    }
}
