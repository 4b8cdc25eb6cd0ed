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
    [InlineData(1, true)]
    [InlineData(-1, true)]
    public async Task Status_learns_every_member_from_one_endpoint_and_fills_every_row(int node, bool cluster)
    {
        // One endpoint is enough: the members and their client URLs come from the first node that answers.
        var endpoints = node < 0 ? fixture.Endpoints : fixture.Cluster.Settings[node].AdvertiseClientUrl;
        string[] flags = cluster ? ["--cluster"] : [];
        (await CliRun.RunAsync("--endpoints", fixture.Endpoints, "set", "status-key", "v")).ExitCode.Should().Be(0);
        var json = await CliRun.RunAsync(["--endpoints", endpoints, "status", "-o", "json", .. flags]);
        json.ExitCode.Should().Be(0, json.Error);
        var members = JsonDocument.Parse(json.Out).RootElement.GetProperty("members").EnumerateArray().ToList();
        members.Select(m => m.GetProperty("node_id").GetString()).Should().BeEquivalentTo(["n1", "n2", "n3"]);
        members.Count(m => m.GetProperty("role").GetString() == "leader").Should().Be(1);
        members.Select(m => m.GetProperty("leader_id").GetString()).Distinct().Should().ContainSingle();
        members.Should().OnlyContain(m => m.GetProperty("reachable").GetBoolean() && m.GetProperty("answered").GetBoolean());
        members.Should().OnlyContain(m => m.GetProperty("voting").GetString() == "voter");
        members.Should().OnlyContain(m => m.GetProperty("applied_slot").GetInt64() > 0 && m.GetProperty("revision").GetUInt64() > 0);
        members.Should().OnlyContain(m => m.GetProperty("key_count").GetInt64() > 0 && m.GetProperty("lag").ValueKind == JsonValueKind.Number);
        members.Should().OnlyContain(m => m.GetProperty("state_hash").GetString()!.Length == 64 && m.GetProperty("not_serving_reason").GetString() == "");
        members.Select(m => m.GetProperty("version").GetString()).Distinct().Should().ContainSingle().Which.Should().MatchRegex(@"^\d+\.\d+\.\d+");

        var text = await CliRun.RunAsync(["--endpoints", endpoints, "status", .. flags]);
        output.WriteLine(text.Out);
        text.ExitCode.Should().Be(0, text.Error);
        var lines = text.Out.TrimEnd().Split('\n');
        lines.Should().HaveCount(4);
        lines[0].Should().StartWith("ID").And.Contain("CLIENT URL").And.Contain("VOTING").And.Contain("LAG").And.Contain("REVISION")
            .And.Contain("KEYS").And.Contain("HASH").And.Contain("VERSION").And.Contain("REACHABLE").And.Contain("SERVING");
        lines.Skip(1).Count(l => l.Contains(" leader ", StringComparison.Ordinal)).Should().Be(1);
        lines.Skip(1).Should().OnlyContain(l => l.Contains(" voter ", StringComparison.Ordinal) && !l.Contains(" - ", StringComparison.Ordinal));
        foreach (var settings in fixture.Cluster.Settings)
        {
            var url = settings.AdvertiseClientUrl.TrimEnd('/');
            text.Out.Should().Contain(url + " ").And.NotContain(url + "/");
        }
    }

    [Fact]
    public async Task Check_hash_finds_every_member_agreeing_at_one_applied_slot()
    {
        (await CliRun.RunAsync("--endpoints", fixture.Endpoints, "set", "hash-key", "v")).ExitCode.Should().Be(0);
        var run = await CliRun.RunAsync("--endpoints", fixture.Cluster.Settings[0].AdvertiseClientUrl, "check", "hash");
        output.WriteLine(run.Out + run.Error);
        run.ExitCode.Should().Be(0, run.Error);
        run.Out.Should().Contain("3 members agree at applied slot");

        var json = await CliRun.RunAsync("--endpoints", fixture.Endpoints, "check", "hash", "-o", "json");
        json.ExitCode.Should().Be(0, json.Error);
        var root = JsonDocument.Parse(json.Out).RootElement;
        root.GetProperty("outcome").GetString().Should().Be("match");
        root.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("state_hash").GetString()).Distinct().Should().ContainSingle();
    }
}
