using System.Globalization;
using Microsoft.AspNetCore.Http.Features;

namespace ReplicatedKv.Server.Metrics;

/// <summary>The gRPC status a finished call answered with, as its canonical name (OK, UNAVAILABLE, ...).</summary>
internal static class GrpcResponseStatus
{
    // gRPC's own names, indexed by code; cached so that recording a call allocates no string.
    private static readonly string[] Names =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
        "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    /// <summary>Null when the response carries no grpc-status (not a gRPC call, or it never got that far).</summary>
    public static string? Of(HttpContext context)
    {
        // A call that failed before sending a message is "trailers-only": its status travels in the headers.
        var value = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers.GrpcStatus ?? default;
        if (value.Count == 0)
        {
            value = context.Response.Headers.GrpcStatus;
        }

        if (value.Count == 0)
        {
            return null;
        }

        return int.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code >= 0 && code < Names.Length
            ? Names[code]
            : "UNKNOWN";
    }
}
