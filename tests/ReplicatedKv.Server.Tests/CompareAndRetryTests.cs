using Grpc.Core;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Tests;

public sealed class CompareAndRetryTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(3);
        await _cluster.WaitForLeaderAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task If_version_zero_creates_only_when_absent()
    {
        var client = _cluster.Client(1);
        var created = await TestCluster.RetryAsync(() => client.SetAsync("cas", "first", ifVersion: 0));
        created.Revision.Should().BeGreaterThan(0);

        var again = async () => await client.SetAsync("cas", "second", ifVersion: 0);
        (await again.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.FailedPrecondition);
        (await client.GetAsync("cas")).Should().Be("first");
    }

    [Fact]
    public async Task Compare_on_version_applies_only_on_a_match()
    {
        var client = _cluster.Client(2);
        var v1 = (await TestCluster.RetryAsync(() => client.SetAsync("k", "a"))).Revision;
        var v2 = (await client.SetAsync("k", "b", ifVersion: v1)).Revision;
        v2.Should().BeGreaterThan(v1);

        var stale = async () => await client.SetAsync("k", "c", ifVersion: v1);
        var error = (await stale.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(StatusCode.FailedPrecondition);
        error.Status.Detail.Should().Contain($"version {v2}");

        var staleRemove = async () => await client.RemoveAsync("k", ifVersion: v1);
        (await staleRemove.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.FailedPrecondition);
        (await client.GetAsync("k")).Should().Be("b");

        var removed = await client.RemoveAsync("k", ifVersion: v2);
        removed.Removed.Should().BeTrue();
        (await client.GetAsync("k")).Should().BeNull();
    }

    [Fact]
    public async Task Responses_name_the_leader_in_their_headers()
    {
        var leader = await _cluster.WaitForLeaderAsync();
        foreach (var node in new[] { 0, 1, 2 })
        {
            using var call = _cluster.Client(node).SetAsync(new SetRequest { Key = "h", Value = Google.Protobuf.ByteString.CopyFromUtf8("x") }, TestCluster.Deadline());
            var headers = await call.ResponseHeadersAsync;
            await call.ResponseAsync;
            headers.GetValue("rkv-leader-id").Should().Be(_cluster.Settings[leader].NodeId);
            headers.GetValue("rkv-leader-url").Should().Be(_cluster.Settings[leader].AdvertiseClientUrl);
        }
    }
}
