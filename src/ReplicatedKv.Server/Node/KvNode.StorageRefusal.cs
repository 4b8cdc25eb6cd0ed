using ReplicatedKv.NodeCore;
using ReplicatedKv.Storage;

namespace ReplicatedKv.Server.Node;

// Storage refusing writes (a full disk, a failing device). The write in hand is retried with backoff and nothing
// moves past it, but the node keeps telling the truth meanwhile: health goes NOT_SERVING with the reason, writes and
// linearizable reads are refused at once with it, and Status and serializable reads answer from the last applied state.
public sealed partial class KvNode
{
    // Loop-only: inputs that change the core or the snapshot bookkeeping, kept for when the disk takes writes again.
    private readonly List<NodeInput> _deferredWhileRefused = [];

    // Written by the loop, read by admission and the published view: the reason storage refuses, or null.
    private volatile string? _storageRefusal;

    /// <summary>
    /// Runs a storage write until the disk takes it. Nothing may leave or be applied before it is durable, so a
    /// refusing disk stops the node's progress, loudly, rather than being skipped.
    /// </summary>
    private void RetryStorage(Action write)
    {
        var delay = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            try
            {
                write();
                break;
            }
            catch (StorageUnavailableException ex)
            {
                RefuseStorage("storage refused: " + ex.Message);
                LogStorageRetry(_logger, ex.Message, delay.TotalMilliseconds);
                ServeWhileRefused(delay);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }

        if (_storageRefusal is not null)
        {
            StorageBack();
        }
    }

    private void RefuseStorage(string reason)
    {
        var first = _storageRefusal is null;
        _storageRefusal = reason;
        RefreshView();
        if (first)
        {
            // Whoever waits now would wait until the disk is back; tell them why instead. Their writes may sit in
            // the Ready being retried, so they may still be applied.
            var inFlight = new NodeUnavailableException(reason + "; a write in flight may or may not be applied: retry with the same request_id");
            foreach (var call in _calls.Values)
            {
                Abandon(call, inFlight);
            }
        }
    }

    private void StorageBack()
    {
        _storageRefusal = null;
        LogStorageBack(_logger);
        foreach (var input in _deferredWhileRefused)
        {
            _inputs.Writer.TryWrite(input);
        }

        _deferredWhileRefused.Clear();
        RefreshView();
    }

    /// <summary>Answers what can be answered without the disk for <paramref name="delay"/>, then returns to retry.</summary>
    private void ServeWhileRefused(TimeSpan delay)
    {
        using var timeout = new CancellationTokenSource(delay, _time);
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, timeout.Token);
        while (true)
        {
            // The loop is waiting on the disk, not stuck: the stall watchdog must not count this as no progress.
            Interlocked.Increment(ref _loopRounds);
            while (_inputs.Reader.TryRead(out var input))
            {
                HandleWhileRefused(input);
            }

            try
            {
                if (!WaitForInput(_inputs.Reader, wake.Token))
                {
                    // Closed: only DisposeAsync closes the queue, and it cancels _stop first.
                    _stop.Token.ThrowIfCancellationRequested();
                    return;
                }
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private void HandleWhileRefused(NodeInput input)
    {
        switch (input)
        {
            case TickInput or PeerBatchInput:
                // Dropped: the core may not move while a Ready waits for the disk. Losing peer messages is something
                // consensus already tolerates (peers resend what matters), and a paused clock only delays timeouts.
                break;
            case ClientWriteInput w:
                Release(w.Write);
                RefuseNow(w.Write);
                break;
            case ClientReadInput { Linearizable: true } r:
                Release(r.Read);
                RefuseNow(r.Read);
                break;
            case ClientReadInput r:
                Release(r.Read);
                if (_calls.TryRemove(r.Read.Caller, out var read))
                {
                    read.Complete(new Answer(r.Read.Caller, AnswerKind.ReadServed, Read: _core.ReadLocal(r.Key, r.Kind, r.Query)));
                }

                break;
            case StatusInput s:
                ReplyStatus(s);
                break;
            case BackupViewInput b:
                // The applied state is still consistent while the disk refuses writes: a backup is what an operator wants now.
                ReplyBackupView(b);
                break;
            case WantsSnapshotInput or InstallSnapshotInput:
                DeclineSnapshot(input);
                break;
            case LeaderTransferInput t:
                // The core may not move while a Ready waits for the disk; a leader that cannot write cannot hand over cleanly.
                t.Reply.TrySetResult((0, "storage is refusing writes on this node: fix the disk first"));
                break;
            default:
                _deferredWhileRefused.Add(input);
                break;
        }
    }

    private void RefuseNow(PendingCall call)
    {
        if (_calls.TryRemove(call.Caller, out _))
        {
            call.Fail(new NodeUnavailableException(_storageRefusal ?? "storage refused"));
        }
    }
}
