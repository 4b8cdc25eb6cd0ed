using ReplicatedKv.Consensus;
using ReplicatedKv.StateMachine;

namespace ReplicatedKv.NodeCore;

// Reads. Serializable: the local table, now. Linearizable (read index, Raft thesis §6.4): the leader confirms with
// one heartbeat round, shared by every read waiting at that moment, that it still leads, and names its decided
// slot; the node that took the read answers once it has applied through that slot. A follower asks the leader for
// the index and then reads its own table, so the leader does no extra apply work.
public sealed partial class NodeCore
{
    private readonly Dictionary<long, PendingRead> _reads = [];
    private readonly List<PendingRead> _newReads = [];
    private readonly List<PendingRead> _parkedReads = [];
    private readonly Dictionary<long, List<PendingRead>> _readBatches = [];
    private readonly Dictionary<long, (int Node, long RemoteId)> _remoteReads = [];
    private readonly PriorityQueue<List<PendingRead>, long> _awaitingApply = new();
    private readonly Dictionary<long, SentTo> _readBatchSentAt = [];

    // Read ids start at a per-incarnation point, so a late reply meant for an earlier run of this node cannot match
    // a read of this one.
    private long _nextReadId;

    private sealed class PendingRead(long caller, string key, ReadKind kind, ListQuery? query = null)
    {
        public long Caller { get; } = caller;

        public string Key { get; } = key;

        public ReadKind Kind { get; } = kind;

        /// <summary>For <see cref="ReadKind.List"/>: the page asked for.</summary>
        public ListQuery? Query { get; } = query;

        /// <summary>Answered or abandoned: wherever it is still listed, it is skipped.</summary>
        public bool Done { get; set; }
    }

    /// <summary>
    /// Takes a client read under <paramref name="caller"/> (see <see cref="SubmitWrite"/>). A serializable read is
    /// answered from the local table at the next <see cref="Advance"/>; a linearizable one once this node has
    /// applied through a read index the leader confirmed.
    /// </summary>
    public void SubmitRead(long caller, string key, ReadKind kind, bool linearizable)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (kind == ReadKind.List)
        {
            throw new ArgumentException("a listing is submitted with SubmitList", nameof(kind));
        }

