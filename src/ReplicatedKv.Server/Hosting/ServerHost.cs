using System.Net;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using ReplicatedKv.Server.Api;
using ReplicatedKv.Server.Hosting.Tls;
using ReplicatedKv.Server.Metrics;
using ReplicatedKv.Server.Node;
using ReplicatedKv.Server.Settings;
using ReplicatedKv.Storage;
using ReplicatedKv.Transport;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace ReplicatedKv.Server.Hosting;

/// <summary>
/// Builds and runs one rkv-server: Kestrel with a client port, a peer port and an optional admin port, the gRPC
/// services, health endpoints and logging. The executable and the in-process test clusters both start nodes here.
/// </summary>
public sealed class ServerHost : IAsyncDisposable
{
    private const string PeerPathPrefix = "/replicatedkv.peer.v1.PeerLink";
    private const int AdminConnections = 64;

    private readonly NodeMetrics _metrics;

    private ServerHost(WebApplication app, KvNode node, NodeMetrics metrics, ServerSettings settings)
    {
        App = app;
        Node = node;
        _metrics = metrics;
        Settings = settings;
    }

    public WebApplication App { get; }

    public ServerSettings Settings { get; }

    public KvNode Node { get; }

    /// <summary>Opens the node's storage and starts serving. Throws if the data directory cannot be trusted.</summary>
    /// <param name="settings">The node's settings.</param>
    /// <param name="configureLogging">Extra logging configuration (tests add sinks).</param>
    /// <param name="peerTransportFactory">
    /// For tests only: builds the node's outbound peer transport (see <see cref="KvNode.OpenAsync"/>) so its peers
    /// can run over an in-memory network. Null, as the executable always passes, means gRPC links to the peers.
    /// The peer port and its gRPC service are served either way.
    /// </param>
    /// <param name="storageFiles">
    /// For tests only: the files the write-ahead log lives in (see <see cref="KvNode.OpenAsync"/>), such as a disk
    /// twin that fills up. Null, as the executable always passes, means the real disk.
    /// </param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<ServerHost> StartAsync(ServerSettings settings, Action<LoggerConfiguration>? configureLogging = null,
        Func<ClusterMembers, IPeerInbox, IPeerTransport>? peerTransportFactory = null,
        IStorageFiles? storageFiles = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ThreadPoolSizing.Raise(settings.MinThreads);
        // No reload: the host's default appsettings.json sources (cleared below) would otherwise keep a recursive
        // watch on the working directory, and a data directory under it woke the watcher on every log write
        // (6% of a node's CPU at one client, profiled). The node's own settings are read once, at start.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Configuration.Sources.Clear();
        builder.Host.UseSerilog((_, logging) =>
        {
            ConfigureLogging(logging, settings);
            configureLogging?.Invoke(logging);
        }, preserveStaticLogger: true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
        var metrics = new NodeMetrics();

        var clientMessageLimit = settings.MaxValueBytes + settings.MaxKeyBytes + (1 << 20);
        builder.Services.AddGrpc(o =>
            {
                o.MaxReceiveMessageSize = clientMessageLimit;
                o.EnableDetailedErrors = false;
            })
            .AddServiceOptions<PeerLinkService>(o => o.MaxReceiveMessageSize = KvNode.PeerLinkOptionsFor(settings).MaxMessageBytes);
        builder.Services.AddGrpcReflection();
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<HealthServiceImpl>();
        builder.Services.AddSingleton<PeerStreamLifetime>();
        builder.Services.AddSingleton(KvNode.PeerLinkOptionsFor(settings));

        // The node is opened before the host starts so a bad data directory fails the start, not the first request.
        var loggerFactory = new Serilog.Extensions.Logging.SerilogLoggerFactory(CreateLogger(settings, configureLogging), dispose: true);
        KvNode node;
        ServerSecurity security;
        try
        {
            security = ServerSecurity.Load(settings.Security, loggerFactory);
            ConfigureKestrel(builder, settings, new ConnectionLimits(metrics.Meter), security);
            KestrelTls.WarnIfOpen(loggerFactory.CreateLogger("ReplicatedKv.Server"), security, settings.ClientUrl, settings.PeerUrl);
            // Replaying the log is blocking file work: on a thread of its own, never a pool thread Kestrel will need
            // (in-process test clusters start nodes from pool threads, and other nodes there are serving).
            node = await Task.Factory.StartNew(
                () => KvNode.OpenAsync(settings, loggerFactory, metrics, transportFactory: peerTransportFactory, peerTls: security.Peer,
                    storageFiles: storageFiles, cancellationToken: cancellationToken),
                cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap().ConfigureAwait(false);
        }
        catch
        {
            metrics.Dispose();
            throw;
        }

        MetricsExport.AddServices(builder.Services, metrics, settings.NodeId);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(node);
        builder.Services.AddSingleton(node.Members);
        builder.Services.AddSingleton(node.PeerAuthenticator);
        builder.Services.AddSingleton<IPeerInbox>(node);

        // One instance for every peer stream (gRPC would make one per call): its counters of refused, stale and
        // malformed batches, which log only every 100th, must count across streams, or a flood logs every one.
        builder.Services.AddSingleton<PeerLinkService>();
        builder.Services.AddHostedService<NodeHostedService>();

        var app = builder.Build();
        RequestLogging.UseIfEnabled(app, settings);
        var peerPort = settings.PeerUrl.Port;
        app.Use((context, next) =>
        {
            // Clients and peers share one process but not one port: each port serves only its own services.
            var onPeerPort = context.Connection.LocalPort == peerPort;
            var isPeerCall = context.Request.Path.StartsWithSegments(PeerPathPrefix, StringComparison.Ordinal);
            if (onPeerPort != isPeerCall)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
        MetricsExport.MapOnAdminPort(app, settings.AdminUrl);

        // Outside the malformed-request mapping, so a call is counted with the status its client finally gets.
        app.Use(new ClientCallMetering(metrics).InvokeAsync);
        app.Use(MalformedRequestMapping.InvokeAsync);
        if (settings.Security.ClientAuthRequired)
        {
            app.Use(new ClientAuthentication(security).InvokeAsync);
        }

        app.MapGrpcService<KeyValueService>();
        app.MapGrpcService<ClusterService>();
        app.MapGrpcService<PeerLinkService>();
        app.MapGrpcService<HealthServiceImpl>();
        app.MapGrpcReflectionService();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", (KvNode n) => n.View.NotServingReason is { } reason
            ? Results.Text($"not ready: {reason}\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ready\n"));
#if RKV_FAULT_INJECTION
        FailpointEndpoints.MapIfEnabled(app, loggerFactory);
#endif

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            await node.DisposeAsync().ConfigureAwait(false);
            metrics.Dispose();
            throw;
        }

        return new ServerHost(app, node, metrics, settings);
    }

    public Task StopAsync(CancellationToken cancellationToken = default) => App.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // The executable gets here after a signal already stopped the host; tests get here to stop it.
        var lifetime = App.Services.GetRequiredService<IHostApplicationLifetime>();
        if (!lifetime.ApplicationStopped.IsCancellationRequested)
        {
            await App.StopAsync().ConfigureAwait(false);
        }

        await App.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
    }

