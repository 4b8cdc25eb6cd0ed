using ReplicatedKv.Consensus;
using ReplicatedKv.Storage;
using ReplicatedKv.Transport;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Node;

// The event loop: drain inputs, hand the batch to the replica, then act on its Ready in the contract's order.
public sealed partial class KvNode
{
    private const int MaxInputsPerRound = 8192;
    private readonly long[] _lastHeard;
    private long _ticks;

    private async Task RunLoopAsync()
    {
        var reader = _inputs.Reader;
        try
        {
            // Slots decided before a restart are applied before anything else is looked at.
            while (_replica.HasReady)
            {
                await ProcessReadyAsync(_replica.GetReady()).ConfigureAwait(false);
            }

            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                // Everything queued while the last fsync ran goes into the next Ready: this is where batching comes from.
                for (var n = 0; n < MaxInputsPerRound && reader.TryRead(out var input); n++)
                {
                    await HandleAsync(input).ConfigureAwait(false);
                }

                FlushRouting();
                while (_replica.HasReady)
                {
                    await ProcessReadyAsync(_replica.GetReady()).ConfigureAwait(false);
                }

                ServeAppliedReads();
                PublishView();
                PublishMetrics();
                MaybeStartSnapshot();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogLoopDied(_logger, ex);
            _inputs.Writer.TryComplete();
            FailQueuedInputs(new InvalidOperationException("the node stopped: " + ex.Message));
            FailEverything(new InvalidOperationException("the node stopped: " + ex.Message));
            throw;
        }
    }

    /// <summary>Answers whatever was still queued when the loop ended, so no caller waits for a loop that is gone.</summary>
    private void FailQueuedInputs(Exception reason)
    {
        while (_inputs.Reader.TryRead(out var input))
        {
            switch (input)
            {
                case ClientWriteInput w:
                    Release(w.Write);
                    Abandon(w.Write, reason);
                    break;
                case ClientReadInput r:
                    Release(r.Read);
                    r.Read.Result.TrySetException(reason);
                    break;
                case StatusInput s:
                    s.Reply.TrySetException(new ObjectDisposedException(nameof(KvNode), reason.Message));
                    break;
                case WantsSnapshotInput w:
                    w.Reply.TrySetResult(false);
                    break;
                case InstallSnapshotInput i:
                    i.Reply.TrySetResult(false);
                    break;
                default:
                    break;
            }
        }
    }

