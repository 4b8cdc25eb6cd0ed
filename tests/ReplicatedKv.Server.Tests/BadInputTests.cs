using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using ReplicatedKv.Protos.V1;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Tests;

public sealed class BadInputTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(3, s => s with { MaxKeyBytes = 16, MaxValueBytes = 64 });
        await _cluster.WaitForLeaderAsync();
        await TestCluster.RetryAsync(() => _cluster.Client(0).SetAsync("keep", "me"));
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Theory]
    [InlineData("", 4, "key is empty")]
    [InlineData("a-key-longer-than-16-bytes", 4, "limit is 16 (max-key-bytes)")]
    [InlineData("ok", 65, "limit is 64 (max-value-bytes)")]
    public async Task Oversize_or_empty_keys_and_values_are_invalid_arguments(string key, int valueBytes, string message)
    {
        var set = async () => await _cluster.Client(1).SetAsync(new SetRequest { Key = key, Value = ByteString.CopyFrom(new byte[valueBytes]) }, TestCluster.Deadline());
        var error = (await set.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(StatusCode.InvalidArgument);
        error.Status.Detail.Should().Contain(message);
        await StoreIsUnharmed();
    }

    [Fact]
    public async Task Reads_check_keys_too()
    {
        var get = async () => await _cluster.Client(0).GetAsync(new GetRequest { Key = new string('k', 17) }, TestCluster.Deadline());
        (await get.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.InvalidArgument);
        var contains = async () => await _cluster.Client(0).ContainsAsync(new ContainsRequest { Key = "" }, TestCluster.Deadline());
        (await contains.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.InvalidArgument);
    }

    [Fact]
    public async Task Unknown_read_consistency_is_an_invalid_argument()
    {
        var get = async () => await _cluster.Client(0).GetAsync(new GetRequest { Key = "keep", Consistency = (ReadConsistency)7 }, TestCluster.Deadline());
        var error = (await get.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(StatusCode.InvalidArgument);
        error.Status.Detail.Should().Contain("consistency 7");
    }

    [Fact]
    public async Task A_key_that_is_not_valid_utf8_is_an_invalid_argument()
    {
        // SetRequest field 1 (key) with the bytes FF FE, field 2 (value) "v": built by hand, as no client library would.
        byte[] request = [0x0A, 0x02, 0xFF, 0xFE, 0x12, 0x01, (byte)'v'];
        var method = new Method<byte[], byte[]>(MethodType.Unary, "replicatedkv.v1.KeyValue", "Set",
            Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        using var channel = GrpcChannel.ForAddress(_cluster.Settings[0].AdvertiseClientUrl);
        var call = async () => await channel.CreateCallInvoker().AsyncUnaryCall(method, null, TestCluster.Deadline(), request);
        var error = (await call.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(StatusCode.InvalidArgument);
        error.Status.Detail.Should().Contain("UTF-8");
        await StoreIsUnharmed();
    }

    [Fact]
    public async Task A_request_id_without_a_client_is_an_invalid_argument()
    {
        var set = async () => await _cluster.Client(0).SetAsync("k", "v", id: new RequestId { ClientId = "", Sequence = 1 });
        (await set.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.InvalidArgument);
    }

    [Fact]
    public async Task Peer_messages_from_another_cluster_or_an_unknown_node_are_refused()
    {
        var hashBefore = await _cluster.WaitConvergedAsync();
        using var channel = GrpcChannel.ForAddress(_cluster.Settings[0].PeerUrl);
        var peers = new Wire.PeerLink.PeerLinkClient(channel);
        foreach (var (clusterId, from) in new[] { ("another-cluster", "n2"), (_cluster.Settings[0].ClusterId, "intruder") })
        {
            using var stream = peers.Stream(TestCluster.Deadline());
            var batch = new Wire.PeerBatch { ClusterId = clusterId, From = from };

            // A forged decision: were it taken, it would overwrite the table at the next slot.
            batch.Messages.Add(new Wire.PeerMessage
            {
                To = 1,
                Accept = new Wire.Accept { Ballot = new Wire.Ballot { Round = 1_000_000, Node = 2 }, DecidedIndex = 1_000 },
            });
            var send = async () =>
            {
                await stream.RequestStream.WriteAsync(batch);
                await stream.RequestStream.CompleteAsync();
                await stream.ResponseAsync;
            };
            (await send.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.PermissionDenied);
        }

        (await _cluster.WaitConvergedAsync()).Should().Be(hashBefore);
        await StoreIsUnharmed();
    }

    [Fact]
    public async Task The_peer_port_does_not_serve_clients_and_the_client_port_does_not_serve_peers()
    {
        using var peerChannel = GrpcChannel.ForAddress(_cluster.Settings[0].PeerUrl);
        var get = async () => await new KeyValue.KeyValueClient(peerChannel).GetAsync(new GetRequest { Key = "keep" }, TestCluster.Deadline());
        (await get.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unimplemented);

        using var clientChannel = GrpcChannel.ForAddress(_cluster.Settings[0].AdvertiseClientUrl);
        using var stream = new Wire.PeerLink.PeerLinkClient(clientChannel).Stream(TestCluster.Deadline());
        var send = async () =>
        {
            await stream.RequestStream.WriteAsync(new Wire.PeerBatch { ClusterId = _cluster.Settings[0].ClusterId, From = "n2" });
            await stream.ResponseAsync;
        };
        (await send.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.Unimplemented);
    }

    private async Task StoreIsUnharmed()
    {
        // Retried like any client would: on a loaded machine leadership can move while these run.
        (await TestCluster.RetryAsync(() => _cluster.Client(2).GetAsync("keep"))).Should().Be("me");
        await TestCluster.RetryAsync(() => _cluster.Client(1).SetAsync("after", "bad input"));
        (await TestCluster.RetryAsync(() => _cluster.Client(0).GetAsync("after"))).Should().Be("bad input");
    }
}
