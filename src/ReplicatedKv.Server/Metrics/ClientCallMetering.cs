using System.Collections.Frozen;
using System.Diagnostics;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Metrics;

/// <summary>
/// Counts and times every unary client API call by service, method and gRPC status. It is middleware rather than a gRPC
/// interceptor so that it also sees calls refused before any handler ran (a request that does not parse), with the
/// status the client finally gets. Only the API's own methods are counted: a made-up path cannot add a series.
/// </summary>
internal sealed class ClientCallMetering(NodeMetrics metrics)
{
    private static readonly FrozenDictionary<string, (string Service, string Method)> Methods = IndexMethods(
        KeyValue.Descriptor, Cluster.Descriptor, Grpc.Health.V1.Health.Descriptor);

    public Task InvokeAsync(HttpContext context, RequestDelegate next) =>
        context.Request.Path.Value is { } path && Methods.TryGetValue(path, out var method)
            ? MeasureAsync(context, next, method.Service, method.Method)
            : next(context);

    private async Task MeasureAsync(HttpContext context, RequestDelegate next, string service, string method)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            metrics.ClientCallFinished(service, method, GrpcResponseStatus.Of(context) ?? "UNKNOWN", Stopwatch.GetElapsedTime(started));
        }
    }

    private static FrozenDictionary<string, (string Service, string Method)> IndexMethods(params Google.Protobuf.Reflection.ServiceDescriptor[] services)
    {
        var methods = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            foreach (var method in service.Methods)
            {
                // A stream (health's Watch) lives as long as its client likes: its "latency" would say nothing.
                if (method.IsClientStreaming || method.IsServerStreaming)
                {
                    continue;
                }

                methods["/" + service.FullName + "/" + method.Name] = (service.FullName, method.Name);
            }
        }

        return methods.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
