using Grpc.Core;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.Server.Node;

// Snapshots: taken in the background from a frozen view of the table, streamed to peers that fell behind the
// compacted log, and installed from peers when this node is the one behind.
public sealed partial class KvNode
{
    private readonly HashSet<int> _snapshotTransfers = [];
    private bool _snapshotting;
    private Task? _snapshotTask;

    private void MaybeStartSnapshot()
    {
        if (_snapshotting || !_storage.SnapshotDue || _core.StateMachine.AppliedSlot <= 0)
        {
            return;
        }

        // The view is a copy of the table's entries taken here, on the loop; writing it out happens elsewhere.
        var view = _core.StateMachine.CreateSnapshotView();
        // The configurations in force at the view's slot: the log that decided them goes once the snapshot is recorded.
        var membership = _core.SnapshotMembership;
        _snapshotting = true;
        _snapshotTask = Task.Run(async () =>
        {
            Exception? error = null;
            try
            {
                await _storage.SaveSnapshotAsync(view.AppliedSlot, membership, view.WriteAsync, _stop.Token).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Any failure must reach the loop, or no snapshot would ever be taken again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                error = ex;
            }

            _inputs.Writer.TryWrite(new SnapshotSavedInput(view.AppliedSlot, error));
        });
    }

    private void OnSnapshotSaved(SnapshotSavedInput saved)
    {
        _snapshotting = false;
        if (saved.Error is not null)
        {
            LogSnapshotFailed(_logger, saved.Slot, saved.Error.Message);
            return;
        }

        // The file is durable; its marker goes into the log from here, the log's only writer.
        RetryStorage(() => _storage.RecordSnapshot(saved.Slot));
        LogSnapshotSaved(_logger, saved.Slot);
        _core.SnapshotSaved(saved.Slot, _settings.CatchUpEntries);
    }

    private void StartSnapshotTransfer(int peer)
    {
        if (peer == _members.SelfId || !_members.Contains(peer) || !_snapshotTransfers.Add(peer))
        {
            return;
        }

        var snapshots = _storage.Snapshots.List();
        if (snapshots.Count == 0)
        {
            _snapshotTransfers.Remove(peer);
            return;
        }

        var slot = snapshots[0]; // newest first
        LogSnapshotSending(_logger, slot, _members.NameOf(peer));
        _ = Task.Run(async () =>
        {
            try
            {
                await _transport.SendSnapshotAsync(peer, slot, _storage.Snapshots.ReadChunksAsync(slot, 1 << 20, _stop.Token), _stop.Token).ConfigureAwait(false);
                LogSnapshotSent(_logger, slot, _members.NameOf(peer));
            }
            catch (Exception ex) when (ex is RpcException or IOException or OperationCanceledException or InvalidOperationException)
            {
                LogSnapshotSendFailed(_logger, slot, _members.NameOf(peer), ex.Message);
            }
            finally
            {
                _inputs.Writer.TryWrite(new SnapshotSentInput(peer));
            }
        });
    }

    async Task Transport.IPeerInbox.InstallSnapshotAsync(int from, long slot, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken)
    {
        var wants = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _inputs.Writer.TryWrite(new WantsSnapshotInput(from, slot, wants));
        if (!await wants.Task.WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"snapshot through slot {slot} is not needed here, or not from this sender"));
        }

        LogSnapshotReceiving(_logger, slot, _members.NameOf(from));
        var receiver = _storage.Snapshots.BeginReceive(slot);
        Storage.SnapshotReader snapshot;
        await using (receiver.ConfigureAwait(false))
        {
            await foreach (var chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                await receiver.WriteChunkAsync(chunk, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                snapshot = await receiver.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                throw new RpcException(new Status(StatusCode.DataLoss, $"snapshot through slot {slot} arrived damaged: {ex.Message}"));
            }
        }

        Consensus.MembershipSnapshot? membership;
        try
        {
            membership = Storage.NodeStorage.MembershipOf(snapshot);
        }
        catch (Storage.WalCorruptionException ex)
        {
            throw new RpcException(new Status(StatusCode.DataLoss, $"snapshot through slot {slot}: {ex.Message}"));
        }

        // Restored here, off the loop; the loop only swaps the table in if the snapshot is still wanted.
        KeyValueStateMachine restored;
        try
        {
            var payload = snapshot.OpenPayload();
            await using (payload.ConfigureAwait(false))
            {
                restored = await KeyValueStateMachine.RestoreAsync(payload, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SnapshotFormatException or IOException or InvalidDataException)
        {
            LogInstallFailed(_logger, slot, ex.Message);
            throw new RpcException(new Status(StatusCode.DataLoss, $"snapshot through slot {slot} could not be read: {ex.Message}"));
        }

        if (restored.AppliedSlot != slot)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"snapshot claims slot {slot} but holds state through slot {restored.AppliedSlot}"));
        }

        var installed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _inputs.Writer.TryWrite(new InstallSnapshotInput(slot, restored, membership, installed));
        if (!await installed.Task.WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"snapshot through slot {slot} was overtaken while it arrived"));
        }
    }

    private void InstallReceivedSnapshot(InstallSnapshotInput input)
    {
        if (!_core.WantsSnapshot(input.Slot))
        {
            input.Reply.TrySetResult(false);
            return;
        }

        _core.InstallSnapshot(input.Slot, input.Restored, input.Membership);

        // The core already continues from the snapshot: like a Ready, its record must be durable before anything else.
        RetryStorage(() => _storage.RecordSnapshot(input.Slot));
        LogSnapshotInstalled(_logger, input.Slot);
        input.Reply.TrySetResult(true);
    }
}