    private static void ConfigureKestrel(WebApplicationBuilder builder, ServerSettings settings, ConnectionLimits limits, ServerSecurity security)
    {
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // gRPC needs HTTP/2; without TLS there is no protocol negotiation, so these ports speak only HTTP/2.
            Listen(kestrel, settings.ClientUrl, HttpProtocols.Http2, limits.For("client", settings.MaxClientConnections), KestrelTls.ForClientPort(security));
            Listen(kestrel, settings.PeerUrl, HttpProtocols.Http2, limits.For("peer", settings.MaxPeerConnections), KestrelTls.ForPeerPort(security));
            if (settings.AdminUrl is { } admin)
            {
                // Probes and scrapes: a handful of connections at a time is all this port ever needs.
                Listen(kestrel, admin, HttpProtocols.Http1, limits.For("admin", AdminConnections));
            }

            // A connection that sends nothing, or trickles its headers, is closed instead of holding a descriptor forever.
            kestrel.Limits.KeepAliveTimeout = settings.IdleConnectionTimeout;
            kestrel.Limits.RequestHeadersTimeout = settings.RequestHeadersTimeout;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1024;
            kestrel.AddServerHeader = false;
        });
    }

    private static void Listen(KestrelServerOptions kestrel, Uri url, HttpProtocols protocols, Func<ConnectionDelegate, ConnectionDelegate> limit,
        Action<ListenOptions>? tls = null)
    {
        void Configure(ListenOptions o)
        {
            o.Protocols = protocols;
            o.Use(limit);
            tls?.Invoke(o);
        }

        if (url.Host is "localhost")
        {
            kestrel.ListenLocalhost(url.Port, Configure);
        }
        else if (IPAddress.TryParse(url.Host.Trim('[', ']'), out var address))
        {
            kestrel.Listen(address, url.Port, Configure);
        }
        else
        {
            // A host name (as in docker-compose) names this machine from outside; listen on every interface.
            kestrel.ListenAnyIP(url.Port, Configure);
        }
    }

    private static Serilog.Core.Logger CreateLogger(ServerSettings settings, Action<LoggerConfiguration>? configure)
    {
        var logging = new LoggerConfiguration();
        ConfigureLogging(logging, settings);
        configure?.Invoke(logging);
        return logging.CreateLogger();
    }

    private static void ConfigureLogging(LoggerConfiguration logging, ServerSettings settings)
    {
        var level = Enum.Parse<LogEventLevel>(settings.LogLevel, ignoreCase: true);
        logging.MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft", level > LogEventLevel.Warning ? level : LogEventLevel.Warning)
            .MinimumLevel.Override("Grpc", level > LogEventLevel.Warning ? level : LogEventLevel.Warning)
            .Filter.ByExcluding(Api.MalformedRequestMapping.IsUnparsedRequestError)
            .Enrich.WithProperty("NodeId", settings.NodeId)
            .Enrich.FromLogContext()
            .Filter.ByExcluding(AbortedCallLogFilter.IsClientAbort);
        if (settings.LogFormat == "json")
        {
            logging.WriteTo.Console(new RenderedCompactJsonFormatter());
        }
        else
        {
            logging.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {NodeId} {SourceContext}: {Message:lj}{NewLine}{Exception}");
        }
    }
}
