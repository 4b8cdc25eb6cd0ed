using System.Globalization;
using Grpc.Core;

namespace ReplicatedKv.Server.Hosting.Tls;

/// <summary>
/// With --client-cert-auth or --auth-token-file, a KeyValue, Cluster or gRPC reflection call must carry a client certificate from the
/// trusted CA (checked during the TLS handshake) or a valid <c>authorization: Bearer</c> token; otherwise it is
/// answered UNAUTHENTICATED. grpc.health.v1 stays open so probes need no credentials.
/// </summary>
internal sealed class ClientAuthentication(ServerSecurity security)
{
    // Reflection too (v1 and v1alpha): it describes the whole API, which is no business of whoever cannot call it.
    private static readonly string[] ProtectedPrefixes = ["/replicatedkv.v1.KeyValue/", "/replicatedkv.v1.Cluster/", "/grpc.reflection."];

    private readonly string _refusal = security switch
    {
        { Tokens: not null, ClientCa: not null } => "missing or invalid token or client certificate",
        { Tokens: not null } => "missing or invalid token",
        _ => "missing client certificate signed by the trusted CA",
    };

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (!IsProtected(context.Request.Path.Value) || IsAuthenticated(context))
        {
            return next(context);
        }

        // A trailers-only gRPC answer: the status travels in the headers of an empty response.
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = ((int)StatusCode.Unauthenticated).ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = _refusal;
        return Task.CompletedTask;
    }

    private static bool IsProtected(string? path) => path is not null && ProtectedPrefixes.Any(p => path.StartsWith(p, StringComparison.Ordinal));

    // A certificate on the connection passed chain validation during the handshake, or the handshake would have failed.
    private bool IsAuthenticated(HttpContext context) =>
        (security.ClientCa is not null && context.Connection.ClientCertificate is not null) ||
        (security.Tokens?.Current.Accepts(context.Request.Headers.Authorization) ?? false);
}
