using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;
using Serilog.Events;

namespace ReplicatedKv.Server.Api;

/// <summary>
/// The protobuf runtime refuses a request it cannot parse (a string field that is not UTF-8, a truncated message)
/// before any service code runs, and gRPC reports that as UNKNOWN (and a badly framed one as INTERNAL). That is the
/// client's error, not ours: this turns it into INVALID_ARGUMENT. A call counts as unparsed when it failed and its handler never marked it as started.
/// gRPC also logs each such call as an error with a stack trace; that line is filtered out
/// (<see cref="IsUnparsedRequestError"/>) and the first unparsed request and every 100th after it logged as a warning.
/// </summary>
internal static class MalformedRequestMapping
{
    private const string HandlerStarted = "rkv-handler-started";
    private const string ClientApiPrefix = "/replicatedkv.v1.";
    private const string CallHandlerSource = "\"Grpc.AspNetCore.Server.ServerCallHandler\"";

    // Shared by the nodes of one process (tests); a server process has one node.
    private static long _unparsed;

    /// <summary>
    /// gRPC's error line for a request the protobuf runtime could not parse (its own exception, or one thrown from
    /// inside the runtime for some malformed lengths, protocolbuffers/protobuf#26856) or gRPC could not unframe (a
    /// compressed flag that is neither 0 nor 1, a length over 2 GiB). Each is the client's error.
    /// </summary>
    public static bool IsUnparsedRequestError(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        return logEvent.Level == LogEventLevel.Error
            && logEvent.Properties.TryGetValue("SourceContext", out var source) && source.ToString() == CallHandlerSource
            && logEvent.Exception is { } e
            && (e is InvalidProtocolBufferException || ThrownFrom(e, "Google.Protobuf.") || ThrownFrom(e, "Grpc.AspNetCore.Server.Internal.PipeExtensions."));
    }

    /// <summary>True when <paramref name="e"/> was thrown inside <paramref name="prefix"/> (the request's framing or parsing).</summary>
    private static bool ThrownFrom(Exception e, string prefix) => e.StackTrace?.TrimStart().StartsWith("at " + prefix, StringComparison.Ordinal) == true;

    /// <summary>Called first thing by every client API handler.</summary>
    public static void MarkStarted(ServerCallContext context) => context.GetHttpContext().Items[HandlerStarted] = true;

    public static async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        await next(context).ConfigureAwait(false);
        if (context.Items.ContainsKey(HandlerStarted) || context.Request.Path.Value?.StartsWith(ClientApiPrefix, StringComparison.Ordinal) != true)
        {
            return;
        }

        // A failed call with no message is "trailers-only": its status travels in the headers if they are unsent.
        var rewritten = (!context.Response.HasStarted && Rewrite(context.Response.Headers)) ||
                        (context.Features.Get<IHttpResponseTrailersFeature>() is { } trailers && Rewrite(trailers.Trailers));

        if (rewritten && Interlocked.Increment(ref _unparsed) % 100 == 1)
        {
            context.RequestServices.GetRequiredService<Serilog.ILogger>().ForContext("SourceContext", "ReplicatedKv.Server.Api").Warning(
                "Refused a malformed request to {Path} from {Address} as INVALID_ARGUMENT (it does not parse or is not framed right); {Count} so far",
                context.Request.Path.Value, context.Connection.RemoteIpAddress?.ToString(), Interlocked.Read(ref _unparsed));
        }
    }

    /// <summary>
    /// UNKNOWN (the protobuf runtime threw) or INTERNAL (gRPC's framing checks: a length longer than the body, a
    /// compressed flag with no compression) for a call whose handler never started becomes INVALID_ARGUMENT.
    /// </summary>
    private static bool Rewrite(IHeaderDictionary headers)
    {
        var status = headers["grpc-status"].ToString();
        string message;
        if (status == Code(StatusCode.Unknown))
        {
            message = "malformed request: it does not parse as the method's message (are all strings valid UTF-8?)";
        }
        else if (status == Code(StatusCode.Internal))
        {
            message = "malformed request: " + headers["grpc-message"];
        }
        else
        {
            return false;
        }

        headers["grpc-status"] = Code(StatusCode.InvalidArgument);
        headers["grpc-message"] = message;
        return true;
    }

    private static string Code(StatusCode code) => ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
