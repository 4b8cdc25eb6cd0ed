using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Testing.Files;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// One node of three on a disk that fills up (the in-memory file twin, so no root or tmpfs is needed): it must say
/// so rather than hang, and catch up once space is back.
/// </summary>
public sealed class FullDiskTests
{
    private const string NoSpace = "No space left on device";

    [Fact]
    public async Task A_node_whose_disk_is_full_reports_not_serving_refuses_writes_with_the_reason_still_serves_reads_and_catches_up_once_space_is_back()
    {
        var disks = new[] { new InMemoryFiles(), new InMemoryFiles(), new InMemoryFiles() };
        await using var cluster = await TestCluster.StartAsync(3, withAdminPorts: true, storageFiles: n => disks[n]);
        var leader = await cluster.WaitForLeaderAsync();
        var full = (leader + 1) % 3;
        await cluster.Client(leader).SetAsync("before", "1");
        (await TestCluster.RetryAsync(() => cluster.Client(full).GetAsync("before"))).Should().Be("1");

        disks[full].DiskFull = true;

        // The majority still decides; the full node finds out when it must persist what the leader sends it.
        await cluster.Client(leader).SetAsync("during", "2");
        var health = new Health.HealthClient(Grpc.Net.Client.GrpcChannel.ForAddress(cluster.Settings[full].AdvertiseClientUrl));
        (await HealthChecks.WaitForAsync(health, HealthCheckResponse.Types.ServingStatus.NotServing)).Should().Be(HealthCheckResponse.Types.ServingStatus.NotServing);
        (await health.CheckAsync(new HealthCheckRequest { Service = "replicatedkv.v1.KeyValue" }, TestCluster.Deadline())).Status
            .Should().Be(HealthCheckResponse.Types.ServingStatus.NotServing);

        using var http = new HttpClient();
        using (var ready = await http.GetAsync(new Uri(cluster.AdminUrl(full), "/readyz")))
        {
            ((int)ready.StatusCode).Should().Be(503);
            (await ready.Content.ReadAsStringAsync()).Should().Contain("storage refused").And.Contain(NoSpace);
        }

        var status = await cluster.StatusAsync(full);
        status.StorageRefused.Should().BeTrue();
        status.NotServingReason.Should().Contain("storage refused").And.Contain(NoSpace);
        (await PrometheusScrape.FetchAsync(cluster.AdminUrl(full))).Value("rkv_storage_refused").Should().Be(1);

        // One attempt, no retries: the answer is UNAVAILABLE with the reason, not a silent wait for the deadline.
        var write = async () => await cluster.Client(full).SetAsync(
            new SetRequest { Key = "refused", Value = ByteString.CopyFromUtf8("x") }, TestCluster.Deadline(30));
        var refusal = (await write.Should().ThrowAsync<RpcException>()).Which;
        refusal.StatusCode.Should().Be(StatusCode.Unavailable);
        refusal.Status.Detail.Should().Contain("storage refused").And.Contain(NoSpace);

        var linearizable = async () => await cluster.Client(full).GetAsync(new GetRequest { Key = "before" }, TestCluster.Deadline(30));
        (await linearizable.Should().ThrowAsync<RpcException>()).Which.Status.Detail.Should().Contain(NoSpace);

        // Serializable reads answer from the last applied state.
        var serializable = await cluster.Client(full).GetAsync(
            new GetRequest { Key = "before", Consistency = ReadConsistency.Serializable }, TestCluster.Deadline(30));
        serializable.Value.ToStringUtf8().Should().Be("1");

        disks[full].DiskFull = false;

        (await HealthChecks.WaitForAsync(health, HealthCheckResponse.Types.ServingStatus.Serving)).Should().Be(HealthCheckResponse.Types.ServingStatus.Serving);
        await cluster.WaitConvergedAsync();
        (await cluster.Client(full).GetAsync("during", ReadConsistency.Serializable)).Should().Be("2");
        (await cluster.StatusAsync(full)).NotServingReason.Should().BeEmpty();
        await cluster.Client(full).SetAsync("after", "3");
        (await cluster.Client(leader).GetAsync("after")).Should().Be("3");
    }

    [Fact]
    public async Task A_leader_whose_disk_is_full_answers_its_clients_unavailable_with_the_reason_and_the_others_move_on()
    {
        var disks = new[] { new InMemoryFiles(), new InMemoryFiles(), new InMemoryFiles() };
        await using var cluster = await TestCluster.StartAsync(3, storageFiles: n => disks[n]);
        var leader = await cluster.WaitForLeaderAsync();
        await cluster.Client(leader).SetAsync("before", "1");

        disks[leader].DiskFull = true;

        // The first write is the one that finds the disk full: its caller learns why at once.
        var write = async () => await cluster.Client(leader).SetAsync(
            new SetRequest { Key = "refused", Value = ByteString.CopyFromUtf8("x") }, TestCluster.Deadline(30));
        var refusal = (await write.Should().ThrowAsync<RpcException>()).Which;
        refusal.StatusCode.Should().Be(StatusCode.Unavailable);
        refusal.Status.Detail.Should().Contain("storage refused").And.Contain(NoSpace);

        (await cluster.StatusAsync(leader)).StorageRefused.Should().BeTrue();
        var others = Enumerable.Range(0, 3).Where(n => n != leader).ToArray();
        await cluster.Client(others[0]).SetAsync("elsewhere", "2");

        disks[leader].DiskFull = false;
        await cluster.WaitConvergedAsync();
        (await cluster.Client(leader).GetAsync("elsewhere", ReadConsistency.Serializable)).Should().Be("2");
    }
}
