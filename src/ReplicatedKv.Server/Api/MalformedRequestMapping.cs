using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;

namespace ReplicatedKv.Server.Api;

/// <summary>
/// The protobuf runtime refuses a request it cannot parse (a string field that is not UTF-8, a truncated message)
/// before any service code runs, and gRPC reports that as UNKNOWN. That is the client's error, not ours: this turns
/// it into INVALID_ARGUMENT. A call counts as unparsed when it failed and its handler never marked it as started.
/// </summary>
internal static class MalformedRequestMapping
{
    private const string HandlerStarted = "rkv-handler-started";
    private const string ClientApiPrefix = "/replicatedkv.v1.";

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
        var unknown = ((int)StatusCode.Unknown).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!context.Response.HasStarted && context.Response.Headers["grpc-status"] == unknown)
        {
            context.Response.Headers["grpc-status"] = ((int)StatusCode.InvalidArgument).ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers["grpc-message"] = "malformed request: it does not parse as the method's message (are all strings valid UTF-8?)";
        }
        else if (context.Features.Get<IHttpResponseTrailersFeature>() is { } trailers && trailers.Trailers["grpc-status"] == unknown)
        {
            trailers.Trailers["grpc-status"] = ((int)StatusCode.InvalidArgument).ToString(System.Globalization.CultureInfo.InvariantCulture);
            trailers.Trailers["grpc-message"] = "malformed request: it does not parse as the method's message (are all strings valid UTF-8?)";
        }
    }
}
