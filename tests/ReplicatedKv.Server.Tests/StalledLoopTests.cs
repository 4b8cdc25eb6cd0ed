using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Settings;
using ReplicatedKv.Testing.Files;

namespace ReplicatedKv.Server.Tests;

/// <summary>The stall watchdog: a node loop that stops moving while work waits must not go on reporting healthy.</summary>
public sealed class StalledLoopTests
{
    [Fact]
    public async Task A_node_whose_loop_is_stuck_reports_not_serving_and_refuses_its_clients_with_the_reason_until_it_moves_again()
    {
        var disks = new[] { new InMemoryFiles(), new InMemoryFiles(), new InMemoryFiles() };
        using var release = new ManualResetEventSlim();
        await using var cluster = await TestCluster.StartAsync(3, s => s with { StallTimeout = TimeSpan.FromMilliseconds(500) },
            withAdminPorts: true, storageFiles: n => disks[n]);
        var leader = await cluster.WaitForLeaderAsync();
        var stuck = (leader + 1) % 3;
        await cluster.Client(leader).SetAsync("before", "1");
        var health = new Health.HealthClient(Grpc.Net.Client.GrpcChannel.ForAddress(cluster.Settings[stuck].AdvertiseClientUrl));

        // An fdatasync that never returns (a hung device): the loop blocks inside it, neither failing nor moving.
        disks[stuck].Fault = (operation, _) =>
        {
            if (operation == FileOperation.DataSync)
            {
                release.Wait();
            }

            return null;
        };
        try
        {
            await cluster.Client(leader).SetAsync("during", "2");
            (await HealthChecks.WaitForAsync(health, HealthCheckResponse.Types.ServingStatus.NotServing)).Should().Be(HealthCheckResponse.Types.ServingStatus.NotServing);

            var write = async () => await cluster.Client(stuck).SetAsync(
                new SetRequest { Key = "refused", Value = ByteString.CopyFromUtf8("x") }, TestCluster.Deadline(30));
            var refusal = (await write.Should().ThrowAsync<RpcException>()).Which;
            refusal.StatusCode.Should().Be(StatusCode.Unavailable);
            refusal.Status.Detail.Should().Contain("node loop stalled");

            var read = async () => await cluster.Client(stuck).GetAsync(
                new GetRequest { Key = "before", Consistency = ReadConsistency.Serializable }, TestCluster.Deadline(30));
            (await read.Should().ThrowAsync<RpcException>()).Which.Status.Detail.Should().Contain("node loop stalled");

            var status = async () => await cluster.Ops(stuck).StatusAsync(new StatusRequest(), TestCluster.Deadline(30));
            (await status.Should().ThrowAsync<RpcException>()).Which.Status.Detail.Should().Contain("node loop stalled");

            (await PrometheusScrape.FetchAsync(cluster.AdminUrl(stuck))).Value("rkv_loop_stalled").Should().Be(1);
        }
        finally
        {
            disks[stuck].Fault = null;
            release.Set();
        }

        (await HealthChecks.WaitForAsync(health, HealthCheckResponse.Types.ServingStatus.Serving)).Should().Be(HealthCheckResponse.Types.ServingStatus.Serving);
        (await PrometheusScrape.FetchAsync(cluster.AdminUrl(stuck))).Value("rkv_loop_stalled").Should().Be(0);
        await cluster.WaitConvergedAsync();
        (await cluster.Client(stuck).GetAsync("during", ReadConsistency.Serializable)).Should().Be("2");
    }

    [Fact]
    public void The_stall_timeout_is_a_setting_that_zero_turns_off()
    {
        var peers = "n1=http://a:7101,n2=http://b:7101,n3=http://c:7101";
        SettingsLoader.Load(["--node-id", "n1", "--peers", peers], new Dictionary<string, string?>(), Path.GetTempPath())
            .StallTimeout.Should().Be(TimeSpan.FromSeconds(10));
        SettingsLoader.Load(["--node-id", "n1", "--peers", peers], new Dictionary<string, string?> { ["RKV_STALL_TIMEOUT"] = "0s" }, Path.GetTempPath())
            .StallTimeout.Should().Be(TimeSpan.Zero);
        SettingsLoader.Load(["--node-id", "n1", "--peers", peers, "--stall-timeout", "3s"], new Dictionary<string, string?>(), Path.GetTempPath())
            .StallTimeout.Should().Be(TimeSpan.FromSeconds(3));
    }
}
