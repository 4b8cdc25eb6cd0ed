using System.Text.Json;

namespace ReplicatedKv.Cli.Tests;

[Collection(SharedClusterCollection.Name)]
public sealed class HealthCommandTests(CliFixture fixture)
{
    [Fact]
    public async Task Healthy_node_exits_0()
    {
        var run = await CliRun.RunAsync("--endpoints", fixture.Cluster.Settings[1].AdvertiseClientUrl, "health", "--wait", "10s");
        run.ExitCode.Should().Be(0, run.Out + run.Error);
        run.Out.Trim().Should().Be($"{fixture.Cluster.Settings[1].AdvertiseClientUrl.TrimEnd('/')}: SERVING");
    }

    [Fact]
    public async Task Without_cluster_the_endpoints_are_tried_in_turn_until_one_answers()
    {
        // Port 1 refuses the connection (nothing listens there, and a non-root process cannot listen on it).
        var live = fixture.Cluster.Settings[2].AdvertiseClientUrl.TrimEnd('/');
        var run = await CliRun.RunAsync("--endpoints", "http://127.0.0.1:1," + live, "health", "--wait", "10s");
        run.ExitCode.Should().Be(0, run.Out + run.Error);
        run.Out.Trim().Should().Be($"{live}: SERVING");

        var none = await CliRun.RunAsync("--endpoints", "http://127.0.0.1:1", "health");
        none.ExitCode.Should().Be(1);
        none.Out.Should().Contain("unreachable (Unavailable: ").And.NotContain("()");
    }

    [Fact]
    public async Task Healthy_cluster_exits_0_and_prints_each_endpoint()
    {
        var run = await CliRun.RunAsync("--endpoints", fixture.Endpoints, "health", "--cluster", "--wait", "10s");
        run.ExitCode.Should().Be(0, run.Out + run.Error);
        run.Out.TrimEnd().Split('\n').Should().HaveCount(3).And.OnlyContain(l => l.EndsWith(": SERVING", StringComparison.Ordinal));

        var json = await CliRun.RunAsync("--endpoints", fixture.Endpoints, "health", "--cluster", "-o", "json");
        json.ExitCode.Should().Be(0);
        var root = JsonDocument.Parse(json.Out).RootElement;
        root.GetProperty("serving").GetBoolean().Should().BeTrue();
        root.GetProperty("endpoints").GetArrayLength().Should().Be(3);
    }
}
