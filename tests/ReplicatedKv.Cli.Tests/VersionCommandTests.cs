using System.Text.Json;

namespace ReplicatedKv.Cli.Tests;

[Collection(SharedClusterCollection.Name)]
public sealed class VersionCommandTests(CliFixture fixture)
{
    [Fact]
    public async Task Version_shows_rkvctls_version_and_the_answering_servers()
    {
        var run = await CliRun.RunAsync(["--endpoints", fixture.Endpoints, "version", "-o", "json"]);
        run.ExitCode.Should().Be(0, run.Error);
        var json = JsonDocument.Parse(run.Out).RootElement;
        var rkvctl = json.GetProperty("rkvctl").GetString();
        rkvctl.Should().MatchRegex(@"^\d+\.\d+\.\d+", "MinVer's version from git tags, not the SDK's default 1.0.0");
        rkvctl.Should().NotStartWith("1.0.0");
        // Server and rkvctl come from the same build here.
        json.GetProperty("server").GetString().Should().StartWith(rkvctl + " (n");
    }

    [Fact]
    public async Task Without_a_server_version_still_shows_rkvctls_and_succeeds()
    {
        var run = await CliRun.RunAsync(["--endpoints", "http://127.0.0.1:1", "--timeout", "1s", "version"]);
        run.ExitCode.Should().Be(0, run.Error);
        run.Out.Should().StartWith("rkvctl ").And.Contain("server: unknown (no endpoint answered");
    }
}
