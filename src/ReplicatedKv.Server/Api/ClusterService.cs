using Grpc.Core;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Node;

namespace ReplicatedKv.Server.Api;

/// <summary>Operations API: this node's view of itself and its peers.</summary>
internal sealed class ClusterService(KvNode node) : Cluster.ClusterBase
{
    public override async Task<StatusResponse> Status(StatusRequest request, ServerCallContext context)
    {
        // A stalled loop cannot build a report; say why at once rather than after the 10 s wait.
        if (node.RefusalFor(needsLog: false) is { } reason)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, reason));
        }

        try
        {
            return await node.StatusAsync(request.IncludeStateHash).WaitAsync(TimeSpan.FromSeconds(10), context.CancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "the node loop did not answer within 10 s"));
        }
        catch (ObjectDisposedException)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "the node is shutting down"));
        }
    }
}
