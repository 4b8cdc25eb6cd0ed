using Grpc.Core;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Node;
using ReplicatedKv.StateMachine;
using ReplicatedKv.StateMachine.Backup;

namespace ReplicatedKv.Server.Api;

/// <summary>Operations API: this node's view of itself and its peers, and backups of its applied state.</summary>
internal sealed class ClusterService(KvNode node, TimeProvider time) : Cluster.ClusterBase
{
    private const int SnapshotChunkBytes = 1 << 20;

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

    /// <summary>
    /// Streams a backup file of this node's applied state: frozen on the loop at one slot, serialized here, off the
    /// loop, straight into the response (nothing is staged on the node's disk).
    /// </summary>
    public override async Task Snapshot(SnapshotRequest request, IServerStreamWriter<SnapshotChunk> responseStream, ServerCallContext context)
    {
        if (node.RefusalFor(needsLog: false) is { } reason)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, reason));
        }

        StateSnapshotView view;
        try
        {
            view = await node.CaptureBackupViewAsync().WaitAsync(TimeSpan.FromSeconds(10), context.CancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "the node loop did not answer within 10 s"));
        }
        catch (ObjectDisposedException)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "the node is shutting down"));
        }

        if (view.AppliedSlot <= 0)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.FailedPrecondition, "this node has applied nothing yet: no state to back up"));
        }

        var chunks = new ChunkedResponseStream(responseStream, SnapshotChunkBytes);
        await BackupFile.WriteAsync(view, node.Members.ClusterId, node.Members.SelfName, time.GetUtcNow(), chunks, context.CancellationToken).ConfigureAwait(false);
        await chunks.FlushAsync(context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>Hands leadership to another voter; answers once this node sees it lead (see cluster.proto for the codes).</summary>
    public override async Task<TransferLeaderResponse> TransferLeader(TransferLeaderRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.ToNodeId))
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, "to_node_id is required: the member to lead next"));
        }

        if (node.RefusalFor(needsLog: true) is { } refusal)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, refusal));
        }

        LeaderTransferOutcome outcome;
        try
        {
            outcome = await node.TransferLeadershipAsync(request.ToNodeId, context.CancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "the node is shutting down"));
        }

        if (!outcome.Succeeded)
        {
            var code = outcome.Started ? StatusCode.Aborted : StatusCode.FailedPrecondition;
            throw new RpcException(new Grpc.Core.Status(code, outcome.Reason!));
        }

        var view = node.View;
        return new TransferLeaderResponse { LeaderId = view.LeaderName ?? "", LeaderClientUrl = view.LeaderClientUrl ?? "" };
    }
}
