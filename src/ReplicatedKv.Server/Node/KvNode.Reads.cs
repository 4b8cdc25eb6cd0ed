using ReplicatedKv.Consensus;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Node;

// Reads. Serializable: the local table, now. Linearizable (read index, Raft thesis §6.4): the leader confirms
// with one heartbeat round, shared by every read waiting at that moment, that it still leads, and names its
// decided slot; the node that took the read answers once it has applied through that slot. A follower asks the
// leader for the index over the peer link and then reads its own table, so the leader does no extra apply work.
public sealed partial class KvNode
{
    private readonly List<PendingRead> _newReads = [];
    private readonly List<PendingRead> _parkedReads = [];
    private readonly Dictionary<long, List<PendingRead>> _readBatches = [];
    private readonly Dictionary<long, (int Node, long RemoteId)> _remoteReads = [];
    private readonly PriorityQueue<List<PendingRead>, long> _awaitingApply = new();
    private readonly Dictionary<long, long> _readBatchSentAt = [];

    // Read ids start at a per-process random point, so a late reply meant for an earlier run of this node
    // cannot match a read of this one.
    private long _nextReadId;

    private void AdmitRead(PendingRead read)
    {
        if (!read.Linearizable)
        {
            Serve(read);
        }
        else
        {
            _newReads.Add(read);
        }
    }

    private void FlushReads()
    {
        if (_newReads.Count == 0)
        {
            return;
        }

        var batch = new List<PendingRead>(_newReads);
        _newReads.Clear();
        var id = ++_nextReadId;
        if (_replica.Role == Role.Leader)
        {
            var outcome = _replica.ReadIndex(id);
            if (outcome == RequestOutcome.Accepted)
            {
                _readBatches[id] = batch;
            }
            else if (outcome == RequestOutcome.Overloaded)
            {
                FailReads(batch, new OverloadedException("too many reads waiting for a read index"));
            }
            else
            {
                _parkedReads.AddRange(batch);
            }
        }
        else if (_replica.LeaderId is int leader && leader != _members.SelfId)
        {
            _readBatches[id] = batch;
            _readBatchSentAt[id] = _ticks;
            SendHost(leader, new Wire.PeerMessage { ReadIndexRequest = new Wire.ReadIndexRequest { ReadId = id } });
        }
        else
        {
            _parkedReads.AddRange(batch);
        }
    }

    private void RerouteParkedReads()
    {
        foreach (var read in _parkedReads)
        {
            if (!read.IsDone)
            {
                _newReads.Add(read);
            }
        }

        _parkedReads.Clear();
    }

    private void OnReadIndexRequest(int from, long remoteId)
    {
        var id = ++_nextReadId;
        if (_replica.Role == Role.Leader && _replica.ReadIndex(id) == RequestOutcome.Accepted)
        {
            _remoteReads[id] = (from, remoteId);
        }
        else
        {
            SendHost(from, new Wire.PeerMessage { ReadIndexReply = new Wire.ReadIndexReply { ReadId = remoteId, NotLeader = true } });
        }
    }

    private void OnReadIndexReply(long id, long index, bool notLeader)
    {
        if (!_readBatches.Remove(id, out var batch))
        {
            return;
        }

        _readBatchSentAt.Remove(id);
        if (notLeader)
        {
            // The one asked is not leader any more: ask again once a leader is known.
            _parkedReads.AddRange(batch);
            _rerouteParked = true;
        }
        else
        {
            _awaitingApply.Enqueue(batch, index);
        }
    }

    private void OnReadState(ReadState state)
    {
        foreach (var id in state.RequestIds)
        {
            if (_remoteReads.Remove(id, out var remote))
            {
                SendHost(remote.Node, new Wire.PeerMessage { ReadIndexReply = new Wire.ReadIndexReply { ReadId = remote.RemoteId, Index = state.Index } });
            }
            else if (_readBatches.Remove(id, out var batch))
            {
                _awaitingApply.Enqueue(batch, state.Index);
            }
        }
    }

    private void OnDroppedReads(DroppedReads dropped)
    {
        foreach (var id in dropped.RequestIds)
        {
            if (_remoteReads.Remove(id, out var remote))
            {
                SendHost(remote.Node, new Wire.PeerMessage { ReadIndexReply = new Wire.ReadIndexReply { ReadId = remote.RemoteId, NotLeader = true } });
            }
            else if (_readBatches.Remove(id, out var batch))
            {
                _parkedReads.AddRange(batch);
                _rerouteParked = true;
            }
        }
    }

    /// <summary>
    /// A read-index request to the leader, or its answer, can be lost with a peer link: a batch that has waited
    /// two election timeouts is asked again (reads change nothing, so asking twice is harmless).
    /// </summary>
    private void RetryLostReadRequests()
    {
        foreach (var id in TakeOverdue(_readBatchSentAt))
        {
            if (_readBatches.Remove(id, out var batch))
            {
                _parkedReads.AddRange(batch);
                _rerouteParked = true;
            }
        }
    }

    private void ServeAppliedReads()
    {
        while (_awaitingApply.TryPeek(out var batch, out var index) && index <= _stateMachine.AppliedSlot)
        {
            _awaitingApply.Dequeue();
            foreach (var read in batch)
            {
                Serve(read);
            }
        }

        // Forget batches whose callers all gave up, so a leaderless stretch cannot grow these without bound.
        if (_readBatches.Count > 1024)
        {
            foreach (var (id, batch) in _readBatches.ToArray())
            {
                if (batch.TrueForAll(r => r.IsDone))
                {
                    _readBatches.Remove(id);
                    _readBatchSentAt.Remove(id);
                }
            }
        }

        _parkedReads.RemoveAll(r => r.IsDone);
        _parkedWrites.RemoveAll(w => w.IsDone);
    }

    private void Serve(PendingRead read)
    {
        if (read.Kind == ReadKind.Contains)
        {
            read.Result.TrySetResult(new ReadResult(_stateMachine.Contains(read.Key), default, 0));
        }
        else
        {
            var found = _stateMachine.TryGet(read.Key, out var value, out var version);
            read.Result.TrySetResult(new ReadResult(found, value, version));
        }
    }

    private static void FailReads(List<PendingRead> reads, Exception reason)
    {
        foreach (var read in reads)
        {
            read.Result.TrySetException(reason);
        }
    }

    private void FailAllReads(Exception reason)
    {
        FailReads(_newReads, reason);
        FailReads(_parkedReads, reason);
        foreach (var batch in _readBatches.Values)
        {
            FailReads(batch, reason);
        }

        while (_awaitingApply.TryDequeue(out var batch, out _))
        {
            FailReads(batch, reason);
        }
    }
}
