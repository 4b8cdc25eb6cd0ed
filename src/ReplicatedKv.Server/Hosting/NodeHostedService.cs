using Grpc.Health.V1;
using Grpc.HealthCheck;
using ReplicatedKv.Server.Node;
using ReplicatedKv.Transport;

namespace ReplicatedKv.Server.Hosting;

/// <summary>
/// Runs the node inside the host: starts its loop, mirrors its view into grpc.health.v1, and on shutdown lets
/// client requests drain before it closes the peer streams and stops the loop.
/// </summary>
internal sealed partial class NodeHostedService(KvNode node, HealthServiceImpl health, PeerStreamLifetime peerStreams,
    IHostApplicationLifetime lifetime, Settings.ServerSettings settings, ILogger<NodeHostedService> logger) : IHostedService
{
    /// <summary>The service name clients check; the empty name means the whole server, as grpc-health-probe asks.</summary>
    public const string ServiceName = "replicatedkv.v1.KeyValue";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        SetHealth(node.View);
        node.ViewChanged += SetHealth;
        lifetime.ApplicationStopping.Register(() => _ = DrainThenClosePeersAsync());
        node.Start();
        _ = node.Completion.ContinueWith(t =>
        {
            if (t.IsFaulted)
            {
                LogNodeFailed(logger);
                Environment.ExitCode = 1;
                lifetime.StopApplication();
            }
        }, TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        node.ViewChanged -= SetHealth;
        health.SetStatus("", HealthCheckResponse.Types.ServingStatus.NotServing);
        health.SetStatus(ServiceName, HealthCheckResponse.Types.ServingStatus.NotServing);
        peerStreams.Close();
        await node.DisposeAsync().ConfigureAwait(false);
    }

    private async Task DrainThenClosePeersAsync()
    {
        // In-flight writes need the peers to finish, so the peer streams stay open until they are answered.
        var deadline = DateTime.UtcNow + settings.ShutdownTimeout - TimeSpan.FromSeconds(0.5);
        while (node.PendingRequests > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        peerStreams.Close();
    }

    private void SetHealth(NodeView view)
    {
        var status = view.NotServingReason is null ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing;
        health.SetStatus("", status);
        health.SetStatus(ServiceName, status);
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The node failed; stopping the server")]
    private static partial void LogNodeFailed(ILogger logger);
}
