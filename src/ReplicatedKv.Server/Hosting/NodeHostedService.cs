using Grpc.Health.V1;
using Grpc.HealthCheck;
using ReplicatedKv.Server.Node;
using ReplicatedKv.Transport;

namespace ReplicatedKv.Server.Hosting;

/// <summary>
/// Runs the node inside the host: starts its loop, mirrors its view into grpc.health.v1, and on shutdown lets
/// client requests drain before it closes the peer streams and stops the loop. A leader first hands leadership to
/// its most up-to-date voter (as etcd does on SIGTERM), while the server still takes requests, so clients find the
/// new leader without waiting out an election timeout.
/// </summary>
internal sealed partial class NodeHostedService(KvNode node, HealthServiceImpl health, PeerStreamLifetime peerStreams,
    IHostApplicationLifetime lifetime, Settings.ServerSettings settings, ILogger<NodeHostedService> logger) : IHostedLifecycleService
{
    /// <summary>The service name clients check; the empty name means the whole server, as grpc-health-probe asks.</summary>
    public const string ServiceName = "replicatedkv.v1.KeyValue";

    private readonly Lock _handOverGate = new();
    private Task? _handOver;

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

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Runs before ApplicationStopping and before Kestrel stops: the hand-over needs the peer streams, and writes that
    /// arrive meanwhile wait for the new leader. Bounded by three election timeouts and by the host's shutdown token.
    /// </summary>
    public Task StoppingAsync(CancellationToken cancellationToken) => HandOverOnce(cancellationToken);

    // SIGTERM raises ApplicationStopping before the host calls StoppingAsync; a StopAsync call does the reverse. Both
    // wait for the one hand-over, and the peer streams stay open until it is over.
    private Task HandOverOnce(CancellationToken cancellationToken)
    {
        lock (_handOverGate)
        {
            return _handOver ??= HandOverAsync(cancellationToken);
        }
    }

    private async Task HandOverAsync(CancellationToken cancellationToken)
    {
        if (!node.View.IsLeader)
        {
            return;
        }

        try
        {
            var outcome = await node.HandOverLeadershipAsync(cancellationToken).ConfigureAwait(false);
            if (outcome.Succeeded)
            {
                LogHandedOver(logger, outcome.Leader!);
            }
            else
            {
                LogHandOverFailed(logger, outcome.Reason!);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            LogHandOverFailed(logger, ex.Message);
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

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
        await HandOverOnce(CancellationToken.None).ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: handed leadership to {Leader}")]
    private static partial void LogHandedOver(ILogger logger, string leader);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping without handing leadership over ({Reason}); the others elect a leader after an election timeout")]
    private static partial void LogHandOverFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The node failed; stopping the server")]
    private static partial void LogNodeFailed(ILogger logger);
}
