using System.Net.Security;
using System.Net.Sockets;

namespace ReplicatedKv.Client;

/// <summary>
/// Tells a plaintext call to a TLS port from a member that hung up: both end the HTTP/2 handshake early, but only a
/// TLS port answers a TLS hello with a certificate. Used only after such a failure on an http:// endpoint.
/// </summary>
internal static class TlsProbe
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);

    /// <summary>True if the failure ended an http:// connection during the HTTP/2 handshake, as a TLS port would.</summary>
    public static bool LooksLikeTlsPort(Uri endpoint, Exception? error)
    {
        if (endpoint.Scheme != Uri.UriSchemeHttp)
        {
            return false;
        }

        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Opens a connection and starts a TLS handshake; true if the port presents a certificate. Nothing is sent after the hello.</summary>
    public static async Task<bool> SpeaksTlsAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Patience);
        var presented = false;
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token).ConfigureAwait(false);

            // The certificate is only noted, never trusted: the handshake is always refused here.
            await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
            {
                presented = certificate is not null;
                return false;
            });
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = endpoint.Host,

                // Offered as a real gRPC client would, so the server has no reason to log the probe as an error.
                ApplicationProtocols = [SslApplicationProtocol.Http2],
            }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
        {
            // Refused, as intended, or no TLS there at all.
        }

        return presented;
    }
}
