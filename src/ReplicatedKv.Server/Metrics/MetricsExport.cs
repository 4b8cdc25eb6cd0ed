using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ReplicatedKv.Server.Metrics;

/// <summary>
/// Exports the node's meter in Prometheus text format at <c>/metrics</c> on the admin port, the HTTP/1.1 port that
/// Prometheus scrapes. Not on the client or peer ports: those speak only HTTP/2 and serve only their own services.
/// </summary>
internal static class MetricsExport
{
    public const string Path = "/metrics";

    /// <summary>The .NET runtime's own meter (GC, memory, thread pool, CPU): one per process, exported as it is.</summary>
    private const string RuntimeMeterName = "System.Runtime";

    public static void AddServices(IServiceCollection services, NodeMetrics metrics, string nodeId) =>
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("rkv-server", serviceInstanceId: nodeId, autoGenerateServiceInstanceId: false))
            .WithMetrics(provider => provider
                .AddMeter(NodeMetrics.MeterName, RuntimeMeterName)

                // Meters are process-wide: with several nodes in one process, each provider must keep to its own node's.
                .AddView(instrument => instrument.Meter.Name == NodeMetrics.MeterName && !ReferenceEquals(instrument.Meter, metrics.Meter)
                    ? MetricStreamConfiguration.Drop
                    : null)

                // Every scrape sees the numbers of that moment: a write followed by a scrape finds itself counted.
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));

    /// <summary>Serves the scrape endpoint on the admin port only (by the port the request came in on, not its Host header).</summary>
    public static void MapOnAdminPort(IApplicationBuilder app, Uri? adminUrl)
    {
        if (adminUrl is { Port: var adminPort })
        {
            app.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
                context.Connection.LocalPort == adminPort && context.Request.Path == Path);
        }
    }
}
