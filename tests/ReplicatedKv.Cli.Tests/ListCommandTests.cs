using System.Text.Json;
using Google.Protobuf;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Testing.Clusters;

namespace ReplicatedKv.Cli.Tests;

[Collection(SharedClusterCollection.Name)]
public sealed class ListCommandTests(CliFixture fixture)
{
    private Task<CliRun> Run(params string[] args) => CliRun.RunAsync(["--endpoints", fixture.Endpoints, "--timeout", "10s", .. args]);

    [Fact]
    public async Task List_pages_transparently_through_more_keys_than_one_page_holds()
    {
        // 2,500 keys: three server pages of 1,000, fetched one after another as the output is written.
        foreach (var chunk in Enumerable.Range(0, 2500).Chunk(250))
        {
            await Task.WhenAll(chunk.Select(i => SetAsync($"paged/{i:D5}", "v" + i)));
        }

        var expected = Enumerable.Range(0, 2500).Select(i => $"paged/{i:D5}").ToArray();
        var text = await Run("list", "paged/", "--keys-only");
        var json = await Run("list", "paged/", "--keys-only", "-o", "json");

        text.ExitCode.Should().Be(0, text.Error);
        text.Out.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries).Should().Equal(expected);
        json.ExitCode.Should().Be(0, json.Error);
        var doc = JsonDocument.Parse(json.Out).RootElement;
        doc.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("key").GetString()).Should().Equal(expected);
        doc.GetProperty("count").GetInt32().Should().Be(2500);
        doc.GetProperty("more").GetBoolean().Should().BeFalse();
        doc.GetProperty("entries")[0].TryGetProperty("value_base64", out _).Should().BeFalse("keys only");
    }

    [Fact]
    public async Task List_text_shows_key_tab_value_and_limit_stops_with_a_note()
    {
        string[] keys = ["text/a", "text/b", "text/c"];
        foreach (var key in keys)
        {
            (await Run("set", key, "value of " + key)).ExitCode.Should().Be(0);
        }

        var all = await Run("list", "text/");
        var two = await Run("list", "text/", "--limit", "2");

        all.Out.Should().Be(string.Concat(keys.Select(k => $"{k}\tvalue of {k}{Environment.NewLine}")));
        two.ExitCode.Should().Be(0, two.Error);
        two.Out.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(2);
        two.Error.Should().Contain("--limit 2");
    }

    [Fact]
    public async Task List_json_is_one_document_with_entries_and_their_numbers()
    {
        (await Run("set", "json-list/x", "1")).ExitCode.Should().Be(0);
        var second = await Run("set", "json-list/x", "2");
        (await Run("set", "json-list/y", "3")).ExitCode.Should().Be(0);

        var listed = await Run("list", "--from", "json-list/", "--to", "json-list/y", "-o", "json");

        listed.ExitCode.Should().Be(0, listed.Error);
        var doc = JsonDocument.Parse(listed.Out).RootElement;
        doc.GetProperty("count").GetInt32().Should().Be(1);
        doc.GetProperty("more").GetBoolean().Should().BeFalse();
        var entry = doc.GetProperty("entries")[0];
        entry.GetProperty("key").GetString().Should().Be("json-list/x");
        entry.GetProperty("value_base64").GetString().Should().Be(Convert.ToBase64String("2"u8.ToArray()));
        entry.GetProperty("revision").GetUInt64().Should().Be(ulong.Parse(second.Out.Trim(), System.Globalization.CultureInfo.InvariantCulture));
        entry.GetProperty("version").GetUInt64().Should().Be(2);
    }

    [Theory]
    [InlineData("list", "p", "--from", "a")]
    [InlineData("list", "--limit", "0")]
    public async Task List_usage_errors_exit_2(params string[] args)
    {
        var run = await Run(args);

        run.ExitCode.Should().Be(2);
        run.Error.Should().StartWith("rkvctl: ");
    }

    private Task<SetResponse> SetAsync(string key, string value) =>
        TestCluster.RetryAsync(() => fixture.Cluster.Client(0).SetAsync(new SetRequest { Key = key, Value = ByteString.CopyFromUtf8(value) }, TestCluster.Deadline()).ResponseAsync);
}
