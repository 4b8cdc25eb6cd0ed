using Grpc.Core;
using ReplicatedKv.Client;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Restore;
using ReplicatedKv.StateMachine.Backup;
using ReplicatedKv.Storage;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// Backups taken from a running cluster under write load (Cluster.Snapshot), restored offline into the data
/// directories of a new 3-node cluster (rkv-server restore), which then starts normally with the saved table.
/// </summary>
public sealed class BackupRestoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rkv-restore-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_backup_saved_under_write_load_restores_into_a_new_cluster_with_the_table_at_the_saved_revision()
    {
        string backup;
        ListResponse original;
        await using (var cluster = await TestCluster.StartAsync(3))
        {
            await cluster.WaitForLeaderAsync();
            foreach (var batch in Enumerable.Range(0, 200).Chunk(25))
            {
                await Task.WhenAll(batch.Select(i => cluster.Client(i % 3).SetAsync($"base/{i:D3}", new string('v', i))));
            }

            // Only creates keys, so the table at revision R is exactly the keys created at or before R.
            using var stop = new CancellationTokenSource();
            var written = 0;
            var churn = Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    await cluster.Client(i % 3).SetAsync($"churn/{i:D5}", "written during the backup " + i);
                    Interlocked.Increment(ref written);
                }
            });

            // Writes before, during and after the save: counted, not timed.
            await WrittenAsync(churn, () => Volatile.Read(ref written) >= 20);
            backup = await SaveAsync(cluster, "under-load.rkvsnap");
            var afterSave = Volatile.Read(ref written);
            await WrittenAsync(churn, () => Volatile.Read(ref written) >= afterSave + 20);
            await stop.CancelAsync();
            await churn;
            original = await ListAllAsync(cluster);
        }

        var summary = await BackupFile.InspectAsync(backup);
        var dirs = await RestoreAllAsync(backup, "restored");
        await using var restored = await StartRestoredAsync(dirs, "restored");

        var copy = await ListAllAsync(restored);
        copy.Entries.Should().Equal(original.Entries.Where(e => e.CreateRevision <= summary.Header.Revision), "the table is the original's as of the saved revision");
        copy.Entries.Should().Contain(e => e.Key.StartsWith("churn/", StringComparison.Ordinal), "the backup was taken while writes went on");
        original.Entries.Should().Contain(e => e.CreateRevision > summary.Header.Revision, "writes went on after the backup");
        (await restored.WaitConvergedAsync()).Should().Be(summary.StateHash, "every restored member holds exactly the saved state");
        var next = await restored.Client(0).SetAsync("after-restore", "x");
        next.Revision.Should().BeGreaterThan(summary.Header.Revision, "revisions go on from the saved one");
    }

    [Fact]
    public async Task A_slow_backup_reader_holds_one_consistent_state_while_the_node_keeps_applying_writes()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await cluster.WaitForLeaderAsync();
        var big = new string('x', 64 * 1024);
        foreach (var batch in Enumerable.Range(0, 96).Chunk(16))
        {
            await Task.WhenAll(batch.Select(i => cluster.Client(0).SetAsync($"big/{i:D2}", big)));
        }

        var before = await cluster.Ops(0).StatusAsync(new StatusRequest(), TestCluster.Deadline());
        var path = Path.Combine(_directory, "slow.rkvsnap");
        await using (var file = File.Create(path))
        {
            // About 6 MiB: the node cannot have sent it all before the first chunk is read.
            using var call = cluster.Ops(0).Snapshot(new SnapshotRequest(), TestCluster.Deadline(60));
            (await call.ResponseStream.MoveNext(CancellationToken.None)).Should().BeTrue();
            await file.WriteAsync(call.ResponseStream.Current.Data.Memory);

            // The reader stalls; the node goes on applying writes (its loop only froze the table, it is not serializing).
            for (var i = 0; i < 20; i++)
            {
                await cluster.Client(0).SetAsync($"during/{i}", "written while the backup streamed");
            }

            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                await file.WriteAsync(call.ResponseStream.Current.Data.Memory);
            }
        }

        var summary = await BackupFile.InspectAsync(path);
        summary.Header.Revision.Should().Be(before.Revision, "the backup is the state at the slot it was frozen at");
        summary.Keys.Should().Be(96);
        summary.SizeBytes.Should().BeGreaterThan(6L << 20);
        (await cluster.Ops(0).StatusAsync(new StatusRequest(), TestCluster.Deadline())).Revision.Should().Be(before.Revision + 20);
    }

    [Fact]
    public async Task A_restored_member_refuses_peer_messages_naming_the_old_cluster_id()
    {
        string backup;
        string oldClusterId;
        await using (var cluster = await TestCluster.StartAsync(1))
        {
            await cluster.WaitForLeaderAsync();
            await cluster.Client(0).SetAsync("k", "v");
            oldClusterId = cluster.Settings[0].ClusterId;
            backup = await SaveAsync(cluster, "small.rkvsnap");
        }

        var dirs = await RestoreAllAsync(backup, "restored-2");
        await using var restored = await StartRestoredAsync(dirs, "restored-2");
        var hash = await restored.WaitConvergedAsync();

        var fromOld = RawPeerStream.Batch(restored, 1, RawPeerStream.DisruptivePrepare(restored, 1, 0));
        fromOld.ClusterId = oldClusterId;
        var refused = await RawPeerStream.SendAsync(restored, 0, [], fromOld);
        var fromNew = await RawPeerStream.SendAsync(restored, 0, [], RawPeerStream.Batch(restored, 1));

        refused.Should().NotBeNull();
        refused!.StatusCode.Should().Be(StatusCode.PermissionDenied);
        refused.Status.Detail.Should().Contain("not this cluster");
        fromNew.Should().BeNull("the same sender under the new cluster id is let in: it is the id that was refused");
        (await restored.WaitConvergedAsync()).Should().Be(hash);
        (await restored.Client(0).GetAsync("k")).Should().Be("v");
    }

    [Fact]
    public async Task A_restored_data_directory_will_not_open_under_the_old_cluster_id()
    {
        var backup = await WriteBackupAsync("from-old", keys: 3);
        var dir = Path.Combine(_directory, "n1");
        await RestoreCommand.RestoreAsync(new RestoreRequest(backup, "new-id", "n1", "n1=http://127.0.0.1:1", dir));

        var asOld = () => NodeStorage.Open(new StorageOptions { DataDirectory = dir, Identity = WalIdentity.Of("from-old", "n1") });
        using (var asNew = NodeStorage.Open(new StorageOptions { DataDirectory = dir, Identity = WalIdentity.Of("new-id", "n1") }))
        {
            asNew.Snapshot!.Slot.Should().Be(3);
        }

        asOld.Should().Throw<WalCorruptionException>();
    }

    [Fact]
    public async Task A_damaged_backup_is_refused_and_leaves_no_data_directory()
    {
        var backup = await WriteBackupAsync("old", keys: 20);
        var bytes = await File.ReadAllBytesAsync(backup);
        bytes[bytes.Length / 2] ^= 1;
        await File.WriteAllBytesAsync(backup, bytes);
        var dir = Path.Combine(_directory, "n1");

        var run = await RunAsync("--snapshot", backup, "--cluster-id", "new", "--node-id", "n1", "--peers", "n1=http://127.0.0.1:1", "--data-dir", dir);

        run.Code.Should().Be(RestoreCommand.Refused);
        run.Error.Should().Contain("checksum mismatch").And.NotContain("\n ", "one line");
        Directory.Exists(dir).Should().BeFalse();
    }

    [Fact]
    public async Task A_truncated_backup_is_refused()
    {
        var backup = await WriteBackupAsync("old", keys: 20);
        var bytes = await File.ReadAllBytesAsync(backup);
        await File.WriteAllBytesAsync(backup, bytes[..(bytes.Length - 40)]);

        var run = await RunAsync("--snapshot", backup, "--cluster-id", "new", "--node-id", "n1", "--peers", "n1=http://127.0.0.1:1", "--data-dir", Path.Combine(_directory, "n1"));

        run.Code.Should().Be(RestoreCommand.Refused);
        run.Error.Should().MatchRegex("checksum mismatch|truncated");
    }

    [Fact]
    public async Task A_non_empty_data_directory_is_refused_and_left_as_it_was()
    {
        var backup = await WriteBackupAsync("old", keys: 2);
        var dir = Directory.CreateDirectory(Path.Combine(_directory, "n1")).FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "precious"), "data");

        var run = await RunAsync("--snapshot", backup, "--cluster-id", "new", "--node-id", "n1", "--peers", "n1=http://127.0.0.1:1", "--data-dir", dir);

        run.Code.Should().Be(RestoreCommand.Refused);
        run.Error.Should().Contain("not empty");
        Directory.EnumerateFileSystemEntries(dir).Should().Equal(Path.Combine(dir, "precious"));
    }

    [Fact]
    public async Task The_backed_up_clusters_own_id_is_refused()
    {
        var backup = await WriteBackupAsync("same", keys: 2);
        var dir = Path.Combine(_directory, "n1");

        var run = await RunAsync("--snapshot", backup, "--cluster-id", "same", "--node-id", "n1", "--peers", "n1=http://127.0.0.1:1", "--data-dir", dir);

        run.Code.Should().Be(RestoreCommand.Refused);
        run.Error.Should().Contain("new one");
        Directory.Exists(dir).Should().BeFalse();
    }

    [Theory]
    [InlineData("--cluster-id", "new", "--node-id", "n1", "--peers", "n1=http://127.0.0.1:1")]                       // no --snapshot
    [InlineData("--snapshot", "f", "--cluster-id", "new", "--node-id", "n9", "--peers", "n1=http://127.0.0.1:1")]   // not a member
    [InlineData("--snapshot", "f", "--cluster-id", "new", "--node-id", "n1", "--peers", "n1=http://127.0.0.1:1", "--bogus", "x")]
    public async Task Usage_errors_exit_2(params string[] args)
    {
        var run = await RunAsync(args);

        run.Code.Should().Be(RestoreCommand.UsageError);
        run.Error.Should().StartWith("rkv-server restore: ");
    }

    [Fact]
    public async Task Settings_come_from_the_servers_environment_variables_too()
    {
        var backup = await WriteBackupAsync("old", keys: 4);
        var dir = Path.Combine(_directory, "from-env");
        var environment = new Dictionary<string, string?>
        {
            ["RKV_CLUSTER_ID"] = "new", ["RKV_NODE_ID"] = "n2", ["RKV_PEERS"] = "n1=http://a:1,n2=http://b:1", ["RKV_DATA_DIR"] = dir,
        };
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await RestoreCommand.RunAsync(["--snapshot", backup], environment, stdout, stderr);

        (code, stderr.ToString()).Should().Be((RestoreCommand.Restored, ""));
        stdout.ToString().Should().Contain("restored member n2 of cluster 'new'").And.Contain("4 keys");
        Directory.EnumerateFiles(Path.Combine(dir, "snap")).Should().ContainSingle();
    }

    private async Task<string> SaveAsync(TestCluster cluster, string name)
    {
        var path = Path.Combine(_directory, name);
        await using var client = new KvClient(new KvClientOptions { Endpoints = cluster.Settings.Select(s => new Uri(s.AdvertiseClientUrl)).ToArray() });
        await using (var file = File.Create(path))
        {
            await client.SaveSnapshotAsync(file);
        }

        return path;
    }

    private async Task<string[]> RestoreAllAsync(string backup, string clusterId)
    {
        var dirs = Enumerable.Range(1, 3).Select(i => Path.Combine(_directory, clusterId, $"n{i}")).ToArray();
        for (var i = 0; i < 3; i++)
        {
            // The peers are checked, not stored: the test cluster picks its own ports when it starts.
            await RestoreCommand.RestoreAsync(new RestoreRequest(backup, clusterId, $"n{i + 1}", "n1=http://h1:1,n2=http://h2:1,n3=http://h3:1", dirs[i]));
        }

        return dirs;
    }

    private static async Task<TestCluster> StartRestoredAsync(string[] dirs, string clusterId)
    {
        var index = 0;
        var cluster = await TestCluster.StartAsync(3, s => s with { ClusterId = clusterId, DataDir = dirs[index++] });
        await cluster.WaitForLeaderAsync();
        return cluster;
    }

    private static async Task<ListResponse> ListAllAsync(TestCluster cluster)
    {
        var all = new ListResponse();
        var token = string.Empty;
        do
        {
            var page = await TestCluster.RetryAsync(() =>
                cluster.Client(0).ListAsync(new ListRequest { Limit = 10_000, ContinuationToken = token }, TestCluster.Deadline()).ResponseAsync);
            all.Entries.Add(page.Entries);
            token = page.ContinuationToken;
        }
        while (token.Length > 0);
        return all;
    }

    private async Task<string> WriteBackupAsync(string clusterId, int keys)
    {
        var machine = new StateMachine.KeyValueStateMachine();
        for (var i = 0; i < keys; i++)
        {
            var command = StateMachine.CommandCodec.Encode(StateMachine.KvCommand.Set($"k{i}", new byte[] { (byte)i }));
            machine.Apply(i + 1, [command]);
        }

        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".rkvsnap");
        await using var file = File.Create(path);
        await BackupFile.WriteAsync(machine.CreateSnapshotView(), clusterId, "n1", DateTimeOffset.UtcNow, file);
        return path;
    }

    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await RestoreCommand.RunAsync(args, new Dictionary<string, string?>(), stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static async Task WrittenAsync(Task writer, Func<bool> enough)
    {
        while (!enough())
        {
            if (writer.IsCompleted)
            {
                await writer; // a writer that failed fails the test here instead of leaving it waiting
            }

            await Task.Delay(10);
        }
    }
}
