using ReplicatedKv.Consensus;
using ReplicatedKv.NodeCore;
using ReplicatedKv.Transport;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Node;

// The loop: drain inputs into the core, let the Ready processor carry out what the core asks, publish.
public sealed partial class KvNode
{
    private const int MaxInputsPerRound = 8192;
    private long _reportedProposed;
    private long _reportedForwarded;
    private long _reportedAppliedSlots;
    private long _reportedAppliedCommands;

    private void RunLoop()
    {
        var reader = _inputs.Reader;
        try
        {
            // Slots decided before a restart are applied before anything else is looked at.
            _processor.ProcessAll();
            while (WaitForInput(reader, _stop.Token))
            {
                Interlocked.Increment(ref _loopRounds);

                // Everything queued while the last fsync ran goes into the next Ready: this is where batching comes from.
                for (var n = 0; n < MaxInputsPerRound && reader.TryRead(out var input); n++)
                {
                    Handle(input);
                }

                _processor.ProcessAll();
                SyncMembers();
                MaybeAutoPromote();
                PublishView();
                PublishMetrics();
                MaybeStartSnapshot();
            }

            _loopDone.TrySetResult();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            _loopDone.TrySetResult();
        }
#pragma warning disable CA1031 // The loop's death must reach every waiter and Completion, whatever killed it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogLoopDied(_logger, ex);
            _inputs.Writer.TryComplete();
            FailQueuedInputs(new InvalidOperationException("the node stopped: " + ex.Message));
            FailEverything(new InvalidOperationException("the node stopped: " + ex.Message));
            _loopDone.TrySetException(ex);
        }
    }

    /// <summary>Blocks the loop thread until an input is queued; false once the queue is closed.</summary>
    private static bool WaitForInput(System.Threading.Channels.ChannelReader<NodeInput> reader, CancellationToken cancellationToken)
    {
        var wait = reader.WaitToReadAsync(cancellationToken);
        return wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
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
                    Abandon(r.Read, reason);
                    break;
                case StatusInput s:
                    s.Reply.TrySetException(new ObjectDisposedException(nameof(KvNode), reason.Message));
                    break;
                case BackupViewInput b:
                    b.Reply.TrySetException(new ObjectDisposedException(nameof(KvNode), reason.Message));
                    break;
                case LeaderTransferInput t:
                    t.Reply.TrySetException(new ObjectDisposedException(nameof(KvNode), reason.Message));
                    break;
                default:
                    DeclineSnapshot(input);
                    break;
            }
        }
    }

    /// <summary>Says no to a peer's snapshot offer or install (the sender offers again later); ignores other inputs.</summary>
    private static void DeclineSnapshot(NodeInput input) =>
        (input switch { WantsSnapshotInput w => w.Reply, InstallSnapshotInput i => i.Reply, _ => null })?.TrySetResult(false);

    /// <summary>
    /// Queues a tick every tick-interval, on a thread of its own: ticks drive heartbeats and elections, so they must
    /// not wait in a starved thread pool's queue (a pool timer's callback does) while Kestrel is busy. Ticks missed
    /// while the process could not run are not made up in a burst, as with a periodic timer.
    /// </summary>
    private void RunTicker()
    {
        var stop = _stop.Token.WaitHandle;
        var interval = _settings.TickInterval;
        var next = _time.GetTimestamp();
        try
        {
            while (true)
            {
                next += (long)(interval.TotalSeconds * _time.TimestampFrequency);
                var wait = _time.GetElapsedTime(_time.GetTimestamp(), next);
                if (wait > TimeSpan.Zero ? stop.WaitOne(wait) : _stop.IsCancellationRequested)
                {
                    break;
                }

                if (wait < -interval)
                {
                    next = _time.GetTimestamp();
                }

                _inputs.Writer.TryWrite(TickInput.Instance);
                WatchForStall();
            }

            _tickerDone.TrySetResult();
        }
#pragma warning disable CA1031 // Whatever stops the ticker must reach DisposeAsync, which waits for it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _tickerDone.TrySetException(ex);
        }
    }

    private void Handle(NodeInput input)
    {
        switch (input)
        {
            case TickInput:
                _core.Tick();
                break;
            case PeerBatchInput p:
                HandlePeerBatch(p.From, p.Batch);
                break;
            case ClientWriteInput w:
                Release(w.Write);
                if (_calls.ContainsKey(w.Write.Caller))
                {
                    _core.SubmitWrite(w.Write.Caller, w.Command);
                }

                break;
            case ClientReadInput r:
                Release(r.Read);
                if (_calls.ContainsKey(r.Read.Caller))
                {
                    if (r.Query is { } query)
                    {
                        _core.SubmitList(r.Read.Caller, query, r.Linearizable);
                    }
                    else
                    {
                        _core.SubmitRead(r.Read.Caller, r.Key, r.Kind, r.Linearizable);
                    }
                }

                break;
            case AbandonInput a:
                _core.Abandon(a.Caller);
                break;
            case StatusInput s:
                ReplyStatus(s);
                break;
            case WantsSnapshotInput w:
                w.Reply.TrySetResult(WantsSnapshotFrom(w.From, w.Slot));
                break;
            case InstallSnapshotInput i:
                InstallReceivedSnapshot(i);
                break;
            case SnapshotSavedInput s:
                OnSnapshotSaved(s);
                break;
            case SnapshotSentInput s:
                _snapshotTransfers.Remove(s.Peer);
                break;
            case BackupViewInput b:
                ReplyBackupView(b);
                break;
            case LeaderTransferInput t:
                StartLeaderTransfer(t);
                break;
            case MembershipChangeInput m:
                StartMembershipChange(m);
                break;
            default:
                throw new InvalidOperationException($"unknown node input {input.GetType().Name}");
        }
    }

    private void HandlePeerBatch(int from, Wire.PeerBatch batch)
    {
        foreach (var message in batch.Messages)
        {
            if (RoutingWireCodec.FromWire(from, message) is { } routing)
            {
                NoteRejected(from, routing.GetType().Name, _core.Step(routing));
            }
            else if (PeerWireCodec.FromWire(from, message) is { } consensus)
            {
                NoteRejected(from, consensus.GetType().Name, _core.Step(consensus));
            }
        }
    }

    private void SendToPeer(int to, Wire.PeerMessage message) => _transport.Send(to, message);

    private void OnSoftState(SoftState soft)
    {
        if (soft.RejoinState != _lastRejoinState)
        {
            LogRejoinState(_logger, soft.RejoinState.ToString());
            _lastRejoinState = soft.RejoinState;
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
    }

    private int? _lastLeader;
    private RejoinState _lastRejoinState = RejoinState.Voter;

    private void Answer(IReadOnlyList<Answer> answers)
    {
        // Counted before callers are answered: whoever sees an answer and then scrapes finds the slot counted.
        PublishMetrics();
        for (var i = 0; i < answers.Count; i++)
        {
            var answer = answers[i];
            if (_calls.TryRemove(answer.Caller, out var call))
            {
                call.Complete(answer);
            }
        }
    }

    private void PublishView()
    {
        var replica = _core.Replica;
        var leader = replica.LeaderId;
        var isLeader = replica.Role == Role.Leader;
        var view = new NodeView(
            leader is int id ? _members.NameOf(id) : null,
            leader is int id2 ? (id2 == _members.SelfId ? _settings.AdvertiseClientUrl : _members.ClientUrlOf(id2)) : null,
            isLeader,
            _core.SeesLiveLeader,
            replica.IsVoter);
        lock (_viewGate)
        {
            _loopView = view;
        }

        RefreshView();
    }

    /// <summary>Hands the metrics this moment's numbers; the core is not safe to read elsewhere.</summary>
    private void PublishMetrics()
    {
        var replica = _core.Replica;
        _metrics.PublishLoopState(replica.DecidedIndex, _core.StateMachine.AppliedSlot, replica.Role, replica.SoftState.Ballot.Round);
        if (_core.ProposedCommands != _reportedProposed)
        {
            _metrics.Proposed((int)(_core.ProposedCommands - _reportedProposed));
            _reportedProposed = _core.ProposedCommands;
        }

        if (_core.ForwardedCommands != _reportedForwarded)
        {
            _metrics.Forwarded((int)(_core.ForwardedCommands - _reportedForwarded));
            _reportedForwarded = _core.ForwardedCommands;
        }

        if (_core.AppliedSlots != _reportedAppliedSlots)
        {
            _metrics.Applied(_core.AppliedSlots - _reportedAppliedSlots, _core.AppliedCommands - _reportedAppliedCommands);
            _reportedAppliedSlots = _core.AppliedSlots;
            _reportedAppliedCommands = _core.AppliedCommands;
        }
    }

    private void FailEverything(Exception reason)
    {
        foreach (var call in _calls.Values)
        {
            if (_calls.TryRemove(call.Caller, out _))
            {
                call.Fail(reason);
            }
        }
    }

    /// <summary>The server's world for the Ready processor: the WAL, the peer links, the waiting callers.</summary>
    private sealed class LoopHost(KvNode node) : INodeHost
    {
        public void Send(PeerMessage message) => node.SendToPeer(message.To, PeerWireCodec.ToWire(message));

        public void Send(RoutingMessage message) => node.SendToPeer(message.To, RoutingWireCodec.ToWire(message));

        public void Persist(Ready ready) => node.RetryStorage(() => node._storage.Persist(ready));

        public void OnSoftStateChanged(SoftState state) => node.OnSoftState(state);

        public void Answer(IReadOnlyList<Answer> answers) => node.Answer(answers);

        public void SendSnapshot(int peer) => node.StartSnapshotTransfer(peer);
    }
}
