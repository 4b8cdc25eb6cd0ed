using System.Text;
using System.Text.Json;

namespace ReplicatedKv.Cli.Tests;

[Collection(SharedClusterCollection.Name)]
public sealed class KeyValueCommandTests(CliFixture fixture)
{
    private Task<CliRun> Run(params string[] args) => CliRun.RunAsync(["--endpoints", fixture.Endpoints, "--timeout", "10s", .. args]);

    [Fact]
    public async Task Set_get_contains_remove_round_trip_with_exit_codes()
    {
        var set = await Run("set", "greeting", "hello world");
        set.ExitCode.Should().Be(0, set.Error);
        var version = ulong.Parse(set.Out.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        version.Should().BePositive();

        var get = await Run("get", "greeting");
        get.ExitCode.Should().Be(0, get.Error);
        get.Out.Should().Be("hello world" + Environment.NewLine);

        (await Run("get", "greeting", "--serializable")).ExitCode.Should().Be(0);

        var contains = await Run("contains", "greeting");
        contains.ExitCode.Should().Be(0);
        contains.Out.Trim().Should().Be("true");

        var remove = await Run("remove", "greeting");
        remove.ExitCode.Should().Be(0, remove.Error);
        ulong.Parse(remove.Out.Trim(), System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThan(version);

        var missing = await Run("get", "greeting");
        missing.ExitCode.Should().Be(1);
        missing.Out.Should().BeEmpty();
        missing.Error.Should().StartWith("rkvctl: ").And.EndWith(Environment.NewLine);
        missing.Error.Trim().Should().NotContain("\n");

        var notContained = await Run("contains", "greeting");
        notContained.ExitCode.Should().Be(1);
        notContained.Out.Trim().Should().Be("false");

        (await Run("remove", "greeting")).ExitCode.Should().Be(1);
    }

    [Fact]
    public async Task Json_output_carries_base64_value_revisions_and_version()
    {
        var set = await Run("--output", "json", "set", "j", "v1");
        set.ExitCode.Should().Be(0, set.Error);
        var revision = JsonDocument.Parse(set.Out).RootElement.GetProperty("revision").GetUInt64();

        var get = await Run("get", "j", "--output", "json");
        get.ExitCode.Should().Be(0, get.Error);
        var doc = JsonDocument.Parse(get.Out).RootElement;
        doc.GetProperty("key").GetString().Should().Be("j");
        doc.GetProperty("found").GetBoolean().Should().BeTrue();
        doc.GetProperty("value_base64").GetString().Should().Be(Convert.ToBase64String("v1"u8.ToArray()));
        doc.GetProperty("revision").GetUInt64().Should().Be(revision);
        doc.GetProperty("create_revision").GetUInt64().Should().Be(revision);
        doc.GetProperty("version").GetUInt64().Should().Be(1, "j was set once");

        var missing = await Run("get", "no-such-key", "-o", "json");
        missing.ExitCode.Should().Be(1);
        JsonDocument.Parse(missing.Out).RootElement.GetProperty("found").GetBoolean().Should().BeFalse();

        var contains = await Run("contains", "j", "-o", "json");
        JsonDocument.Parse(contains.Out).RootElement.GetProperty("found").GetBoolean().Should().BeTrue();

        var remove = await Run("remove", "j", "-o", "json");
        remove.ExitCode.Should().Be(0);
        JsonDocument.Parse(remove.Out).RootElement.GetProperty("removed").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task Binary_values_come_from_stdin_or_a_file()
    {
        byte[] bytes = [0, 1, 2, 255, 254, 10, 13];
        using (var stdin = new MemoryStream(bytes))
        {
            var set = await CliRun.RunAsync(stdin, "--endpoints", fixture.Endpoints, "set", "bin", "-");
            set.ExitCode.Should().Be(0, set.Error);
        }

        var get = await Run("-o", "json", "get", "bin");
        Convert.FromBase64String(JsonDocument.Parse(get.Out).RootElement.GetProperty("value_base64").GetString()!).Should().Equal(bytes);

        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, Encoding.UTF8.GetBytes("from a file"));
            (await Run("set", "bin", "--file", file)).ExitCode.Should().Be(0);
            (await Run("get", "bin")).Out.Should().Be("from a file" + Environment.NewLine);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task If_revision_mismatch_exits_3_and_match_succeeds()
    {
        var revision = (await Run("set", "cas", "a")).Out.Trim();

        var wrong = await Run("set", "cas", "b", "--if-revision", "1");
        wrong.ExitCode.Should().Be(3, wrong.Error);
        wrong.Error.Should().StartWith("rkvctl: ");
        wrong.Error.Trim().Should().NotContain("\n");

        (await Run("set", "cas", "b", "--if-revision", revision)).ExitCode.Should().Be(0);
        (await Run("set", "new-cas", "x", "--if-revision", "0")).ExitCode.Should().Be(0);
        // The name from before keys had their own version still works, with the same meaning.
        (await Run("set", "new-cas", "y", "--if-version", "0")).ExitCode.Should().Be(3);
        (await Run("remove", "cas", "--if-version", "1")).ExitCode.Should().Be(3);
        (await Run("get", "cas")).Out.Trim().Should().Be("b");
    }

    [Fact]
    public async Task Endpoints_come_from_RKV_ENDPOINTS_and_may_omit_the_scheme()
    {
        (await Run("set", "env-key", "env-value")).ExitCode.Should().Be(0);
        var bare = string.Join(',', fixture.Cluster.Settings.Select(s => new Uri(s.AdvertiseClientUrl).Authority));
        (await CliRun.RunAsync("--endpoints", bare, "get", "env-key")).Out.Trim().Should().Be("env-value");

        var previous = Environment.GetEnvironmentVariable("RKV_ENDPOINTS");
        Environment.SetEnvironmentVariable("RKV_ENDPOINTS", fixture.Endpoints);
        try
        {
            var run = await CliRun.RunAsync("get", "env-key");
            run.ExitCode.Should().Be(0, run.Error);
            run.Out.Trim().Should().Be("env-value");
        }
        finally
        {
            Environment.SetEnvironmentVariable("RKV_ENDPOINTS", previous);
        }
    }

    [Theory]
    [InlineData]
    [InlineData("get")]
    [InlineData("nonsense")]
    [InlineData("set", "k")]
    [InlineData("set", "k", "v", "--if-version", "abc")]
    [InlineData("--output", "xml", "get", "k")]
    [InlineData("--timeout", "soon", "get", "k")]
    [InlineData("--endpoints", "ftp://x", "get", "k")]
    public async Task Usage_errors_exit_2_with_one_stderr_line(params string[] args)
    {
        var run = await CliRun.RunAsync(args);
        run.ExitCode.Should().Be(2);
        run.Out.Should().BeEmpty();
        run.Error.Should().StartWith("rkvctl: ");
        run.Error.TrimEnd().Should().NotContain("\n");
    }

    [Theory]
    [InlineData("unknown command 'bogus'", "bogus")]
    [InlineData("unknown option '--bogus'", "get", "k", "--bogus")]
    [InlineData("--if-version: 'abc' is not a number", "set", "k", "v", "--if-version", "abc")]
    [InlineData("--if-revision: '-1' is not a number", "remove", "k", "--if-revision", "-1")]
    [InlineData("--timeout: 'soon' is not a duration", "--timeout", "soon", "get", "k")]
    [InlineData("--request-id: 'x' is not CLIENT:SEQUENCE", "set", "k", "v", "--request-id", "x")]
    [InlineData("get: missing KEY", "get")]
    [InlineData("no command given; one of: get, set,")]
    [InlineData("check: no subcommand given; one of: hash", "check")]
    public async Task Usage_errors_say_what_is_wrong_in_words(string expected, params string[] args)
    {
        var run = await CliRun.RunAsync(args);
        run.ExitCode.Should().Be(2);
        run.Error.Should().Contain(expected);
    }

    [Fact]
    public async Task Help_shows_duration_defaults_as_people_write_them()
    {
        var run = await CliRun.RunAsync("--help");
        run.ExitCode.Should().Be(0);
        run.Out.Should().Contain("[default: 10s]").And.Contain("[default: 2s]").And.NotContain("00:00:");
    }

    [Fact]
    public async Task A_set_repeated_with_its_request_id_is_applied_once()
    {
        var endpoints = fixture.Endpoints;
        var id = "retry-test-" + Guid.NewGuid().ToString("N")[..8] + ":1";
        var first = await CliRun.RunAsync("--endpoints", endpoints, "set", "retried", "first", "--request-id", id);
        first.ExitCode.Should().Be(0, first.Error);

        // The same id again, as after an unknown outcome: the cluster answers with the first write's revision and
        // does not apply this one, even though the value differs.
        var again = await CliRun.RunAsync("--endpoints", endpoints, "set", "retried", "second", "--request-id", id);
        again.ExitCode.Should().Be(0, again.Error);
        again.Out.Should().Be(first.Out);
        (await CliRun.RunAsync("--endpoints", endpoints, "get", "retried")).Out.Trim().Should().Be("first");

        // A new sequence of the same client is a new write.
        var next = await CliRun.RunAsync("--endpoints", endpoints, "set", "retried", "third", "--request-id", id[..^1] + "2");
        next.ExitCode.Should().Be(0, next.Error);
        (await CliRun.RunAsync("--endpoints", endpoints, "get", "retried")).Out.Trim().Should().Be("third");
    }

    [Fact]
    public async Task A_refused_connection_fails_at_the_dial_timeout_not_the_request_timeout()
    {
        // The request deadline is far off; only the dial timeout can end this run with "dial timeout" in the message.
        var run = await CliRun.RunAsync("--endpoints", "http://127.0.0.1:1", "--timeout", "5m", "--dial-timeout", "300ms", "set", "k", "v");
        run.ExitCode.Should().Be(4);
        run.Error.Should().Contain("no member accepted a connection within the dial timeout of 0.3s").And.Contain("127.0.0.1:1:").And.NotContain("()");
    }
}
