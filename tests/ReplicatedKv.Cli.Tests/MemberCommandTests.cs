using System.Text.Json;

namespace ReplicatedKv.Cli.Tests;

[Collection(SharedClusterCollection.Name)]
public sealed class MemberCommandTests(CliFixture fixture)
{
    [Fact]
    public async Task Member_list_shows_every_voter_with_its_urls_and_the_leaders_lag()
    {
        // One follower endpoint is enough: the list comes from the leader it names, which alone knows the lag.
        var leader = await fixture.Cluster.WaitForLeaderAsync();
        var follower = fixture.Cluster.Settings[(leader + 1) % 3].AdvertiseClientUrl;

        var json = await CliRun.RunAsync("--endpoints", follower, "member", "list", "-o", "json");

        json.ExitCode.Should().Be(0, json.Error);
        var root = JsonDocument.Parse(json.Out).RootElement;
        root.GetProperty("configuration_slot").GetInt64().Should().Be(0);
        var members = root.GetProperty("members").EnumerateArray().ToList();
        members.Select(m => m.GetProperty("id").GetString()).Should().Equal("n1", "n2", "n3");
        members.Should().OnlyContain(m => m.GetProperty("role").GetString() == "voter");
        members.Should().OnlyContain(m => m.GetProperty("lag").ValueKind == JsonValueKind.Number);
        foreach (var settings in fixture.Cluster.Settings)
        {
            var row = members.Single(m => m.GetProperty("id").GetString() == settings.NodeId);
            row.GetProperty("client_url").GetString().Should().Be(settings.AdvertiseClientUrl);
            settings.Peers.Should().Contain($"{settings.NodeId}={row.GetProperty("peer_url").GetString()}");
        }

        var text = await CliRun.RunAsync("--endpoints", follower, "member", "list");
        text.ExitCode.Should().Be(0, text.Error);
        var lines = text.Out.TrimEnd().Split('\n');
        lines.Should().HaveCount(4);
        lines[0].Should().StartWith("ID").And.Contain("PEER URL").And.Contain("CLIENT URL").And.Contain("ROLE").And.Contain("LAG");
    }

    [Fact]
    public async Task Member_list_with_no_endpoint_answering_exits_4()
    {
        var run = await CliRun.RunAsync("--endpoints", "http://127.0.0.1:1", "--dial-timeout", "200ms", "member", "list");

        run.ExitCode.Should().Be(4);
        run.Error.Should().Contain("no endpoint answered");
    }
}
