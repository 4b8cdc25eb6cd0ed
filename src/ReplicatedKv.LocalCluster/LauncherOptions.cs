using System.Globalization;

namespace ReplicatedKv.LocalCluster;

/// <summary>rkv-local's flags. Everything after a bare <c>--</c> is handed unchanged to every rkv-server.</summary>
internal sealed record LauncherOptions
{
    public const string Usage = """
        usage: rkv-local [--nodes 3|5|1] [--base-port 7001] [--data-dir ./.rkv-local] [--clean] [-- SERVER-FLAGS]
        Starts a local ReplicatedKv cluster: one rkv-server process per node, all on 127.0.0.1.
          --nodes N        cluster size: 3 (default), 5, or 1 for experiments
          --base-port P    node i (from 0) listens on client port P+i, peer port P+100+i, admin port P+200+i (default 7001)
          --data-dir DIR   node data goes to DIR/n1, DIR/n2, ... (default ./.rkv-local); kept between runs
          --clean          delete the nodes' data (DIR/n1..n9) before starting
          -h, --help       show this help
          -- SERVER-FLAGS  passed to every rkv-server, e.g. -- --log-level Debug (see rkv-server --help)
        Ctrl-C, SIGINT or SIGTERM to the launcher (it prints its pid) stops every node gracefully (SIGTERM, then SIGKILL
        after 15 s); a second Ctrl-C kills at once. While the cluster runs, type a command and Enter to stop or start
        one node: stop n2 (SIGTERM), kill n2 (SIGKILL, like a crash), start n2, nodes (list), help; or to grow the
        cluster: add-node n4 [--learner] (adds the member through the leader, then starts it on free ports with
        --initial-cluster-state existing; it becomes a voter once caught up unless --learner).

        """;

    public int Nodes { get; init; } = 3;

    public int BasePort { get; init; } = 7001;

    public string DataDir { get; init; } = ".rkv-local";

    public bool Clean { get; init; }

    public bool Help { get; init; }

    public IReadOnlyList<string> ServerFlags { get; init; } = [];

    /// <summary>Throws <see cref="FormatException"/> with a one-line reason for the first bad flag.</summary>
    public static LauncherOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new LauncherOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                options = options with { ServerFlags = args.Skip(i + 1).ToArray() };
                break;
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 || !arg.StartsWith("--", StringComparison.Ordinal) ? arg : arg[..eq];
            string Value() => eq >= 0 ? arg[(eq + 1)..] : ++i < args.Count ? args[i] : throw new FormatException($"{name} needs a value");

            options = name switch
            {
                "-h" or "--help" => options with { Help = true },
                "--clean" => eq < 0 ? options with { Clean = true } : throw new FormatException("--clean takes no value"),
                "--nodes" => options with { Nodes = ParseNodes(Value()) },
                "--base-port" => options with { BasePort = ParsePort(Value()) },
                "--data-dir" => options with { DataDir = NonEmpty(name, Value()) },
                _ => throw new FormatException($"unknown argument '{arg}'"),
            };
        }

        return options;
    }

    private static int ParseNodes(string text) =>
        text is "1" or "3" or "5" ? int.Parse(text, CultureInfo.InvariantCulture) : throw new FormatException($"--nodes must be 3, 5 or 1, not '{text}'");

    private static int ParsePort(string text)
    {
        // The admin port of the fifth node is the highest: P+204 must still be a port.
        const int highest = 65535 - 204;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= highest
            ? port
            : throw new FormatException($"--base-port must be a number from 1 to {highest}, not '{text}'");
    }

    private static string NonEmpty(string name, string text) =>
        string.IsNullOrWhiteSpace(text) ? throw new FormatException($"{name} must not be empty") : text;
}
