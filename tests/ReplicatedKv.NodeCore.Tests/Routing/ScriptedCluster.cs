using ReplicatedKv.Consensus;
using ReplicatedKv.StateMachine;
using ReplicatedKv.Testing.Simulation;

namespace ReplicatedKv.NodeCore.Tests.Routing;

/// <summary>
/// A scripted cluster of node cores for routing tests. Nothing happens unless the test says so: time moves only
/// by <see cref="Tick"/>, messages wait in one FIFO queue until the test delivers, holds or drops them, and links
/// are cut and healed by hand. Each node runs through <see cref="ReadyProcessor"/> with the shared <see cref="TwinHost"/>,
/// the path the server, the simulator and the golden traces take, so the routing under test is the routing rkv-server runs.
/// </summary>
internal sealed class ScriptedCluster
{
    public const int ElectionTicks = 10;

    public const int HeartbeatTicks = 2;

    /// <summary>Deliberately not a multiple of ElectionTicks: a resend shows the core waited RetryTicks, not one timeout.</summary>
    public const int RetryTicks = 25;

    private readonly Dictionary<int, Member> _members = [];
    private readonly List<object> _inFlight = [];
    private readonly List<object> _sent = [];
    private readonly HashSet<(int, int)> _cuts = [];
    private readonly Dictionary<long, int> _callerOrigin = [];
    private readonly Dictionary<long, (int Node, Answer Answer)> _answers = [];
    private long _nextCaller;

    public ScriptedCluster(int size, Func<NodeCoreConfig, NodeCoreConfig>? configure = null)
    {
        Ids = Enumerable.Range(1, size).ToArray();
        var network = new ScriptedNetwork(this);
        foreach (var id in Ids)
        {
            var config = new NodeCoreConfig
            {
                Replica = new ReplicaConfig { NodeId = id, Members = Ids, ElectionTicks = ElectionTicks, HeartbeatTicks = HeartbeatTicks, RandomSeed = (ulong)id },
                Incarnation = (uint)(100 + id),
                RetryTicks = RetryTicks,
            };
            config = configure?.Invoke(config) ?? config;
            var core = new NodeCore(config, PersistentState.Empty, new KeyValueStateMachine());
            var member = new Member(core);
            member.Processor = new ReadyProcessor(core, new TwinHost(id, new AppliedCommandsDisk(member), network));
            _members[id] = member;
        }
    }

    public IReadOnlyList<int> Ids { get; }

    /// <summary>Every message any node handed to the network, in order, whether or not it was delivered.</summary>
    public IReadOnlyList<object> Sent => _sent;

    public NodeCore Node(int id) => _members[id].Core;

    public Answer? AnswerTo(long caller) => _answers.TryGetValue(caller, out var answered) ? answered.Answer : null;

    public int? AnsweredBy(long caller) => _answers.TryGetValue(caller, out var answered) ? answered.Node : null;

    /// <summary>The lowest-numbered node that believes it leads (a deposed leader cut off may still believe it).</summary>
    public int? Leader => Ids.Where(IsLeader).Cast<int?>().FirstOrDefault();

    public bool IsLeader(int id) => Node(id).Replica.Role == Role.Leader;

    public long Set(int node, string key, string value, RequestId? requestId = null) =>
        Submit(node, caller => Node(node).SubmitWrite(caller, KvCommand.Set(key, System.Text.Encoding.UTF8.GetBytes(value), requestId: requestId)));

    public long Read(int node, string key, bool linearizable = true) =>
        Submit(node, caller => Node(node).SubmitRead(caller, key, ReadKind.Get, linearizable));

    public long ChangeMembership(int node, MembershipChange change) =>
        Submit(node, caller => Node(node).SubmitMembershipChange(caller, change));

    public void Abandon(int node, long caller)
    {
        Node(node).Abandon(caller);
        _members[node].Processor.ProcessAll();
    }

    /// <summary>One tick on each of <paramref name="nodes"/> (every node when none is named); delivers nothing.</summary>
    public void Tick(params int[] nodes)
    {
        foreach (var id in nodes.Length == 0 ? Ids : nodes)
        {
            Node(id).Tick();
            _members[id].Processor.ProcessAll();
        }
    }

    /// <summary>
    /// Delivers queued messages in order, and the messages they cause, until none that <paramref name="which"/>
    /// selects (all, when null) is left. Messages across a cut link are lost when their turn comes.
    /// </summary>
    public void Deliver(Func<object, bool>? which = null)
    {
        while (_inFlight.FindIndex(m => which?.Invoke(m) ?? true) is var index and >= 0)
        {
            var message = _inFlight[index];
            _inFlight.RemoveAt(index);
            var (from, to) = Route(message);
            // A cut link loses it, and so does a member that is not running (one added only to the configuration).
            if (_cuts.Contains((from, to)) || !_members.ContainsKey(to))
            {
                continue;
            }

            if (message is PeerMessage peer)
            {
                Node(to).Step(peer);
            }
            else
            {
                Node(to).Step((RoutingMessage)message);
            }

            _members[to].Processor.ProcessAll();
        }
    }

