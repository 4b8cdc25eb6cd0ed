namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>join-node ID</c>: starts a new, empty node that joins the existing cluster (after its addition was decided, as
    /// an operator does): told the cluster exists, it is a rejoining learner until fenced, and learns the configuration
    /// from the log. Its settings copy node 1's.
    /// </summary>
    private void JoinNode(DataDrivenCommand command)
    {
        command.Expect(1, 1);
        var id = command.PositionalInt(0);
        if (_nodes.ContainsKey(id))
        {
            throw new InvalidOperationException($"node {id} exists");
        }

        var template = _nodes.Values.First().Config;
        var replica = template.Replica with
        {
            NodeId = id,
            Members = [.. _nodes.Keys, id],
            RandomSeed = (ulong)id,
            RejoinMode = RejoinMode.Rejoin,
        };
        _nodes[id] = new InteractionNode(template with { Replica = replica }, this);
        Write($"node {id} joins: members {string.Join(',', replica.Members)} rejoin=rejoin");
    }

    /// <summary>
    /// <c>change-membership ID add|promote|remove NODE</c>: an operator's change submitted to node ID's core, under a
    /// new caller number; the answer comes when this node applies it, or at once when refused.
    /// </summary>
    private void ChangeMembership(DataDrivenCommand command)
    {
        command.Expect(3, 3);
        var core = Node(command.PositionalInt(0)).RunningCore;
        var target = command.PositionalInt(2);
        var change = command.Positional[1] switch
        {
            "add" => MembershipChange.AddNonVoter(target, $"node{target}"),
            "promote" => MembershipChange.Promote(target),
            "remove" => MembershipChange.Remove(target),
            var other => throw new FormatException($"membership change '{other}' is not add, promote or remove"),
        };
        var caller = ++_nextCaller;
        core.SubmitMembershipChange(caller, change);
        Write($"caller {caller}: {command.Positional[1]} {target}");
    }

    /// <summary><c>transfer-leader ID TARGET</c>: node ID, if it leads, hands leadership to TARGET.</summary>
    private void TransferLeader(DataDrivenCommand command)
    {
        command.Expect(2, 2);
        var refusal = Node(command.PositionalInt(0)).RunningCore.TransferLeadership(command.PositionalInt(1));
        Write(refusal is null ? "transfer started" : $"refused: {refusal}");
    }

    /// <summary><c>membership [ID...]</c>: per node, the configuration governing its next slot and the latest decided one.</summary>
    private void Membership(DataDrivenCommand command)
    {
        command.Expect(0, int.MaxValue);
        foreach (var node in NodesOrAll(command.PositionalInts()))
        {
            if (node.Core is not { } core)
            {
                Write($"{node.Id}: down");
                continue;
            }

            Write($"{node.Id}: governing {core.GoverningConfiguration.Configuration} (from {core.GoverningConfiguration.EffectiveSlot}); " +
                  $"latest {core.LatestConfiguration.Configuration} (decided {core.LatestConfiguration.Slot}, governs from {core.LatestConfiguration.EffectiveSlot})");
        }
    }
}
