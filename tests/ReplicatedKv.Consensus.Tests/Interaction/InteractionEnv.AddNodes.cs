using ReplicatedKv.NodeCore;

namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>add-nodes N [election=10] [heartbeat=2] [window=64] [batch=1024] [slots-ahead=1048576] [rejoin=bootstrap]
    /// [quarantine=20]</c>: creates nodes 1..N, all members of one cluster, each starting empty in the given join
    /// mode (bootstrap, rejoin or probe). Timeouts are set explicitly and each node is seeded with its id, so
    /// election jitter (and with it every trace) is the same on every run.
    /// </summary>
    private void AddNodes(DataDrivenCommand command)
    {
        command.Expect(1, 1, "election", "heartbeat", "window", "batch", "slots-ahead", "rejoin", "quarantine");
        if (_nodes.Count > 0)
        {
            throw new InvalidOperationException("add-nodes may be used once per file: later nodes join with join-node");
        }

        var count = command.PositionalInt(0);
        var members = Enumerable.Range(1, count).ToArray();
        foreach (var id in members)
        {
            var replica = new ReplicaConfig
            {
                NodeId = id,
                Members = members,
                ElectionTicks = command.NamedInt("election", 10),
                HeartbeatTicks = command.NamedInt("heartbeat", 2),
                Window = command.NamedInt("window", 64),
                MaxBatchCommands = command.NamedInt("batch", 1024),
                MaxSlotsAhead = command.NamedInt("slots-ahead", 1 << 20),
                RandomSeed = (ulong)id,
                RejoinMode = ParseRejoinMode(command.NamedString("rejoin", "bootstrap")),
                RejoinQuarantineTicks = command.NamedInt("quarantine", 20),
            };
            _nodes[id] = new InteractionNode(new NodeCoreConfig { Replica = replica, Incarnation = 0 }, this);
        }

        var sample = _nodes[1].Config.Replica;
        var join = sample.RejoinMode == RejoinMode.Bootstrap ? string.Empty : $" rejoin={Describe.RejoinMode(sample.RejoinMode)} quarantine={sample.RejoinQuarantineTicks}";
        Write($"nodes {string.Join(',', members)}: election={sample.ElectionTicks} heartbeat={sample.HeartbeatTicks} " +
              $"window={sample.Window} batch={sample.MaxBatchCommands} slots-ahead={sample.MaxSlotsAhead}{join}");
    }

    private static RejoinMode ParseRejoinMode(string text) => text switch
    {
        "bootstrap" => RejoinMode.Bootstrap,
        "rejoin" => RejoinMode.Rejoin,
        "probe" => RejoinMode.Probe,
        _ => throw new FormatException($"rejoin mode '{text}' is not bootstrap, rejoin or probe"),
    };
}
