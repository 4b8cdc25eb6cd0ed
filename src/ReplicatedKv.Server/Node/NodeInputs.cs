using ReplicatedKv.NodeCore;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.StateMachine;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Node;

/// <summary>Everything that reaches the node loop goes through its one queue as one of these.</summary>
internal abstract record NodeInput;

internal sealed record TickInput : NodeInput
{
    public static TickInput Instance { get; } = new();
}

internal sealed record PeerBatchInput(int From, Wire.PeerBatch Batch) : NodeInput;

internal sealed record ClientWriteInput(PendingWrite Write, KvCommand Command) : NodeInput;

/// <summary>A client read; a listing carries its <paramref name="Query"/> (and kind <see cref="ReadKind.List"/>).</summary>
internal sealed record ClientReadInput(PendingRead Read, string Key, ReadKind Kind, bool Linearizable, ListQuery? Query = null) : NodeInput;

internal sealed record AbandonInput(long Caller) : NodeInput;

internal sealed record StatusInput(bool IncludeStateHash, TaskCompletionSource<StatusResponse> Reply) : NodeInput;

internal sealed record WantsSnapshotInput(int From, long Slot, TaskCompletionSource<bool> Reply) : NodeInput;

/// <summary>A snapshot received from a peer, restored off the loop, with the configurations it carried (null: none, the bootstrap one).</summary>
internal sealed record InstallSnapshotInput(long Slot, KeyValueStateMachine Restored, Consensus.MembershipSnapshot? Membership, TaskCompletionSource<bool> Reply) : NodeInput;

internal sealed record SnapshotSavedInput(long Slot, Exception? Error) : NodeInput;

internal sealed record SnapshotSentInput(int Peer) : NodeInput;

/// <summary>A backup asks the loop to freeze the applied state; it is serialized off the loop.</summary>
internal sealed record BackupViewInput(TaskCompletionSource<StateSnapshotView> Reply) : NodeInput;

/// <summary>
/// A client request waiting for the node core's answer, under the caller number the core knows it by. Its place in
/// the node's admission limit is held by the caller's wait and by the request's entry in the loop's queue: the
/// place frees only when both are done, so callers that time out while the loop is stalled (a full disk) cannot
/// pile unbounded work into the queue.
/// </summary>
/// <remarks>
/// Its deadline and its call's end are watched by the node's ticker (<see cref="CallWatch"/>), not by a timer and a
/// cancellation registration per call: one sweep per tick over the waiting calls costs less than a timer per call.
/// </remarks>
internal abstract class PendingCall(long caller, CallWatch watch)
{
    private int _holds = 2;

    public long Caller { get; } = caller;

    /// <summary>When the caller stops waiting and whether its call already ended.</summary>
    public CallWatch Watch { get; } = watch;

    /// <summary>True for the second of the two releases: the request no longer counts against the limit.</summary>
    public bool Release() => Interlocked.Decrement(ref _holds) == 0;

    /// <summary>Completes the caller's wait with <paramref name="answer"/>.</summary>
    public abstract void Complete(in Answer answer);

    /// <summary>Fails the caller's wait.</summary>
    public abstract void Fail(Exception reason);

    public abstract Task Completion { get; }
}

/// <summary>A client write waiting for its slot to be applied on this node.</summary>
internal sealed class PendingWrite(long caller, CallWatch watch) : PendingCall(caller, watch)
{
    public TaskCompletionSource<CommandResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override Task Completion => Result.Task;

    public override void Complete(in Answer answer)
    {
        if (answer.Kind == AnswerKind.WriteApplied)
        {
            Result.TrySetResult(answer.Write);
        }
        else
        {
            Result.TrySetException(new OverloadedException(answer.Reason ?? "overloaded"));
        }
    }

    public override void Fail(Exception reason) => Result.TrySetException(reason);
}

/// <summary>A client read; linearizable ones wait for a read index and for the applied slot to reach it.</summary>
internal sealed class PendingRead(long caller, CallWatch watch) : PendingCall(caller, watch)
{
    public TaskCompletionSource<ReadResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override Task Completion => Result.Task;

    public override void Complete(in Answer answer)
    {
        if (answer.Kind == AnswerKind.ReadServed)
        {
            Result.TrySetResult(answer.Read);
        }
        else
        {
            Result.TrySetException(new OverloadedException(answer.Reason ?? "overloaded"));
        }
    }

    public override void Fail(Exception reason) => Result.TrySetException(reason);
}

/// <summary>
/// How long a caller waits: until <paramref name="ExpiresAt"/> (a <see cref="TimeProvider"/> timestamp of the node's
/// clock), or until <paramref name="Ended"/> says its call ended (deadline or client gone), whichever comes first.
/// </summary>
internal readonly record struct CallWatch(long ExpiresAt, CancellationToken Ended);

/// <summary>
/// Asks this node, if it leads, to hand leadership to <paramref name="Target"/> (null: the most up-to-date reachable
/// voter, as before a shutdown). The reply names the target and is null-reasoned when started, else says why not.
/// </summary>
internal sealed record LeaderTransferInput(int? Target, TaskCompletionSource<(int Target, string? Reason)> Reply) : NodeInput;
