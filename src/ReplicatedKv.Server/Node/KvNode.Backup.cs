using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Server.Node;

// Backups (Cluster.Snapshot): the loop only freezes the applied state, an O(keys) copy of references, as for the
// node's own snapshots; writing it out and streaming it to the client happen off the loop.
public sealed partial class KvNode
{
    /// <summary>A frozen view of this node's applied state at one slot; faults with <see cref="ObjectDisposedException"/> when the node is stopping.</summary>
    internal Task<StateSnapshotView> CaptureBackupViewAsync()
    {
        var reply = new TaskCompletionSource<StateSnapshotView>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_inputs.Writer.TryWrite(new BackupViewInput(reply)))
        {
            reply.SetException(new ObjectDisposedException(nameof(KvNode)));
        }

        return reply.Task;
    }

    private void ReplyBackupView(BackupViewInput input) => input.Reply.TrySetResult(_core.StateMachine.CreateSnapshotView());
}