    /// <summary>Takes the queued messages <paramref name="which"/> selects out of the network, to lose them or hand them in later.</summary>
    public IReadOnlyList<object> Hold(Func<object, bool> which)
    {
        var held = _inFlight.Where(which).ToArray();
        _inFlight.RemoveAll(m => which(m));
        return held;
    }

    /// <summary>Puts held messages back into the network, behind everything queued.</summary>
    public void Release(IEnumerable<object> messages) => _inFlight.AddRange(messages);

    /// <summary>Ticks <paramref name="nodes"/> (every node when none is named) and delivers everything, <paramref name="ticks"/> times.</summary>
    public void Run(int ticks, params int[] nodes)
    {
        for (var i = 0; i < ticks; i++)
        {
            Tick(nodes);
            Deliver();
        }
    }

    /// <summary>Runs tick by tick until <paramref name="condition"/> holds; false if it did not within <paramref name="maxTicks"/>.</summary>
    public bool RunUntil(Func<bool> condition, int maxTicks = 50 * ElectionTicks, params int[] nodes)
    {
        for (var i = 0; i < maxTicks && !condition(); i++)
        {
            Run(1, nodes);
        }

        return condition();
    }

    /// <summary>Makes <paramref name="node"/> leader by ticking only it, so no other node's timer can start a rival election.</summary>
    public int ElectLeader(int node)
    {
        Deliver();
        if (!RunUntil(() => Node(node).Replica.Role == Role.Leader, nodes: node))
        {
            throw new InvalidOperationException($"node {node} did not become leader");
        }

        // Let the followers learn who leads from its first heartbeat.
        Run(2, node);
        return node;
    }

    public void Cut(int a, int b)
    {
        _cuts.Add((a, b));
        _cuts.Add((b, a));
    }

    public void Isolate(int node)
    {
        foreach (var other in Ids.Where(id => id != node))
        {
            Cut(node, other);
        }
    }

    public void Connect(int a, int b)
    {
        _cuts.Remove((a, b));
        _cuts.Remove((b, a));
    }

    public void Heal() => _cuts.Clear();

    /// <summary>How many times <paramref name="node"/> applied a slot holding the command <paramref name="caller"/> submitted.</summary>
    public int AppliedCopies(int node, long caller) =>
        _members[node].Applied.Count(applied => applied == (_callerOrigin[caller], caller));

    public int SentCount<T>(Func<T, bool>? where = null) => _sent.OfType<T>().Count(m => where?.Invoke(m) ?? true);

    private long Submit(int node, Action<long> submit)
    {
        var caller = ++_nextCaller;
        _callerOrigin[caller] = node;
        submit(caller);
        _members[node].Processor.ProcessAll();
        return caller;
    }

    private static (int From, int To) Route(object message) => message switch
    {
        PeerMessage m => (m.From, m.To),
        RoutingMessage m => (m.From, m.To),
        _ => throw new ArgumentException($"not a message: {message}", nameof(message)),
    };

    private sealed class Member(NodeCore core)
    {
        public NodeCore Core { get; } = core;

        public ReadyProcessor Processor { get; set; } = null!;

        /// <summary>(origin node, caller) of every command this node applied, in log order.</summary>
        public List<(int Origin, long Caller)> Applied { get; } = [];
    }

    /// <summary>
    /// The node's disk twin for <see cref="TwinHost"/>: nothing here restarts, so durability needs no model; what
    /// matters is which commands each node applied.
    /// </summary>
    private sealed class AppliedCommandsDisk(Member member) : IDiskTwin
    {
        public void Persist(Ready ready)
        {
            foreach (var entry in ready.Decided)
            {
                foreach (var command in entry.Value.Commands)
                {
                    CommandEnvelope.Unwrap(command, out var origin, out _, out var caller);
                    member.Applied.Add((origin, caller));
                }
            }
        }
    }

    /// <summary>The network twin for <see cref="TwinHost"/>: one FIFO queue the test delivers from, a table of answers.</summary>
    private sealed class ScriptedNetwork(ScriptedCluster cluster) : INetworkTwin
    {
        public void Send(PeerMessage message) => cluster.Enqueue(message);

        public void Send(RoutingMessage message) => cluster.Enqueue(message);

        public void SendSnapshot(int from, int to) =>
            throw new InvalidOperationException("routing scripts never compact a log, so no peer should need a snapshot");

        public void Answer(int node, IReadOnlyList<Answer> answers)
        {
            foreach (var answer in answers)
            {
                if (!cluster._answers.TryAdd(answer.Caller, (node, answer)))
                {
                    throw new InvalidOperationException($"caller {answer.Caller} was answered twice");
                }
            }
        }
    }

    private void Enqueue(object message)
    {
        _sent.Add(message);
        _inFlight.Add(message);
    }
}
