using Grpc.Core;
using Grpc.Net.Client;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Testing.Transport;

/// <summary>Opens one peer stream by hand, as a stranger or a lying member would, and reports how it ended.</summary>
public static class PeerStreamProbe
{
    /// <summary>One stream to <paramref name="peerUrl"/> carrying <paramref name="batch"/>; the error that ended it, or null if none.</summary>
    public static async Task<RpcException?> SendAsync(Uri peerUrl, Metadata headers, Wire.PeerBatch batch)
    {
        using var channel = GrpcChannel.ForAddress(peerUrl, new GrpcChannelOptions { MaxSendMessageSize = null });
        using var call = new Wire.PeerLink.PeerLinkClient(channel).Stream(headers, DateTime.UtcNow.AddSeconds(60));
        try
        {
            await call.RequestStream.WriteAsync(batch);
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // A server that refuses at the headers may end the call before the batch is written; the write then
            // fails with whatever the client saw first (often Cancelled). The call's own status below is the answer.
        }

        try
        {
            await call.ResponseAsync;
            return null;
        }
        catch (RpcException ex)
        {
            return ex;
        }
    }
}
