using System.Globalization;
using ReplicatedKv.Chaos.Cluster;

namespace ReplicatedKv.Chaos.Scenarios;

/// <summary>Everything <c>rkv-chaos run</c> takes; the same values replay the same fault schedule.</summary>
internal sealed record RunOptions
{
    public const string Usage =
        "usage: rkv-chaos run --scenario kill|pause|partition|fsync-crash|mixed|restart|load|lost-disk-unsafe|lost-disk-unsafe-partition\n" +
        "                     [--seconds N] [--nodes 3|5] [--seed S] [--clients C] [--artifacts DIR] [--keep-artifacts]\n" +
        "                     [--netns | --proxy | --loopback]\n" +
        "   network: namespaces as root, else TCP proxies; --netns namespaces or fail, --proxy proxies even as root,\n" +
        "   --loopback no partitions\n" +
        "       rkv-chaos check HISTORY.jsonl\n" +
        "exit codes: 0 every check passed, 1 a check failed (or the run could not be made), 2 usage";

    public ScenarioKind Scenario { get; init; } = ScenarioKind.Mixed;

    /// <summary>How long faults are injected; a long run is just a large number.</summary>
    public int Seconds { get; init; } = 60;

    public int Nodes { get; init; } = 3;

    public int Seed { get; init; } = Random.Shared.Next(1, 1_000_000);

    public int Clients { get; init; } = 12;

    /// <summary>Parent of the run's own folder; default ./artifacts/chaos.</summary>
    public string ArtifactsRoot { get; init; } = Path.Combine("artifacts", "chaos");

    /// <summary>Keep data directories, node logs and the history even when every check passed.</summary>
    public bool KeepArtifacts { get; init; }

    public NetworkChoice Network { get; init; } = NetworkChoice.Auto;

    /// <summary>The command that runs this schedule again.</summary>
    public string ReplayCommand => string.Create(CultureInfo.InvariantCulture,
        $"dotnet run --project tests/ReplicatedKv.Chaos -- run --scenario {Scenario.Name()} --seed {Seed} --seconds {Seconds} --nodes {Nodes} --clients {Clients}{NetworkFlag(Network)}");

    /// <summary>Parses the arguments after <c>run</c>; null with <paramref name="error"/> set when they are wrong.</summary>
    public static RunOptions? Parse(IReadOnlyList<string> args, out string error)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new RunOptions();
        error = "";
        for (var i = 0; i < args.Count; i++)
        {
            var flag = args[i];
            if (flag == "--keep-artifacts")
            {
                options = options with { KeepArtifacts = true };
                continue;
            }

            if (NetworkFlags.TryGetValue(flag, out var network))
            {
                if (options.Network != NetworkChoice.Auto && options.Network != network)
                {
                    error = $"{flag} and {NetworkFlag(options.Network).Trim()} ask for different networks";
                    return null;
                }

                options = options with { Network = network };
                continue;
            }

            if (i + 1 >= args.Count)
            {
                error = $"{flag} needs a value";
                return null;
            }

            var value = args[++i];
            switch (flag)
            {
                case "--scenario" when ScenarioNames.TryParse(value, out var scenario):
                    options = options with { Scenario = scenario };
                    break;
                case "--seconds" when Number(value, 1, int.MaxValue) is { } seconds:
                    options = options with { Seconds = seconds };
                    break;
                case "--nodes" when value is "3" or "5":
                    options = options with { Nodes = int.Parse(value, CultureInfo.InvariantCulture) };
                    break;
                case "--seed" when Number(value, int.MinValue, int.MaxValue) is { } seed:
                    options = options with { Seed = seed };
                    break;
                case "--clients" when Number(value, 1, 256) is { } clients:
                    options = options with { Clients = clients };
                    break;
                case "--artifacts" when value.Length > 0:
                    options = options with { ArtifactsRoot = value };
                    break;
                default:
                    error = $"bad option {flag} {value}";
                    return null;
            }
        }

        return options;
    }

    private static readonly Dictionary<string, NetworkChoice> NetworkFlags = new(StringComparer.Ordinal)
    {
        ["--netns"] = NetworkChoice.Namespaces,
        ["--proxy"] = NetworkChoice.Proxies,
        ["--loopback"] = NetworkChoice.Loopback,
    };

    private static string NetworkFlag(NetworkChoice network) =>
        NetworkFlags.FirstOrDefault(p => p.Value == network).Key is { } flag ? " " + flag : "";

    private static int? Number(string text, int min, int max) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? n : null;
}
