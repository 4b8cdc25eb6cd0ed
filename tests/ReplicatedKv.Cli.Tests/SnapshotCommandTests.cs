using System.Text.Json;
using Google.Protobuf;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Testing.Clusters;

namespace ReplicatedKv.Cli.Tests;

/// <summary>rkvctl snapshot save and snapshot status against a running cluster and damaged files.</summary>
[Collection(SharedClusterCollection.Name)]
public sealed class SnapshotCommandTests(CliFixture fixture) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rkvctl-snapshot-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<CliRun> Run(params string[] args) => CliRun.RunAsync(["--endpoints", fixture.Endpoints, "--timeout", "10s", .. args]);

    [Fact]
    public async Task Save_from_the_leader_writes_a_file_whose_status_matches_the_leaders_state()
    {
        await SetAsync("snap/a", "alpha");
        await SetAsync("snap/b", "beta");
        var file = Path.Combine(_directory, "backup.rkvsnap");

        var save = await Run("snapshot", "save", file);
        var leader = await fixture.Cluster.WaitForLeaderAsync();
        var leaderStatus = await fixture.Cluster.Ops(leader).StatusAsync(new StatusRequest { IncludeStateHash = true }, TestCluster.Deadline());
        var text = await Run("snapshot", "status", file);
        var json = await Run("snapshot", "status", file, "-o", "json");

        save.ExitCode.Should().Be(0, save.Error);
        save.Out.Should().Contain($"from {leaderStatus.NodeId}").And.Contain("checksum ok");
        Directory.EnumerateFiles(_directory).Should().Equal(new[] { file }, "the partial file was renamed, nothing left beside it");
        text.ExitCode.Should().Be(0, text.Error);
        text.Out.Should().Contain("cluster id replicatedkv").And.Contain($"state hash {leaderStatus.StateHash}").And.Contain("checksum   ok");
        json.ExitCode.Should().Be(0, json.Error);
        var doc = JsonDocument.Parse(json.Out).RootElement;
        doc.GetProperty("cluster_id").GetString().Should().Be(leaderStatus.ClusterId);
        doc.GetProperty("node_id").GetString().Should().Be(leaderStatus.NodeId);
        doc.GetProperty("revision").GetUInt64().Should().Be(leaderStatus.Revision, "nothing was written since the save");
        doc.GetProperty("keys").GetInt64().Should().Be(leaderStatus.KeyCount);
        doc.GetProperty("state_hash").GetString().Should().Be(leaderStatus.StateHash);
        doc.GetProperty("size").GetInt64().Should().Be(new FileInfo(file).Length);
        doc.GetProperty("slot").GetInt64().Should().BeGreaterThan(0);
        doc.GetProperty("created").GetString().Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$");
    }

    [Fact]
    public async Task Save_with_an_endpoint_backs_up_that_node()
    {
        await SetAsync("snap/c", "gamma");
        var leader = await fixture.Cluster.WaitForLeaderAsync();
        var follower = (leader + 1) % 3;
        var file = Path.Combine(_directory, "follower.rkvsnap");

        var save = await Run("snapshot", "save", file, "--endpoint", fixture.Cluster.Settings[follower].AdvertiseClientUrl, "-o", "json");

        save.ExitCode.Should().Be(0, save.Error);
        JsonDocument.Parse(save.Out).RootElement.GetProperty("node_id").GetString().Should().Be(fixture.Cluster.Settings[follower].NodeId);
    }

    [Fact]
    public async Task Save_from_a_cluster_that_applied_nothing_yet_is_refused_as_a_failed_precondition()
    {
        await using var empty = await TestCluster.StartAsync(1);
        await empty.WaitForLeaderAsync();
        var file = Path.Combine(_directory, "empty.rkvsnap");

        var save = await CliRun.RunAsync("--endpoints", empty.Settings[0].AdvertiseClientUrl, "snapshot", "save", file);

        save.ExitCode.Should().Be(Program.PreconditionFailed, save.Error);
        save.Error.Should().Contain("applied nothing yet");
        File.Exists(file).Should().BeFalse();
    }

    [Fact]
    public async Task A_failed_save_leaves_no_file_and_an_existing_one_untouched()
    {
        var fresh = Path.Combine(_directory, "never.rkvsnap");
        var existing = Path.Combine(_directory, "yesterday.rkvsnap");
        await File.WriteAllTextAsync(existing, "yesterday's backup");
        var dead = $"http://127.0.0.1:{TestCluster.FreePorts(1)[0]}";

        var first = await Run("snapshot", "save", fresh, "--endpoint", dead);
        var second = await Run("snapshot", "save", existing, "--endpoint", dead);

        first.ExitCode.Should().Be(Program.Unavailable, first.Error);
        second.ExitCode.Should().Be(Program.Unavailable, second.Error);
        Directory.EnumerateFiles(_directory).Should().Equal(existing);
        (await File.ReadAllTextAsync(existing)).Should().Be("yesterday's backup");
    }

    [Fact]
    public async Task Status_of_a_damaged_file_exits_1_with_a_one_line_reason()
    {
        var file = Path.Combine(_directory, "damaged.rkvsnap");
        await SetAsync("snap/d", "so the cluster has applied something to back up");
        (await Run("snapshot", "save", file)).ExitCode.Should().Be(0);
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[bytes.Length / 2] ^= 0x10;
        await File.WriteAllBytesAsync(file, bytes);

        var status = await Run("snapshot", "status", file);

        status.ExitCode.Should().Be(Program.NotFound);
        status.Out.Should().BeEmpty();
        status.Error.Should().StartWith($"rkvctl: {file}: checksum mismatch").And.EndWith(Environment.NewLine);
        status.Error.Trim().Should().NotContain("\n");
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("not a backup")]
    [InlineData("missing")]
    public async Task Status_of_a_truncated_foreign_or_missing_file_exits_1(string kind)
    {
        var file = Path.Combine(_directory, kind + ".rkvsnap");
        if (kind == "truncated")
        {
            await SetAsync("snap/t", "so the cluster has applied something to back up");
            (await Run("snapshot", "save", file)).ExitCode.Should().Be(0);
            var bytes = await File.ReadAllBytesAsync(file);
            await File.WriteAllBytesAsync(file, bytes[..(bytes.Length / 2)]);
        }
        else if (kind == "not a backup")
        {
            await File.WriteAllTextAsync(file, "key,value\nsomething,else\n" + new string('x', 200));
        }

        var status = await Run("snapshot", "status", file);

        status.ExitCode.Should().Be(Program.NotFound);
        status.Error.Should().MatchRegex(kind switch
        {
            "truncated" => "checksum mismatch|truncated",
            "not a backup" => "not a ReplicatedKv backup file",
            _ => "no such file",
        });
    }

    private Task<SetResponse> SetAsync(string key, string value) =>
        TestCluster.RetryAsync(() => fixture.Cluster.Client(0).SetAsync(
            new SetRequest { Key = key, Value = ByteString.CopyFromUtf8(value), RequestId = new RequestId { ClientId = Guid.NewGuid().ToString("N"), Sequence = 1 } },
            TestCluster.Deadline()).ResponseAsync);
}
