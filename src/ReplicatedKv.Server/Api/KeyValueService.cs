using Grpc.Core;
using ReplicatedKv.NodeCore;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Server.Node;
using ReplicatedKv.Server.Settings;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Server.Api;

/// <summary>
/// The public API. Any node serves it: writes and linearizable reads that need the leader travel there over the
/// peer link, and every response names the leader in its headers so smart clients can go there directly.
/// </summary>
internal sealed class KeyValueService(KvNode node, ServerSettings settings, TimeProvider time) : KeyValue.KeyValueBase
{
    private readonly RequestLimits _limits = new(settings);

    public override async Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        MalformedRequestMapping.MarkStarted(context);
        _limits.CheckKey(request.Key);
        var result = await ReadAsync(request.Key, ReadKind.Get, RequestLimits.IsLinearizable(request.Consistency), context).ConfigureAwait(false);
        return result.Found
            ? new GetResponse { Found = true, Value = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(result.Value), Revision = result.Version,
                CreateRevision = result.CreateRevision, Version = result.KeyVersion }
            : new GetResponse();
    }

    public override async Task<ContainsResponse> Contains(ContainsRequest request, ServerCallContext context)
    {
        MalformedRequestMapping.MarkStarted(context);
        _limits.CheckKey(request.Key);
        var result = await ReadAsync(request.Key, ReadKind.Contains, RequestLimits.IsLinearizable(request.Consistency), context).ConfigureAwait(false);
        return new ContainsResponse { Found = result.Found };
    }

    public override async Task<SetResponse> Set(SetRequest request, ServerCallContext context)
    {
        MalformedRequestMapping.MarkStarted(context);
        _limits.CheckKey(request.Key);
        _limits.CheckValue(request.Value.Length);
        var command = KvCommand.Set(request.Key, request.Value.Memory, request.HasIfRevision ? request.IfRevision : null, RequestLimits.ToRequestId(request.RequestId));
        var result = await WriteAsync(command, context).ConfigureAwait(false);
        return result.Status switch
        {
            CommandStatus.Ok => new SetResponse { Revision = result.Version },
            _ => throw Refusal(result, request.Key),
        };
    }

    public override async Task<RemoveResponse> Remove(RemoveRequest request, ServerCallContext context)
    {
        MalformedRequestMapping.MarkStarted(context);
        _limits.CheckKey(request.Key);
        var command = KvCommand.Remove(request.Key, request.HasIfRevision ? request.IfRevision : null, RequestLimits.ToRequestId(request.RequestId));
        var result = await WriteAsync(command, context).ConfigureAwait(false);
        return result.Status switch
        {
            CommandStatus.Ok => new RemoveResponse { Removed = true, Revision = result.Version },
            CommandStatus.NotFound => new RemoveResponse { Removed = false, Revision = result.Version },
            _ => throw Refusal(result, request.Key),
        };
    }

    public override async Task<ListResponse> List(ListRequest request, ServerCallContext context)
    {
        MalformedRequestMapping.MarkStarted(context);
        var query = ListRequests.ToQuery(request, settings);
        var linearizable = RequestLimits.IsLinearizable(request.Consistency);
        var result = await AwaitReadAsync(budget => node.TryAdmitList(query, linearizable, budget, context.CancellationToken), linearizable, context).ConfigureAwait(false);
        return ListRequests.ToResponse(result.Page!);
    }

    private async Task<CommandResult> WriteAsync(KvCommand command, ServerCallContext context)
    {
        RefuseIfUnavailable(needsLog: true, context);
        var write = node.TryAdmitWrite(command, WaitBudget(context), context.CancellationToken) ?? throw Overloaded(context);
        return await AnswerAsync(write, write.Result.Task, context,
            () => $"write not confirmed within the deadline ({LeaderText()}); it may or may not be applied: retry with the same request_id").ConfigureAwait(false);
    }

    private Task<ReadResult> ReadAsync(string key, ReadKind kind, bool linearizable, ServerCallContext context) =>
        AwaitReadAsync(budget => node.TryAdmitRead(key, kind, linearizable, budget, context.CancellationToken), linearizable, context);

    /// <summary>
    /// Refuses at once what this node cannot serve now, then admits the read with its wait budget (<paramref name="admit"/>
    /// returns null when the node is at its limit), waits for it and maps its failures.
    /// </summary>
    private async Task<ReadResult> AwaitReadAsync(Func<TimeSpan, PendingRead?> admit, bool linearizable, ServerCallContext context)
    {
        RefuseIfUnavailable(needsLog: linearizable, context);
        var read = admit(WaitBudget(context)) ?? throw Overloaded(context);
        return await AnswerAsync(read, read.Result.Task, context, () => $"read not confirmed by a quorum within the deadline ({LeaderText()})").ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for the node's answer, then answers once: the result, or a refusal with its reason, with the leader hint
    /// staged in the headers either way. The node ends the wait at the budget it was admitted with (a
    /// <see cref="TimeoutException"/>) or when the call ends (deadline or client): that call gets nothing more, as
    /// gRPC has already answered it. Either way the node has abandoned the request.
    /// </summary>
    private async Task<T> AnswerAsync<T>(PendingCall call, Task<T> answer, ServerCallContext context, Func<string> timedOut)
    {
        RpcException refusal;
        try
        {
            var result = await answer.ConfigureAwait(false);
            LeaderHeaders.Stage(node.View, context);
            return result;
        }
        catch (TimeoutException)
        {
            refusal = new RpcException(new Status(StatusCode.Unavailable, timedOut()));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // gRPC already ended the call, so this status goes nowhere; it is an RpcException so that gRPC does not
            // log the call as a failed handler.
            throw new RpcException(new Status(StatusCode.Cancelled, "the call ended (deadline or client) before the node answered"));
        }
        catch (Exception ex) when (ex is OverloadedException or NodeUnavailableException or ObjectDisposedException or InvalidOperationException)
        {
            refusal = Translate(ex);
        }
        finally
        {
            node.EndWait(call);
        }

        LeaderHeaders.Stage(node.View, context);
        throw refusal;
    }

    private RpcException Overloaded(ServerCallContext context)
    {
        LeaderHeaders.Stage(node.View, context);
        return new RpcException(new Status(StatusCode.ResourceExhausted, $"node {settings.NodeId} has {settings.MaxPendingRequests} requests in flight (max-pending-requests); retry later"));
    }

    /// <summary>
    /// How long to wait for a quorum: the default request timeout, cut to half of what is left of the client's
    /// deadline, so the answer (UNAVAILABLE, with the leader's name) reaches the client before its own deadline
    /// turns it into a bare DEADLINE_EXCEEDED. Half, not a fixed margin: on a loaded 2-core machine timers fire and
    /// answers travel late by hundreds of milliseconds (a 100 ms margin, and then a quarter of a 1 s deadline,
    /// were seen lost in the server tests), and the client's clock started before ours.
    /// </summary>
    private TimeSpan WaitBudget(ServerCallContext context)
    {
        var budget = settings.RequestTimeout;
        if (context.Deadline != DateTime.MaxValue)
        {
            var remaining = context.Deadline - time.GetUtcNow().UtcDateTime;
            budget = TimeSpan.FromTicks(Math.Max(0, Math.Min(budget.Ticks, remaining.Ticks / 2)));
        }

        return budget;
    }

    /// <summary>Refuses at once, with the reason, what this node cannot serve now (a refusing disk, a stalled loop).</summary>
    private void RefuseIfUnavailable(bool needsLog, ServerCallContext context)
    {
        if (node.RefusalFor(needsLog) is { } reason)
        {
            LeaderHeaders.Stage(node.View, context);
            throw new RpcException(new Status(StatusCode.Unavailable, reason));
        }
    }

    private string LeaderText() => node.View.LeaderName is { } leader ? "leader " + leader : "no leader known: is a majority up?";

    private static RpcException Refusal(CommandResult result, string key) => result.Status switch
    {
        CommandStatus.FailedPrecondition => new RpcException(new Status(StatusCode.FailedPrecondition,
            result.Version == 0 ? $"version mismatch: key '{key}' does not exist" : $"version mismatch: key '{key}' is at version {result.Version}")),
        CommandStatus.StaleRequest => new RpcException(new Status(StatusCode.Aborted,
            "request_id sequence is older than this client's latest write; its outcome is no longer known")),
        CommandStatus.Invalid => new RpcException(new Status(StatusCode.InvalidArgument, "the command was rejected as malformed")),
        _ => new RpcException(new Status(StatusCode.Internal, $"unexpected result {result.Status}")),
    };

    private static RpcException Translate(Exception ex) => ex switch
    {
        RpcException rpc => rpc,
        OverloadedException => new RpcException(new Status(StatusCode.ResourceExhausted, ex.Message)),
        _ => new RpcException(new Status(StatusCode.Unavailable, ex.Message)),
    };
}
