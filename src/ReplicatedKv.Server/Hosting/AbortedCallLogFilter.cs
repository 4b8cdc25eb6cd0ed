using Serilog.Events;

namespace ReplicatedKv.Server.Hosting;

/// <summary>
/// gRPC logs "Error when executing service method" at Error when a client resets its stream before the server has
/// read the request (its deadline passed, or it cancelled): an IOException ("The client reset the request stream")
/// or a cancellation, raised inside gRPC before or around the handler. That is the client going away, not a server
/// fault, and under load it would fill the log with errors. Such lines are dropped; any other exception that
/// escapes a handler still logs at Error.
/// </summary>
internal static class AbortedCallLogFilter
{
    private const string GrpcServer = "Grpc.AspNetCore.Server";

    public static bool IsClientAbort(LogEvent logEvent) =>
        logEvent is { Level: >= LogEventLevel.Error, Exception: IOException or OperationCanceledException } &&
        logEvent.Properties.TryGetValue("SourceContext", out var source) &&
        source is ScalarValue { Value: string name } && name.StartsWith(GrpcServer, StringComparison.Ordinal);
}
