namespace ReplicatedKv.Server.Node;

// Leader transfer (Cluster.TransferLeader, and the leader's SIGTERM): the core does the work (it stops taking
// proposals, waits for the target to decide everything, sends TimeoutNow); the host asks it on the loop and then
// watches the published view until the target leads or the core gave up (after one election timeout).
public sealed partial class KvNode
{
    /// <summary>
    /// Asks the core, on the loop, to hand leadership to <paramref name="targetName"/>. Returns null once the target
    /// leads as this node sees it; otherwise the one-line reason it did not (not the leader, not a voter, timed out).
    /// Faults with <see cref="ObjectDisposedException"/> when the node is stopping.
    /// </summary>
    internal async Task<LeaderTransferOutcome> TransferLeadershipAsync(string targetName, CancellationToken cancellationToken)
    {
        if (!_members.TryGetId(targetName, out var target))
        {
            return LeaderTransferOutcome.Refused($"'{targetName}' is not a member ({string.Join(", ", _members.Ids.Select(_members.NameOf))})");
        }

        if (target == _members.SelfId && _view.IsLeader)
        {
            return LeaderTransferOutcome.Done;
        }

        // Subscribed before the request reaches the loop, so a quick hand-over is not missed.
        var led = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Watch(NodeView view)
        {
            if (view.LeaderName == targetName)
            {
                led.TrySetResult();
            }
        }

        ViewChanged += Watch;
        try
        {
            var reply = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_inputs.Writer.TryWrite(new LeaderTransferInput(target, reply)))
            {
                reply.TrySetException(new ObjectDisposedException(nameof(KvNode)));
            }

            if (await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false) is { } reason)
            {
                return LeaderTransferOutcome.Refused(reason);
            }

            // The core gives up after one election timeout; wait a little longer for the new leader's first messages.
            var bound = _settings.TickInterval * (_settings.ElectionTicks * 3);
            try
            {
                await led.Task.WaitAsync(bound, cancellationToken).ConfigureAwait(false);
                return LeaderTransferOutcome.Done;
            }
            catch (TimeoutException)
            {
                return LeaderTransferOutcome.TimedOut($"{targetName} did not take over within {bound.TotalMilliseconds:0} ms; this node leads on");
            }
        }
        finally
        {
            ViewChanged -= Watch;
        }
    }

    private void StartLeaderTransfer(LeaderTransferInput input) => input.Reply.TrySetResult(_core.TransferLeadership(input.Target));
}

/// <summary>How a leader transfer ended: done (the target leads), refused before it started, or not taken up in time.</summary>
internal sealed record LeaderTransferOutcome(bool Succeeded, bool Started, string? Reason)
{
    public static LeaderTransferOutcome Done { get; } = new(true, true, null);

    public static LeaderTransferOutcome Refused(string reason) => new(false, false, reason);

    public static LeaderTransferOutcome TimedOut(string reason) => new(false, true, reason);
}
