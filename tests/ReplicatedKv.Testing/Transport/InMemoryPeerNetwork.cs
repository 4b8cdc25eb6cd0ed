using ReplicatedKv.Transport;

namespace ReplicatedKv.Testing.Transport;

/// <summary>
/// The in-memory twin of the gRPC peer transport: a network of members 1..<see cref="MemberCount"/>, each
/// attached with <see cref="Connect"/>, with partitions a test switches on and off. It keeps the
/// <see cref="IPeerTransport"/> contract: delivery is asynchronous (on a pump task per directed link, never
/// inside the sender's call), in order per link, at most once, as <see cref="Protos.Peer.V1.PeerBatch"/>es
/// stamped like the gRPC path stamps them (cluster id, sender name and client URL, send time; each message's
/// <c>To</c>), and anything that cannot be delivered is dropped, never delayed.
/// </summary>
/// <remarks>
/// A cut link drops what is sent on it and what was still in flight on it when it was cut. A node that is not
/// connected, or whose transport was disposed, is unreachable; connecting it again (a restart) makes it
/// reachable with its new inbox, and nothing sent to the earlier incarnation reaches the new one.
/// </remarks>
public sealed class InMemoryPeerNetwork
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, InMemoryPeerTransport> _nodes = [];
    private readonly HashSet<(int From, int To)> _cut = [];
    private readonly HashSet<int> _isolated = [];
    private readonly Func<int, string> _nameOf;
    private long _dropped;

    /// <param name="memberCount">Members are numbered 1..memberCount, as <see cref="ClusterMembers.Ids"/> are.</param>
    /// <param name="clusterId">Stamped on every batch.</param>
    /// <param name="nameOf">A member's name, stamped as the batch's sender; <c>n{id}</c> if null.</param>
    /// <param name="queueCapacity">Messages waiting on one link before the oldest are dropped, as in <see cref="PeerLinkOptions.QueueCapacity"/>.</param>
    /// <param name="time">The clock for batch send times; the system clock if null.</param>
    public InMemoryPeerNetwork(int memberCount, string clusterId = "in-memory", Func<int, string>? nameOf = null, int queueCapacity = 16_384, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(memberCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        MemberCount = memberCount;
        ClusterId = clusterId;
        _nameOf = nameOf ?? (id => $"n{id}");
        QueueCapacity = queueCapacity;
        Time = time ?? TimeProvider.System;
    }

    public int MemberCount { get; }

    public string ClusterId { get; }

    internal int QueueCapacity { get; }

    internal TimeProvider Time { get; }

    /// <summary>Messages dropped so far: sent or in flight on a cut link, to an absent node, or pushed out of a full queue.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public string NameOf(int id) => _nameOf(id);

    public bool IsMember(int id) => id >= 1 && id <= MemberCount;

    /// <summary>
    /// Attaches member <paramref name="nodeId"/>: what others send it goes to <paramref name="inbox"/>, and the
    /// returned transport is its outbound side. Disposing that transport detaches the node; it may then connect
    /// again (a restart). Throws if the node is connected already.
    /// </summary>
    /// <param name="nodeId">The member's id.</param>
    /// <param name="inbox">Where messages and snapshots for it are delivered.</param>
    /// <param name="clientUrl">Its advertised client URL, stamped on the batches it sends.</param>
    public IPeerTransport Connect(int nodeId, IPeerInbox inbox, string clientUrl = "")
    {
        ArgumentNullException.ThrowIfNull(inbox);
        ArgumentNullException.ThrowIfNull(clientUrl);
        if (!IsMember(nodeId))
        {
            throw new ArgumentOutOfRangeException(nameof(nodeId), nodeId, $"members are 1..{MemberCount}");
        }

        lock (_gate)
        {
            if (_nodes.ContainsKey(nodeId))
            {
                throw new InvalidOperationException($"node {nodeId} is connected already; dispose its transport first");
            }

            var node = new InMemoryPeerTransport(this, nodeId, inbox, clientUrl);
            _nodes[nodeId] = node;
            return node;
        }
    }

    /// <summary>True while <paramref name="nodeId"/> is connected (its transport not disposed).</summary>
    public bool IsConnected(int nodeId)
    {
        lock (_gate)
        {
            return _nodes.ContainsKey(nodeId);
        }
    }

    /// <summary>Drops everything between <paramref name="a"/> and <paramref name="b"/>, both directions.</summary>
    public void Cut(int a, int b)
    {
        lock (_gate)
        {
            _cut.Add((a, b));
            _cut.Add((b, a));
        }
    }

    /// <summary>Drops what <paramref name="from"/> sends to <paramref name="to"/>; the other direction still flows.</summary>
    public void CutOneWay(int from, int to)
    {
        lock (_gate)
        {
            _cut.Add((from, to));
        }
    }

    /// <summary>Drops everything to and from <paramref name="node"/> until <see cref="Rejoin"/> or <see cref="Heal()"/>.</summary>
    public void Isolate(int node)
    {
        lock (_gate)
        {
            _isolated.Add(node);
        }
    }

    /// <summary>Undoes <see cref="Isolate"/> for <paramref name="node"/>; cuts of single links stay.</summary>
    public void Rejoin(int node)
    {
        lock (_gate)
        {
            _isolated.Remove(node);
        }
    }

    /// <summary>Undoes <see cref="Cut"/> and <see cref="CutOneWay"/> between <paramref name="a"/> and <paramref name="b"/> (both directions); isolation stays.</summary>
    public void Heal(int a, int b)
    {
        lock (_gate)
        {
            _cut.Remove((a, b));
            _cut.Remove((b, a));
        }
    }

    /// <summary>Undoes every cut and isolation.</summary>
    public void Heal()
    {
        lock (_gate)
        {
            _cut.Clear();
            _isolated.Clear();
        }
    }

    /// <summary>True while what <paramref name="from"/> sends to <paramref name="to"/> is dropped by a partition.</summary>
    public bool IsCut(int from, int to)
    {
        lock (_gate)
        {
            return _isolated.Contains(from) || _isolated.Contains(to) || _cut.Contains((from, to));
        }
    }

    /// <summary>The live transport of <paramref name="to"/> if <paramref name="from"/> can reach it now.</summary>
    internal InMemoryPeerTransport? Route(int from, int to)
    {
        lock (_gate)
        {
            if (_isolated.Contains(from) || _isolated.Contains(to) || _cut.Contains((from, to)))
            {
                return null;
            }

            return _nodes.TryGetValue(to, out var node) ? node : null;
        }
    }

    /// <summary>True while <paramref name="node"/> is the connected incarnation of its member.</summary>
    internal bool IsCurrent(InMemoryPeerTransport node)
    {
        lock (_gate)
        {
            return _nodes.TryGetValue(node.NodeId, out var current) && ReferenceEquals(current, node);
        }
    }

    internal void Detach(InMemoryPeerTransport node)
    {
        lock (_gate)
        {
            if (_nodes.TryGetValue(node.NodeId, out var current) && ReferenceEquals(current, node))
            {
                _nodes.Remove(node.NodeId);
            }
        }
    }

    internal void CountDropped(int count = 1) => Interlocked.Add(ref _dropped, count);
}
