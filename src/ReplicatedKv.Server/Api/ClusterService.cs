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

    public override Task<MemberChangeResponse> AddMember(AddMemberRequest request, ServerCallContext context)
    {
        RequireName(request.NodeId);
        var peerUrl = RequireUrl(request.PeerUrl, "peer_url", required: true)!;
        var clientUrl = RequireUrl(request.ClientUrl, "client_url", required: false);
        return ChangeAsync(new MemberChangeRequest(Consensus.MembershipChangeKind.AddNonVoter, request.NodeId, peerUrl,
            clientUrl is null ? null : Transport.MemberPayload.Trim(clientUrl), request.Learner), context);
    }

    public override Task<MemberChangeResponse> PromoteMember(PromoteMemberRequest request, ServerCallContext context)
    {
        RequireName(request.NodeId);
        return ChangeAsync(new MemberChangeRequest(Consensus.MembershipChangeKind.Promote, request.NodeId), context);
    }

    public override Task<MemberChangeResponse> RemoveMember(RemoveMemberRequest request, ServerCallContext context)
    {
        RequireName(request.NodeId);
        return ChangeAsync(new MemberChangeRequest(Consensus.MembershipChangeKind.Remove, request.NodeId), context);
    }

    /// <summary>Hands a change to the node and maps its outcome to the codes cluster.proto names.</summary>
    private async Task<MemberChangeResponse> ChangeAsync(MemberChangeRequest change, ServerCallContext context)
    {
        if (node.RefusalFor(needsLog: true) is { } refusal)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, refusal));
        }

        MemberChangeOutcome outcome;
        try
        {
            outcome = await node.ChangeMembershipAsync(change).WaitAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "the node is shutting down"));
        }
        catch (InvalidOperationException ex)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, ex.Message));
        }

        return outcome.Response ?? throw new RpcException(new Grpc.Core.Status(outcome.Code, outcome.Error!));
    }

    private static void RequireName(string name)
    {
        if (!Transport.ClusterMembers.IsValidName(name ?? ""))
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, $"node_id '{name}' must be 1-64 letters, digits, '-', '_' or '.'"));
        }
    }

    private static Uri? RequireUrl(string text, string field, bool required)
    {
        if (string.IsNullOrEmpty(text) && !required)
        {
            return null;
        }

        return Transport.ClusterMembers.TryParseUrl(text ?? "", out var url) && url.AbsolutePath is "/" && string.IsNullOrEmpty(url.Query)
            ? url
            : throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, $"{field} '{text}' is not an http(s) URL like http://10.0.0.4:7101"));
    }
}