    private async Task RunTickerAsync()
    {
        using var timer = new PeriodicTimer(_settings.TickInterval, _time);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            _inputs.Writer.TryWrite(TickInput.Instance);
        }
    }

    private async Task HandleAsync(NodeInput input)
    {
        switch (input)
        {
            case TickInput:
                _ticks++;
                _replica.Tick();
                if (_ticks % _settings.ElectionTicks == 0)
                {
                    RetryLostReadRequests();
                    RetryLostForwards();
                }

                break;
            case PeerBatchInput p:
                HandlePeerBatch(p.From, p.Batch);
                break;
            case ClientWriteInput w:
                Release(w.Write);
                RouteWrite(w.Write);
                break;
            case ClientReadInput r:
                Release(r.Read);
                AdmitRead(r.Read);
                break;
            case StatusInput s:
                ReplyStatus(s);
                break;
            case WantsSnapshotInput w:
                w.Reply.TrySetResult(_replica.WantsSnapshot(w.Slot));
                break;
            case InstallSnapshotInput i:
                await InstallReceivedSnapshotAsync(i).ConfigureAwait(false);
                break;
            case SnapshotSavedInput s:
                OnSnapshotSaved(s);
                break;
            case SnapshotSentInput s:
                _snapshotTransfers.Remove(s.Peer);
                break;
            default:
                throw new InvalidOperationException($"unknown node input {input.GetType().Name}");
        }
    }

    private void HandlePeerBatch(int from, Wire.PeerBatch batch)
    {
        if (IsCutOff(from))
        {
            return;
        }

        _lastHeard[from] = _ticks;
        foreach (var message in batch.Messages)
        {
            switch (message.BodyCase)
            {
                case Wire.PeerMessage.BodyOneofCase.Forward:
                    OnForwardedProposal(from, message.Forward);
                    break;
                case Wire.PeerMessage.BodyOneofCase.ForwardRejected:
                    OnForwardRejected(message.ForwardRejected);
                    break;
                case Wire.PeerMessage.BodyOneofCase.ReadIndexRequest:
                    OnReadIndexRequest(from, message.ReadIndexRequest.ReadId);
                    break;
                case Wire.PeerMessage.BodyOneofCase.ReadIndexReply:
                    OnReadIndexReply(message.ReadIndexReply.ReadId, message.ReadIndexReply.Index, message.ReadIndexReply.NotLeader);
                    break;
                default:
                    if (PeerWireCodec.FromWire(from, message) is { } consensus)
                    {
                        var result = _replica.Step(consensus);
                        if (result != PaxosReplica.StepResult.Handled)
                        {
                            LogRejectedMessage(_logger, _members.NameOf(from), consensus.GetType().Name, result.ToString());
                        }
                    }

                    break;
            }
        }
    }

    /// <summary>The host side of the Ready contract (see <see cref="Ready"/>): the order here is what makes it safe.</summary>
    private async Task ProcessReadyAsync(Ready ready)
    {
        SendAll(ready.Messages);
        await PersistWithRetryAsync(ready).ConfigureAwait(false);
        SendAll(ready.MessagesAfterPersist);
        if (ready.SoftState is { } soft)
        {
            OnSoftState(soft);
        }

        // Before applying, which answers clients: whoever sees an answer and then scrapes finds the slot counted.
        PublishMetrics();
        Apply(ready.Decided);
        foreach (var dropped in ready.DroppedProposals)
        {
            OnDroppedProposals(dropped);
        }

        foreach (var state in ready.ReadStates)
        {
            OnReadState(state);
        }

        foreach (var dropped in ready.DroppedReads)
        {
            OnDroppedReads(dropped);
        }

        foreach (var peer in ready.SnapshotRequests)
        {
            StartSnapshotTransfer(peer);
        }

        _replica.Advance();
    }

    private Task PersistWithRetryAsync(Ready ready) => RetryStorageAsync(() => _storage.PersistAsync(ready));

    /// <summary>
    /// Runs a storage write until the disk takes it. Nothing may leave or be applied before it is durable, so a
    /// refusing disk (full, failing) stops the node's progress, loudly, rather than being skipped.
    /// </summary>
    private async Task RetryStorageAsync(Func<Task> write)
    {
        var delay = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            try
            {
                await write().ConfigureAwait(false);
                return;
            }
            catch (StorageUnavailableException ex)
            {
                LogStorageRetry(_logger, ex.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, _time, _stop.Token).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    /// <summary>Removes and returns the ids in <paramref name="sentAt"/> sent more than two election timeouts ago.</summary>
    private List<long> TakeOverdue(Dictionary<long, long> sentAt)
    {
        var overdue = new List<long>();
        foreach (var (id, tick) in sentAt)
        {
            if (_ticks - tick > 2 * _settings.ElectionTicks)
            {
                overdue.Add(id);
            }
        }

        foreach (var id in overdue)
        {
            sentAt.Remove(id);
        }

        return overdue;
    }

    private void SendAll(IReadOnlyList<PeerMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (_links.TryGetValue(message.To, out var link) && !IsCutOff(message.To))
            {
                link.Send(PeerWireCodec.ToWire(message));
            }
        }
    }

    private void SendHost(int to, Wire.PeerMessage message)
    {
        if (_links.TryGetValue(to, out var link) && !IsCutOff(to))
        {
            message.To = to;
            link.Send(message);
        }
    }

    private void OnSoftState(SoftState soft)
    {
        if (soft.RejoinState != _lastJoinState)
        {
            LogJoinState(_logger, soft.RejoinState.ToString());
            _lastJoinState = soft.RejoinState;
        }

        if (soft.LeaderId != _lastLeader)
        {
            LogLeaderChanged(_logger, soft.LeaderId is int l ? _members.NameOf(l) : "none", soft.Role.ToString(), soft.Ballot.ToString());
            _lastLeader = soft.LeaderId;
            if (soft.LeaderId is not null)
            {
                _metrics.LeaderChanged();
            }
        }

        // A leader became known: whatever waited for one can go now.
        if (soft.LeaderId is not null)
        {
            _rerouteParked = true;
        }
    }

    private int? _lastLeader;
    private RejoinState _lastJoinState = RejoinState.Voter;

    private void PublishView()
    {
        var leader = _replica.LeaderId;
        var isLeader = _replica.Role == Role.Leader;

        // A leader steps down by itself without a majority; a follower trusts its leader while it hears from it.
        var live = isLeader || (leader is int l && l != _members.SelfId && _ticks - _lastHeard[l] <= _settings.ElectionTicks);
        var view = new NodeView(
            leader is int id ? _members.NameOf(id) : null,
            leader is int id2 ? (id2 == _members.SelfId ? _settings.AdvertiseClientUrl : _members.ClientUrlOf(id2)) : null,
            isLeader,
            live,
            IsVoter);
        if (view != _view)
        {
            _view = view;
            ViewChanged?.Invoke(view);
        }
    }

    /// <summary>Hands the gauges this moment's numbers; the replica and state machine are not safe to read elsewhere.</summary>
    private void PublishMetrics() =>
        _metrics.PublishLoopState(_replica.DecidedIndex, _stateMachine.AppliedSlot, _replica.Role, _replica.SoftState.Ballot.Round);

    private void FailEverything(Exception reason)
    {
        foreach (var write in _pendingWrites.Values)
        {
            Abandon(write, reason);
        }

        FailAllReads(reason);
    }
}
