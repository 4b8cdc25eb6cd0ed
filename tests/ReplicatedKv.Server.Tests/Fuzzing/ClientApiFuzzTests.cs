using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Testing.Fuzzing;

namespace ReplicatedKv.Server.Tests.Fuzzing;

/// <summary>
/// Mutated request bodies for every client API method, sent as raw gRPC messages to a real cluster's client
/// ports: every call ends with a status a client can act on (OK, or INVALID_ARGUMENT and the like; never
/// UNKNOWN or INTERNAL, never a stack trace), and a request that was refused leaves the table as it was.
/// </summary>
public sealed class ClientApiFuzzTests : IAsyncLifetime
{
    /// <summary>Statuses that say the request was refused and nothing was written.</summary>
    private static readonly StatusCode[] Refusals = [StatusCode.InvalidArgument, StatusCode.OutOfRange, StatusCode.ResourceExhausted, StatusCode.NotFound];

    /// <summary>
    /// A compare-and-set whose revision did not match: decided like any write (its outcome is remembered for the
    /// request id's retries, so the table's hash moves), then answered as refused.
    /// </summary>
    private static readonly StatusCode[] DecidedRefusals = [StatusCode.FailedPrecondition];

    /// <summary>Statuses a write may also end with when its outcome is unknown (leadership moved), as any client sees them.</summary>
    private static readonly StatusCode[] Retryable = [StatusCode.Unavailable, StatusCode.Aborted, StatusCode.DeadlineExceeded];

