using ReplicatedKv.Consensus;

namespace ReplicatedKv.Server.Node;

// Leader transfer (Cluster.TransferLeader, and the leader's graceful stop): the core does the work (it stops taking
// proposals, waits for the target to decide everything, sends TimeoutNow); the host asks it on the loop and then
// watches the published view until the target leads or the core gave up (after one election timeout).
public sealed partial class KvNode
{
    /// <summary>
    /// Asks the core, on the loop, to hand leadership to <paramref name="targetName"/> and waits until this node
    /// sees it lead. Faults with <see cref="ObjectDisposedException"/> when the node is stopping.
    /// </summary>
    internal Task<LeaderTransferOutcome> TransferLeadershipAsync(string targetName, CancellationToken cancellationToken)
    {
        if (!_members.TryGetId(targetName, out var target))
        {
            return Task.FromResult(LeaderTransferOutcome.Refused($"'{targetName}' is not a member ({string.Join(", ", _members.Ids.Select(_members.NameOf))})"));
        }

        return target == _members.SelfId && _view.IsLeader
            ? Task.FromResult(LeaderTransferOutcome.Done(targetName))
            : TransferAsync(target, cancellationToken);
    }

    /// <summary>
    /// Before a graceful stop: if this node leads, hands leadership to the most up-to-date reachable voter and waits
    /// (at most three election timeouts) until it leads, so clients see a new leader without waiting for an election.
    /// </summary>
    internal Task<LeaderTransferOutcome> HandOverLeadershipAsync(CancellationToken cancellationToken) =>
        _view.IsLeader && _members.Count > 1
            ? TransferAsync(null, cancellationToken)
            : Task.FromResult(LeaderTransferOutcome.Refused("this node is not the leader"));

    private async Task<LeaderTransferOutcome> TransferAsync(int? target, CancellationToken cancellationToken)
    {
        // Subscribed before the request reaches the loop, so a quick hand-over is not missed.
        var chosen = 0;
        var led = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Watch(NodeView view)
        {
            var wanted = Volatile.Read(ref chosen);
            if (wanted != 0 && view.LeaderName == _members.NameOf(wanted))
            {
                led.TrySetResult();
            }
        }

        ViewChanged += Watch;
        try
        {
            var reply = new TaskCompletionSource<(int Target, string? Reason)>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_inputs.Writer.TryWrite(new LeaderTransferInput(target, reply)))
            {
                reply.TrySetException(new ObjectDisposedException(nameof(KvNode)));
            }

            var (picked, reason) = await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (reason is not null)
            {
                return LeaderTransferOutcome.Refused(reason);
            }

            var name = _members.NameOf(picked);
            Volatile.Write(ref chosen, picked);
            Watch(_view);

            // The core gives up after one election timeout; wait a little longer for the new leader's first messages.
            var bound = _settings.TickInterval * (_settings.ElectionTicks * 3);
            try
            {
                await led.Task.WaitAsync(bound, cancellationToken).ConfigureAwait(false);
                return LeaderTransferOutcome.Done(name);
            }
            catch (TimeoutException)
            {
                return LeaderTransferOutcome.TimedOut($"{name} did not take over within {bound.TotalMilliseconds:0} ms; this node leads on");
            }
        }
        finally
        {
            ViewChanged -= Watch;
        }
    }

    private void StartLeaderTransfer(LeaderTransferInput input)
    {
        var target = input.Target ?? MostUpToDateVoter();
        if (target is not int id)
        {
            input.Reply.TrySetResult((0, "no other voter is reachable to take over"));
            return;
        }

        input.Reply.TrySetResult((id, _core.TransferLeadership(id)));
    }

    /// <summary>The reachable voter (of the latest and the governing configuration) that reported the highest decided slot.</summary>
    private int? MostUpToDateVoter()
    {
        var replica = _core.Replica;
        if (replica.Role != Role.Leader)
        {
            return null;
        }

        var governing = _core.GoverningConfiguration.Configuration;
        var voters = _core.LatestConfiguration.Configuration.Voters
            .Where(id => id != _members.SelfId && governing.IsVoter(id) && _transport.IsReachable(id))
            .OrderByDescending(replica.PeerDecidedIndex)
            .ThenBy(id => id)
            .ToList();
        return voters.Count > 0 ? voters[0] : null;
    }
}

/// <summary>How a leader transfer ended: done (the target leads), refused before it started, or not taken up in time.</summary>
internal sealed record LeaderTransferOutcome(bool Succeeded, bool Started, string? Reason, string? Leader = null)
{
    public static LeaderTransferOutcome Done(string leader) => new(true, true, null, leader);

    public static LeaderTransferOutcome Refused(string reason) => new(false, false, reason);

    public static LeaderTransferOutcome TimedOut(string reason) => new(false, true, reason);
}
