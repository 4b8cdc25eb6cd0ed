using System.Collections.Concurrent;
using Grpc.Net.Client;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Hosting;
using ReplicatedKv.Server.Settings;
using Serilog.Core;
using Serilog.Events;

namespace ReplicatedKv.Server.Tests;

/// <summary>A line per request is for debugging: on at --log-level Debug, absent at Information.</summary>
public sealed class RequestLoggingTests
{
    private const string RequestLogger = "Serilog.AspNetCore.RequestLoggingMiddleware";

    [Fact]
    public async Task At_Debug_every_request_gets_one_line_with_its_path_grpc_status_and_node()
    {
        var events = await RunOneNodeAsync("Debug");

        // Tries before the node elected itself answer UNAVAILABLE and are logged too; one call succeeded.
        var set = events.Where(e => Text(e, "SourceContext") == RequestLogger && Text(e, "RequestPath") == "/replicatedkv.v1.KeyValue/Set").ToArray();
        set.Where(e => Text(e, "GrpcStatus") == "OK").Should().ContainSingle("one Set call succeeded");
        set.Should().OnlyContain(e => e.Level == LogEventLevel.Debug && Text(e, "NodeId") == "n1");
    }

    [Fact]
    public async Task At_Information_no_request_is_logged_by_us_or_by_ASP_NET_Core()
    {
        var events = await RunOneNodeAsync("Information");

        events.Should().Contain(e => Text(e, "SourceContext") == "ReplicatedKv.Node", "the node's own Information lines still come through");
        events.Should().NotContain(e => Text(e, "SourceContext") == RequestLogger);
        events.Should().NotContain(e => (Text(e, "SourceContext") ?? "").StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) && e.Level < LogEventLevel.Warning,
            "ASP.NET Core's 'Request starting/finished' lines are Information, and would be one per call");
    }

    /// <summary>Starts a one-node cluster at <paramref name="level"/>, makes one Set call, stops it, and returns what it logged.</summary>
    private static async Task<LogEvent[]> RunOneNodeAsync(string level)
    {
        var ports = TestCluster.FreePorts(2);
        var dataDir = Path.Combine(Path.GetTempPath(), "rkv-logging-" + Guid.NewGuid().ToString("N")[..8]);
        var settings = new ServerSettings
        {
            NodeId = "n1",
            Peers = $"n1=http://127.0.0.1:{ports[1]}",
            ClientUrl = new Uri($"http://127.0.0.1:{ports[0]}"),
            PeerUrl = new Uri($"http://127.0.0.1:{ports[1]}"),
            AdvertiseClientUrl = $"http://127.0.0.1:{ports[0]}",
            DataDir = dataDir,
            TickInterval = TimeSpan.FromMilliseconds(30),
            LogLevel = level,
        };
        var sink = new CapturingSink();
        try
        {
            await using (var host = await ServerHost.StartAsync(settings, logging => logging.WriteTo.Sink(sink)))
            {
                using var channel = GrpcChannel.ForAddress(settings.AdvertiseClientUrl);
                await new KeyValue.KeyValueClient(channel).SetAsync("logged", "v");
            }

            return sink.Events;
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static string? Text(LogEvent e, string property) =>
        e.Properties.TryGetValue(property, out var value) && value is ScalarValue { Value: string text } ? text : null;

    private sealed class CapturingSink : ILogEventSink
    {
        private readonly ConcurrentQueue<LogEvent> _events = new();

        public LogEvent[] Events => _events.ToArray();

        public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);
    }
}