        Submit(new PendingRead(caller, key, kind), linearizable);
    }

    /// <summary>
    /// Takes a listing under <paramref name="caller"/>, routed exactly as a read: the page is read from the local
    /// table at one applied slot, serializable now, linearizable once the read index is applied here.
    /// </summary>
    public void SubmitList(long caller, ListQuery query, bool linearizable)
    {
        ArgumentNullException.ThrowIfNull(query);
        Submit(new PendingRead(caller, string.Empty, ReadKind.List, query), linearizable);
    }

    private void Submit(PendingRead read, bool linearizable)
    {
        var caller = read.Caller;
        if (!_reads.TryAdd(caller, read))
        {
            throw new InvariantViolationException($"caller {caller} submitted twice");
        }

        if (!linearizable || FollowerReadsWithoutIndex)
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
                foreach (var read in batch)
                {
                    Finish(read, new Answer(read.Caller, AnswerKind.Overloaded, Reason: "too many reads waiting for a read index"));
                }
            }
            else
            {
                _parkedReads.AddRange(batch);
            }
        }
        else if (_replica.LeaderId is int leader && leader != _selfId)
        {
            _readBatches[id] = batch;
            _readBatchSentAt[id] = new SentTo(_ticks, leader);
            _routingOut.Add(new ReadIndexRequest(_selfId, leader, id));
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
            if (!read.Done)
            {
                _newReads.Add(read);
            }
        }

        _parkedReads.Clear();
    }

    private void OnReadIndexRequest(ReadIndexRequest request)
    {
        var id = ++_nextReadId;
        if (_replica.Role == Role.Leader && _replica.ReadIndex(id) == RequestOutcome.Accepted)
        {
            _remoteReads[id] = (request.From, request.ReadId);
        }
        else
        {
            _routingOut.Add(new ReadIndexReply(_selfId, request.From, request.ReadId, 0, NotLeader: true));
        }
    }

    private void OnReadIndexReply(ReadIndexReply reply)
    {
        if (!_readBatches.Remove(reply.ReadId, out var batch))
        {
            return;
        }

        _readBatchSentAt.Remove(reply.ReadId);
        if (reply.NotLeader)
        {
            // The one asked does not lead any more: ask again at the next leader change or periodic retry.
            _parkedReads.AddRange(batch);
        }
        else
        {
            _awaitingApply.Enqueue(batch, reply.Index);
        }
    }

    private void OnReadState(ReadState state)
    {
        foreach (var id in state.RequestIds)
        {
            if (_remoteReads.Remove(id, out var remote))
            {
                _routingOut.Add(new ReadIndexReply(_selfId, remote.Node, remote.RemoteId, state.Index, NotLeader: false));
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
                _routingOut.Add(new ReadIndexReply(_selfId, remote.Node, remote.RemoteId, 0, NotLeader: true));
            }
            else if (_readBatches.Remove(id, out var batch))
            {
                ParkReads(batch);
            }
        }
    }

    private void ParkReads(List<PendingRead> batch)
    {
        _parkedReads.AddRange(batch);
        _rerouteParked = true;
    }

    /// <summary>
    /// A read-index request to the leader, or its answer, can be lost with a peer link: a batch that waited the
    /// retry interval is asked again (reads change nothing, so asking twice is harmless).
    /// </summary>
    private void RetryLostReadRequests()
    {
        foreach (var id in TakeOverdue(_readBatchSentAt))
        {
            if (_readBatches.Remove(id, out var batch))
            {
                ParkReads(batch);
            }
        }
    }

    /// <summary>
    /// A new leader became known: read-index requests sent to another node are asked again of it now, not after the
    /// retry interval (the old leader may be dead; reads change nothing, so a second answer is harmless).
    /// </summary>
    private void ReaskReadsOfOldLeaders(int leader)
    {
        foreach (var id in TakeSentElsewhere(_readBatchSentAt, leader))
        {
            if (_readBatches.Remove(id, out var batch))
            {
                ParkReads(batch);
            }
        }
    }

    /// <summary>
    /// A read whose index this node has already applied can be answered now. A follower's read index often comes
    /// back after the slot it names was applied; without this the read would wait for the next unrelated Ready
    /// (in practice a heartbeat).
    /// </summary>
    private bool HasServableReads => _awaitingApply.TryPeek(out _, out var index) && index <= _stateMachine.AppliedSlot;

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
        if (_readBatches.Count > _config.MaxReadBatches)
        {
            foreach (var (id, batch) in _readBatches.ToArray())
            {
                if (batch.TrueForAll(static r => r.Done))
                {
                    _readBatches.Remove(id);
                    _readBatchSentAt.Remove(id);
                }
            }
        }

        _parkedReads.RemoveAll(static r => r.Done);
    }

    private void Serve(PendingRead read)
    {
        if (read.Done)
        {
            return;
        }

        Finish(read, new Answer(read.Caller, AnswerKind.ReadServed, Read: ReadLocal(read.Key, read.Kind, read.Query)));
    }

    /// <summary>
    /// A serializable read of the local table, now. The host uses it directly only while a Ready waits for a
    /// refusing disk (no Advance can run then), so serializable reads keep answering from the last applied state.
    /// </summary>
    public ReadResult ReadLocal(string key, ReadKind kind, ListQuery? query = null)
    {
        if (kind == ReadKind.Contains)
        {
            return new ReadResult(_stateMachine.Contains(key), default, 0);
        }

        if (kind == ReadKind.List)
        {
            return new ReadResult(true, default, 0, Page: _stateMachine.List(query ?? throw new ArgumentNullException(nameof(query), "a listing needs its query")));
        }

        var found = _stateMachine.TryGetEntry(key, out var entry);
        return new ReadResult(found, entry.Value, entry.ModRevision, entry.CreateRevision, entry.Version);
    }

    private void Finish(PendingRead read, Answer answer)
    {
        if (_reads.Remove(read.Caller))
        {
            read.Done = true;
            _answers.Add(answer);
        }
    }

#if RKV_FAULT_INJECTION
    private bool FollowerReadsWithoutIndex => _config.Faults.FollowerReadsWithoutIndex && _replica.Role != Role.Leader;
#else
    private static bool FollowerReadsWithoutIndex => false;
#endif
}
