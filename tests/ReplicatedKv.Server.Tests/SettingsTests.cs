using System.Diagnostics;
using ReplicatedKv.Server.Settings;

namespace ReplicatedKv.Server.Tests;

public sealed class SettingsTests
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];

    private static ServerSettings Load(Dictionary<string, string?>? environment, params string[] args) =>
        SettingsLoader.Load(args, environment ?? NoEnvironment, Path.GetTempPath());

    [Fact]
    public void Flags_win_over_environment_which_wins_over_the_settings_file()
    {
        var dir = Directory.CreateTempSubdirectory("rkv-settings-").FullName;
        File.WriteAllText(Path.Combine(dir, "appsettings.json"),
            """{ "ReplicatedKv": { "NodeId": "n1", "Peers": "n1=http://a:7101,n2=http://b:7101,n3=http://c:7101", "Window": "8", "MaxKeyBytes": "100", "RequestTimeout": "2s" } }""");
        var environment = new Dictionary<string, string?> { ["RKV_WINDOW"] = "16", ["RKV_MAX_KEY_BYTES"] = "200" };

        var settings = SettingsLoader.Load(["--window", "32"], environment, dir);

        settings.NodeId.Should().Be("n1");
        settings.Window.Should().Be(32, "the flag wins");
        settings.MaxKeyBytes.Should().Be(200, "the environment beats the file");
        settings.RequestTimeout.Should().Be(TimeSpan.FromSeconds(2), "the file beats the default");
        settings.TickInterval.Should().Be(TimeSpan.FromMilliseconds(50), "the default stands where nobody spoke");
        settings.MaxMessageAge.Should().Be(TimeSpan.FromSeconds(10), "far above a loaded machine's scheduling delays, and an auto first start waits only 3x it");
        settings.MinThreads.Should().Be(Math.Max(64, 8 * Environment.ProcessorCount), "eight threads a core, at least 64, unless set");
    }

    [Theory]
    [InlineData("--peers", "n1=http://a:7101,n2", "invalid setting --peers (RKV_PEERS): 'n2' is not name=url")]
    [InlineData("--peers", "n2=http://a:7101", "invalid setting --peers (RKV_PEERS): this node's id 'n1' is not among the members (n2)")]
    [InlineData("--window", "zero", "invalid setting --window (RKV_WINDOW): 'zero' is not a whole number")]
    [InlineData("--window", "0", "invalid setting --window (RKV_WINDOW): 0 is outside 1..100000")]
    [InlineData("--request-timeout", "5 parsecs", "invalid setting --request-timeout (RKV_REQUEST_TIMEOUT): '5 parsecs' is not a duration like 250ms, 5s or 2m")]
    [InlineData("--client-url", "ftp://x", "invalid setting --client-url (RKV_CLIENT_URL): 'ftp://x' is not a listen address like http://0.0.0.0:7001")]
    [InlineData("--initial-cluster-state", "maybe", "invalid setting --initial-cluster-state (RKV_INITIAL_CLUSTER_STATE): 'maybe' is not one of auto, new, existing")]
    [InlineData("--log-format", "xml", "invalid setting --log-format (RKV_LOG_FORMAT): 'xml' is not one of text, json")]
    [InlineData("--max-client-connections", "0", "invalid setting --max-client-connections (RKV_MAX_CLIENT_CONNECTIONS): 0 is outside 1..1000000")]
    [InlineData("--request-headers-timeout", "soon", "invalid setting --request-headers-timeout (RKV_REQUEST_HEADERS_TIMEOUT): 'soon' is not a duration like 250ms, 5s or 2m")]
    [InlineData("--min-threads", "0", "invalid setting --min-threads (RKV_MIN_THREADS): 0 is outside 1..32767")]
    [InlineData("--bogus", "1", "unknown flag --bogus (see --help)")]
    public void A_bad_setting_is_refused_in_one_line_naming_it(string flag, string value, string message)
    {
        var args = new List<string> { "--node-id", "n1" };
        if (flag != "--peers")
        {
            args.AddRange(["--peers", "n1=http://a:7101,n2=http://b:7101,n3=http://c:7101"]);
        }

        args.AddRange([flag, value]);
        var load = () => Load(null, [.. args]);
        load.Should().Throw<InvalidSettingException>().Which.Message.Should().Be(message);
    }

    [Fact]
    public void Node_id_and_peers_are_required()
    {
        var load = () => Load(null);
        load.Should().Throw<InvalidSettingException>().WithMessage("invalid setting --node-id (RKV_NODE_ID): is required");
    }

    [Fact]
    public void The_executable_exits_2_with_one_line_on_stderr_for_a_bad_setting()
    {
        var server = Path.Combine(AppContext.BaseDirectory, "rkv-server.dll");
        var start = new ProcessStartInfo("dotnet", [server, "--node-id", "n1", "--peers", "n1=http://127.0.0.1:1", "--window", "-3"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit(30_000).Should().BeTrue();
        process.ExitCode.Should().Be(2);
        stderr.TrimEnd().Should().Be("rkv-server: invalid setting --window (RKV_WINDOW): -3 is outside 1..100000");
    }
}
