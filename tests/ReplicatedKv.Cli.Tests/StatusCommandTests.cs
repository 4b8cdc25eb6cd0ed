using System.Text.Json;
using Xunit.Abstractions;

namespace ReplicatedKv.Cli.Tests;

[Collection(SharedClusterCollection.Name)]
public sealed class StatusCommandTests(CliFixture fixture, ITestOutputHelper output)
{
    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(0, true)]
    public async Task Status_lists_three_members_with_one_leader(int node, bool cluster)
    {
        var endpoints = cluster ? fixture.Endpoints : fixture.Cluster.Settings[node].AdvertiseClientUrl;
        string[] flags = cluster ? ["--cluster"] : [];
        var json = await CliRun.RunAsync(["--endpoints", endpoints, "status", "-o", "json", .. flags]);
        json.ExitCode.Should().Be(0, json.Error);
        var members = JsonDocument.Parse(json.Out).RootElement.GetProperty("members").EnumerateArray().ToList();
        members.Select(m => m.GetProperty("node_id").GetString()).Should().BeEquivalentTo(["n1", "n2", "n3"]);
        members.Count(m => m.GetProperty("role").GetString() == "leader").Should().Be(1);
        members.Select(m => m.GetProperty("leader_id").GetString()).Distinct().Should().ContainSingle();
        members.Should().OnlyContain(m => m.GetProperty("reachable").GetBoolean());
        // Like the client URLs, peers' versions come from their peer streams: every row has one, the same build's.
        members.Select(m => m.GetProperty("version").GetString()).Distinct().Should().ContainSingle().Which.Should().MatchRegex(@"^\d+\.\d+\.\d+");

        var text = await CliRun.RunAsync(["--endpoints", endpoints, "status", .. flags]);
        output.WriteLine(text.Out);
        text.ExitCode.Should().Be(0, text.Error);
        var lines = text.Out.TrimEnd().Split('\n');
        lines.Should().HaveCount(4);
        lines[0].Should().StartWith("ID").And.Contain("CLIENT URL").And.Contain("LAG").And.Contain("VERSION").And.Contain("REACHABLE");
        lines.Skip(1).Count(l => l.Contains(" leader ", StringComparison.Ordinal)).Should().Be(1);
        foreach (var settings in fixture.Cluster.Settings)
        {
            text.Out.Should().Contain(settings.AdvertiseClientUrl);
        }
    }
}
