using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Hosting;
using ReplicatedKv.Server.Settings;
using Serilog.Core;
using Serilog.Events;

namespace ReplicatedKv.Server.Tests;

/// <summary>
/// A call whose deadline passes while its write waits for a quorum that never comes: the handler answers before the
/// deadline or not at all, writes its headers once, and nothing is logged as an error.
/// </summary>
public sealed class DeadlineTests
{
    [Fact]
    public async Task Writes_that_reach_their_deadline_log_no_error_and_end_unavailable_or_deadline_exceeded()
    {
        await using var node = await LoneMemberAsync();

        // Deadlines from 1 ms up: the shortest end before the handler runs, the middle ones race its answer (where
        // headers used to be sent twice, see LeaderHeadersTests), the longest get the handler's UNAVAILABLE.
        var calls = Enumerable.Range(0, 600).Select(i => WriteAsync(node.Client, $"k{i}", TimeSpan.FromMilliseconds(1 + (i % 60))));
        var statuses = await Task.WhenAll(calls);

        statuses.Should().OnlyContain(s => s == StatusCode.Unavailable || s == StatusCode.DeadlineExceeded);
        node.Errors.Should().BeEmpty("a call cancelled by its deadline is not a server error");
    }

    [Fact]
    public async Task A_write_with_time_to_spare_gets_unavailable_with_its_reason_and_readable_headers()
    {
        await using var node = await LoneMemberAsync();
        await WriteAsync(node.Client, "warm-up", TimeSpan.FromMilliseconds(200));

        using var call = node.Client.SetAsync(Request("spare"), deadline: DateTime.UtcNow.AddSeconds(3));
        var refusal = (await FluentActions.Awaiting(() => call.ResponseAsync).Should().ThrowAsync<RpcException>()).Which;
        refusal.StatusCode.Should().Be(StatusCode.Unavailable, "the handler answers at half the deadline: {0}", refusal.Status.Detail);
        refusal.Status.Detail.Should().Contain("no leader known");

        // No leader is known, so the headers carry no hint, but they were sent: reading them does not fail.
        (await call.ResponseHeadersAsync).Get(Api.LeaderHeaders.LeaderUrl).Should().BeNull();
        node.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task A_write_the_client_cancels_is_not_logged_as_an_error()
    {
        await using var node = await LoneMemberAsync();
        using var cancel = new CancellationTokenSource();
        var call = WriteAsync(node.Client, "cancelled", TimeSpan.FromSeconds(30), cancel.Token);
        await Task.Delay(200);
        await cancel.CancelAsync();

        (await call).Should().Be(StatusCode.Cancelled);
        await Task.Delay(200);
        node.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task A_refusal_carries_the_leader_hint_in_its_headers()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await cluster.WaitForLeaderAsync();

        using var call = cluster.Client(0).SetAsync(new SetRequest { Key = "absent", Value = ByteString.CopyFromUtf8("v"), IfRevision = 99 }, TestCluster.Deadline());
        (await FluentActions.Awaiting(() => call.ResponseAsync).Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.FailedPrecondition);
        (await call.ResponseHeadersAsync).GetValue(Api.LeaderHeaders.LeaderId).Should().Be("n1", "the hint travels with the refusal's status");
    }

    private static async Task<StatusCode> WriteAsync(KeyValue.KeyValueClient client, string key, TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        try
        {
            await client.SetAsync(Request(key), deadline: DateTime.UtcNow + deadline, cancellationToken: cancellationToken);
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }

    private static SetRequest Request(string key) => new()
    {
        Key = key,
        Value = ByteString.CopyFromUtf8("v"),
        RequestId = new RequestId { ClientId = "deadline-" + key, Sequence = 1 },
    };

    /// <summary>Node n1 of a three-member cluster whose other members never start: no write can ever be decided.</summary>
    private static async Task<LoneNode> LoneMemberAsync()
    {
        var ports = TestCluster.FreePorts(4);
        var settings = new ServerSettings
        {
            NodeId = "n1",
            Peers = $"n1=http://127.0.0.1:{ports[1]},n2=http://127.0.0.1:{ports[2]},n3=http://127.0.0.1:{ports[3]}",
            ClientUrl = new Uri($"http://127.0.0.1:{ports[0]}"),
            PeerUrl = new Uri($"http://127.0.0.1:{ports[1]}"),
            AdvertiseClientUrl = $"http://127.0.0.1:{ports[0]}",
            DataDir = Path.Combine(Path.GetTempPath(), "rkv-deadline-" + Guid.NewGuid().ToString("N")[..8]),
            TickInterval = TimeSpan.FromMilliseconds(30),
            LogLevel = "Warning",
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        };
        var sink = new ErrorSink();
        var host = await ServerHost.StartAsync(settings, logging => logging.WriteTo.Sink(sink));
        return new LoneNode(host, sink, settings.DataDir);
    }

    private sealed class LoneNode(ServerHost host, ErrorSink sink, string dataDir) : IAsyncDisposable
    {
        private readonly GrpcChannel _channel = GrpcChannel.ForAddress(host.Settings.AdvertiseClientUrl);

        public KeyValue.KeyValueClient Client => new(_channel);

        public IReadOnlyList<string> Errors => sink.Errors;

        public async ValueTask DisposeAsync()
        {
            _channel.Dispose();
            await host.DisposeAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>Keeps every Error or Fatal line, with its exception.</summary>
    private sealed class ErrorSink : ILogEventSink
    {
        private readonly ConcurrentQueue<string> _errors = new();

        public IReadOnlyList<string> Errors => [.. _errors];

        public void Emit(LogEvent logEvent)
        {
            if (logEvent.Level >= LogEventLevel.Error)
            {
                _errors.Enqueue(logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture) + " " + logEvent.Exception);
            }
        }
    }
}
