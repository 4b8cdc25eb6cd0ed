using System.Text;

namespace ReplicatedKv.Consensus.Tests.Interaction;

/// <summary>
/// A hand-driven cluster for golden tests: N node cores (replica and state machine), a disk per node, and one
/// queue of in-flight messages and snapshots. Each node's Ready goes through the one ReadyProcessor, with the
/// <see cref="Testing.Simulation.TwinHost"/> the simulator uses too. Nothing happens unless a command says so, which is what lets a test file pin down
/// the exact interleaving it wants to show. Each command lives in its own <c>InteractionEnv.*.cs</c> file.
/// </summary>
internal sealed partial class InteractionEnv
{
    private const string IndentStep = "  ";

    private readonly SortedDictionary<int, InteractionNode> _nodes = [];
    private readonly List<Envelope> _network = [];
    private readonly StringBuilder _output = new();
    private string _indent = string.Empty;

    /// <summary>Runs one command and returns what it printed ("ok" when it printed nothing).</summary>
    public string Handle(DataDrivenCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        _output.Clear();
        _indent = string.Empty;
        switch (command.Name)
        {
            case "_breakpoint": Breakpoint(command); break;
            case "add-nodes": AddNodes(command); break;
            case "campaign": Campaign(command); break;
            case "propose": Propose(command); break;
            case "read-index": ReadIndex(command); break;
            case "tick": Tick(command); break;
            case "tick-heartbeat": TickHeartbeat(command); break;
            case "process-ready": ProcessReady(command); break;
            case "deliver-msgs": DeliverMsgs(command); break;
            case "stabilize": Stabilize(command); break;
            case "isolate": Isolate(command); break;
            case "cut": Cut(command); break;
            case "heal": Heal(command); break;
            case "crash": Crash(command); break;
            case "restart": Restart(command); break;
            case "wipe": Wipe(command); break;
            case "compact": Compact(command); break;
            case "send-snapshot": SendSnapshot(command); break;
            case "status": Status(command); break;
            case "log": Log(command); break;
            case "join-node": JoinNode(command); break;
            case "change-membership": ChangeMembership(command); break;
            case "transfer-leader": TransferLeader(command); break;
            case "membership": Membership(command); break;
            default: throw new FormatException($"unknown command '{command.Name}'");
        }

        return _output.Length == 0 ? "ok" : _output.ToString().TrimEnd('\n');
    }

    private void Write(string line) => _output.Append(_indent).Append(line).Append('\n');

    /// <summary>Indents everything written until the returned scope is disposed.</summary>
    private IndentScope Indent()
    {
        var previous = _indent;
        _indent += IndentStep;
        return new IndentScope(this, previous);
    }

    private InteractionNode Node(int id) =>
        _nodes.TryGetValue(id, out var node) ? node : throw new ArgumentException($"no node {id}", nameof(id));

    /// <summary>The given ids, or every node when none are given.</summary>
    private IEnumerable<InteractionNode> NodesOrAll(IReadOnlyList<int> ids) =>
        ids.Count == 0 ? _nodes.Values : ids.Select(Node);

    private readonly struct IndentScope(InteractionEnv env, string previous) : IDisposable
    {
        public void Dispose() => env._indent = previous;
    }
}
