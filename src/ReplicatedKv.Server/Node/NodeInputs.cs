using ReplicatedKv.Protos.V1;
using ReplicatedKv.StateMachine;
using ReplicatedKv.Storage;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Node;

/// <summary>Everything that reaches the node loop goes through its one queue as one of these.</summary>
internal abstract record NodeInput;

internal sealed record TickInput : NodeInput
{
    public static TickInput Instance { get; } = new();
}

internal sealed record PeerBatchInput(int From, Wire.PeerBatch Batch) : NodeInput;

internal sealed record ClientWriteInput(PendingWrite Write) : NodeInput;

internal sealed record ClientReadInput(PendingRead Read) : NodeInput;

internal sealed record StatusInput(bool IncludeStateHash, TaskCompletionSource<StatusResponse> Reply) : NodeInput;

internal sealed record WantsSnapshotInput(long Slot, TaskCompletionSource<bool> Reply) : NodeInput;

internal sealed record InstallSnapshotInput(SnapshotReader Snapshot, TaskCompletionSource<bool> Reply) : NodeInput;

internal sealed record SnapshotSavedInput(long Slot, Exception? Error) : NodeInput;

internal sealed record SnapshotSentInput(int Peer) : NodeInput;

/// <summary>
/// A client request's place in the node's admission limit. It is held by the caller's wait and by the request's
/// entry in the loop's queue: the place frees only when both are done, so callers that time out while the loop
/// is stalled (a full disk) cannot pile unbounded work into the queue.
/// </summary>
internal abstract class AdmittedRequest
{
    private int _holds = 2;

    /// <summary>True for the second of the two releases: the request no longer counts against the limit.</summary>
    public bool Release() => Interlocked.Decrement(ref _holds) == 0;
}

/// <summary>A client write waiting for its slot to be applied on this node.</summary>
internal sealed class PendingWrite(long proposal, byte[] envelope, bool hasRequestId) : AdmittedRequest
{
    public long Proposal { get; } = proposal;

    public ReadOnlyMemory<byte> Envelope { get; } = envelope;

    /// <summary>
    /// With a client request id, the state machine applies the command once however often it is decided, so the
    /// node may safely propose it again after a leader change. Without one, a command that may already sit in a
    /// slot is never proposed twice; the client learns the outcome, or that it is unknown at the deadline.
    /// </summary>
    public bool HasRequestId { get; } = hasRequestId;

    public TaskCompletionSource<CommandResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsDone => Result.Task.IsCompleted;
}

internal enum ReadKind
{
    Get,
    Contains,
}

/// <summary>The answer to a read: found or not, and the value and version when found.</summary>
internal readonly record struct ReadResult(bool Found, ReadOnlyMemory<byte> Value, ulong Version);

/// <summary>A client read; linearizable ones wait for a read index and for the applied slot to reach it.</summary>
internal sealed class PendingRead(string key, ReadKind kind, bool linearizable) : AdmittedRequest
{
    public string Key { get; } = key;

    public ReadKind Kind { get; } = kind;

    public bool Linearizable { get; } = linearizable;

    public TaskCompletionSource<ReadResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsDone => Result.Task.IsCompleted;
}
