using ReplicatedKv.Server.Metrics;
using ReplicatedKv.Server.Settings;
using Serilog;
using Serilog.Events;

namespace ReplicatedKv.Server.Hosting;

/// <summary>
/// One Debug line per HTTP request (gRPC calls included, with their grpc-status), for <c>--log-level Debug</c> or
/// Verbose. At Information and above the middleware is not even installed: a busy node serves thousands of calls a
/// second, and ASP.NET Core's own per-request lines stay off at every level (the "Microsoft" sources log Warning and up).
/// </summary>
internal static class RequestLogging
{
    public static bool IsEnabled(ServerSettings settings) =>
        Enum.Parse<LogEventLevel>(settings.LogLevel, ignoreCase: true) <= LogEventLevel.Debug;

    public static void UseIfEnabled(IApplicationBuilder app, ServerSettings settings)
    {
        if (!IsEnabled(settings))
        {
            return;
        }

        app.UseSerilogRequestLogging(options =>
        {
            // The host's logger (node id and sinks included); by default the middleware would use the static
            // Log.Logger, which this server leaves alone so that several nodes can share one process.
            options.Logger = app.ApplicationServices.GetRequiredService<Serilog.ILogger>();
            options.MessageTemplate = "{RequestProtocol} {RequestMethod} {RequestPath} on port {LocalPort} responded {StatusCode} grpc-status {GrpcStatus} in {Elapsed:0.000} ms";
            options.GetLevel = static (_, _, _) => LogEventLevel.Debug;
            options.EnrichDiagnosticContext = static (diagnostics, context) =>
            {
                diagnostics.Set("RequestProtocol", context.Request.Protocol);
                diagnostics.Set("LocalPort", context.Connection.LocalPort);
                diagnostics.Set("GrpcStatus", GrpcResponseStatus.Of(context) ?? "-");
            };
        });
    }
}