    private TestCluster _cluster = null!;
    private readonly GrpcChannel?[] _channels = new GrpcChannel?[3];

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync(3, s => s with { MaxKeyBytes = 64, MaxValueBytes = 256 });
        await TestCluster.RetryAsync(() => _cluster.Client(0).SetAsync("keep", "me"));
    }

    public async Task DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel?.Dispose();
        }

        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Mutated_requests_get_a_clear_status_and_refused_ones_change_nothing()
    {
        var corpus = Corpus();
        var encoded = corpus.Select(c => c.Request.ToByteArray()).ToList();
        var codes = new Dictionary<StatusCode, int>();
        var hash = await _cluster.WaitConvergedAsync();

        // One call at a time, so the table's hash before and after a refused call can be compared.
        await FuzzRun.SeedsAsync("client-api", 300, async seed =>
        {
            var mutator = new ByteMutator(seed);
            var pick = mutator.Random.Next(corpus.Count);
            var (service, method, _) = corpus[pick];
            var bytes = mutator.Mutate(encoded[pick], encoded);
            var node = mutator.Random.Next(3);
            var status = await CallAsync(node, service, method, bytes);
            codes[status.StatusCode] = codes.GetValueOrDefault(status.StatusCode) + 1;

            status.StatusCode.Should().NotBe(StatusCode.Unknown, $"{method} answered UNKNOWN: {status.Detail}");
            status.StatusCode.Should().NotBe(StatusCode.Internal, $"{method} answered INTERNAL: {status.Detail}");
            status.StatusCode.Should().BeOneOf([StatusCode.OK, .. Refusals, .. DecidedRefusals, .. Retryable], status.Detail);
            status.Detail.Should().NotContain(" at ReplicatedKv.", "no stack trace reaches a client").And.NotContain("Exception");

            var after = await _cluster.WaitConvergedAsync();
            if (Refusals.Contains(status.StatusCode))
            {
                after.Should().Be(hash, $"a refused {method} ({status.StatusCode}: {status.Detail}) changed the table");
            }

            hash = after;
        });

        codes.Should().ContainKey(StatusCode.OK).And.ContainKey(StatusCode.InvalidArgument);
        (await TestCluster.RetryAsync(() => _cluster.Client(2).GetAsync("keep"))).Should().NotBeNull();
        await TestCluster.RetryAsync(() => _cluster.Client(1).SetAsync("after", "fuzz"));
        (await TestCluster.RetryAsync(() => _cluster.Client(0).GetAsync("after"))).Should().Be("fuzz");
    }

    [Fact]
    public async Task Mutated_grpc_frames_get_a_status_and_the_node_serves_on()
    {
        // The 5-byte gRPC frame header (compressed flag, big-endian length) mutated with the body, sent as the raw
        // HTTP/2 request body: a length that lies, a compressed flag with no compression, a frame cut short.
        var body = new SetRequest { Key = "framed", Value = ByteString.CopyFromUtf8("v"), RequestId = new RequestId { ClientId = "fuzz", Sequence = 1 } }.ToByteArray();
        var frame = new byte[5 + body.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)body.Length);
        body.CopyTo(frame, 5);
        using var http = new HttpClient(new SocketsHttpHandler());
        var statuses = new Dictionary<string, int>();
        await FuzzRun.SeedsAsync("client-frames", 150, async seed =>
        {
            var bytes = new ByteMutator(seed).Mutate(frame, [frame]);
            var node = seed % 3;
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(_cluster.Settings[node].AdvertiseClientUrl), "/replicatedkv.v1.KeyValue/Set"))
            {
                Content = new ByteArrayContent(bytes),
                Version = System.Net.HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
            request.Headers.TE.ParseAdd("trailers");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            var status = GrpcStatusOf(response);
            status.Should().NotBeNull($"every call ends with a grpc-status (HTTP {(int)response.StatusCode} {string.Join(";", response.Headers.Select(h => h.Key + "=" + string.Join(",", h.Value)))} {await response.Content.ReadAsStringAsync()})");
            ((StatusCode)status!.Value).Should().NotBe(StatusCode.Internal).And.NotBe(StatusCode.Unknown);
            statuses[((StatusCode)status.Value).ToString()] = statuses.GetValueOrDefault(((StatusCode)status.Value).ToString()) + 1;
        });

        statuses.Should().NotBeEmpty();
        await TestCluster.RetryAsync(() => _cluster.Client(1).SetAsync("after-frames", "fuzz"));
        (await TestCluster.RetryAsync(() => _cluster.Client(2).GetAsync("after-frames"))).Should().Be("fuzz");
    }

    private static int? GrpcStatusOf(HttpResponseMessage response)
    {
        foreach (var headers in new[] { response.TrailingHeaders, response.Headers })
        {
            if (headers.TryGetValues("grpc-status", out var values) && int.TryParse(values.First(), out var status))
            {
                return status;
            }
        }

        return null;
    }

    /// <summary>One valid request for every method, with every field set, as the seeds to mutate.</summary>
    private static List<(string Service, string Method, IMessage Request)> Corpus()
    {
        const string kv = "replicatedkv.v1.KeyValue";
        var id = new RequestId { ClientId = "fuzz-client", Sequence = 3 };
        return
        [
            (kv, "Get", new GetRequest { Key = "keep", Consistency = ReadConsistency.Linearizable }),
            (kv, "Get", new GetRequest { Key = "ключ", Consistency = ReadConsistency.Serializable }),
            (kv, "Set", new SetRequest { Key = "fuzzed", Value = ByteString.CopyFromUtf8("value"), RequestId = id }),
            (kv, "Set", new SetRequest { Key = "keep", Value = ByteString.CopyFrom(new byte[200]), IfRevision = 1, RequestId = id }),
            (kv, "Remove", new RemoveRequest { Key = "fuzzed", IfRevision = 7, RequestId = id }),
            (kv, "Contains", new ContainsRequest { Key = "keep", Consistency = ReadConsistency.Linearizable }),
            (kv, "List", new ListRequest { Prefix = "k", Limit = 10, KeysOnly = true, Consistency = ReadConsistency.Serializable }),
            (kv, "List", new ListRequest { Start = "a", End = "z", Limit = 2, ContinuationToken = "AAAA" }),
            ("replicatedkv.v1.Cluster", "Status", new StatusRequest { IncludeStateHash = true }),
        ];
    }

    private async Task<Status> CallAsync(int node, string service, string method, byte[] request)
    {
        var channel = _channels[node] ??= GrpcChannel.ForAddress(_cluster.Settings[node].AdvertiseClientUrl);
        var raw = new Method<byte[], byte[]>(MethodType.Unary, service, method, Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        try
        {
            await channel.CreateCallInvoker().AsyncUnaryCall(raw, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(20)), request);
            return Status.DefaultSuccess;
        }
        catch (RpcException e)
        {
            return e.Status;
        }
    }
}
