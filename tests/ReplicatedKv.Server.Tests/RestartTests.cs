using Grpc.Health.V1;

namespace ReplicatedKv.Server.Tests;

public sealed class RestartTests
{
    [Fact]
    public async Task Every_data_directory_reopened_after_a_full_stop_gives_the_same_table()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WaitForLeaderAsync();
        await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            TestCluster.RetryAsync(() => cluster.Client(i % 3).SetAsync($"k{i % 37}", $"v{i}"))));
        await cluster.Client(0).RemoveAsync("k5");
        var before = await cluster.WaitConvergedAsync();
        var k36 = await cluster.Client(0).GetAsync("k36");

        for (var node = 0; node < 3; node++)
        {
            await cluster.StopNodeAsync(node);
        }

        for (var node = 0; node < 3; node++)
        {
            await cluster.StartNodeAsync(node);
        }

        // Before any new leader decides anything, each node's table comes from its own disk alone.
        for (var node = 0; node < 3; node++)
        {
            (await cluster.StateHashAsync(node)).Should().Be(before);
        }

        await cluster.WaitForLeaderAsync();
        (await TestCluster.RetryAsync(() => cluster.Client(1).GetAsync("k5"))).Should().BeNull();
        (await TestCluster.RetryAsync(() => cluster.Client(2).GetAsync("k36"))).Should().Be(k36);
    }

    [Fact]
    public async Task Health_reports_serving_only_with_a_live_quorum()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WaitForLeaderAsync();
        var health = new Health.HealthClient(Grpc.Net.Client.GrpcChannel.ForAddress(cluster.Settings[0].AdvertiseClientUrl));
        (await health.CheckAsync(new HealthCheckRequest(), TestCluster.Deadline())).Status.Should().Be(HealthCheckResponse.Types.ServingStatus.Serving);
        (await health.CheckAsync(new HealthCheckRequest { Service = "replicatedkv.v1.KeyValue" }, TestCluster.Deadline())).Status
            .Should().Be(HealthCheckResponse.Types.ServingStatus.Serving);

        await cluster.StopNodeAsync(1);
        await cluster.StopNodeAsync(2);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HealthCheckResponse.Types.ServingStatus status;
        do
        {
            await Task.Delay(50);
            status = (await health.CheckAsync(new HealthCheckRequest(), TestCluster.Deadline())).Status;
        }
        while (status == HealthCheckResponse.Types.ServingStatus.Serving && DateTime.UtcNow < deadline);

        status.Should().Be(HealthCheckResponse.Types.ServingStatus.NotServing);
    }
}
