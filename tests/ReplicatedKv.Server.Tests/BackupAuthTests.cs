using Grpc.Core;
using ReplicatedKv.Client;
using ReplicatedKv.StateMachine.Backup;
using ReplicatedKv.Testing.Tls;

namespace ReplicatedKv.Server.Tests;

/// <summary>A backup is the whole table: Cluster.Snapshot needs the same client credentials as every other call.</summary>
public sealed class BackupAuthTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    [Fact]
    public async Task A_token_protected_node_streams_a_backup_only_to_a_caller_with_a_valid_token()
    {
        var tokenFile = Path.Combine(_certificates.Folder, "tokens");
        await File.WriteAllTextAsync(tokenFile, "backup-token\n");
        await using var cluster = await TestCluster.StartAsync(1, TlsClusterSettings.Adjust(_certificates, authTokenFile: tokenFile));
        await cluster.WaitForLeaderAsync();
        var options = new KvClientOptions
        {
            Endpoints = [new Uri(cluster.Settings[0].AdvertiseClientUrl)],
            DefaultTimeout = TimeSpan.FromSeconds(20),
            CaFile = _certificates.CaFile,
        };
        await using (var writer = new KvClient(options with { Token = "backup-token" }))
        {
            await writer.SetAsync("secret", "the table"u8.ToArray());
        }

        using var refusedBytes = new MemoryStream();
        await using (var anonymous = new KvClient(options))
        {
            var save = () => anonymous.SaveSnapshotAsync(refusedBytes, new Uri(cluster.Settings[0].AdvertiseClientUrl));
            (await save.Should().ThrowAsync<KvException>()).Which.StatusCode.Should().Be(StatusCode.Unauthenticated);
        }

        var path = Path.Combine(_certificates.Folder, "backup.rkvsnap");
        await using (var allowed = new KvClient(options with { Token = "backup-token" }))
        await using (var file = File.Create(path))
        {
            await allowed.SaveSnapshotAsync(file);
        }

        refusedBytes.Length.Should().Be(0, "not a byte of the table went to the caller without a token");
        (await BackupFile.InspectAsync(path)).Keys.Should().Be(1);
    }
}
