namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>compact ID SLOT</c>: the host snapshots its state machine through SLOT, stores it (dropping the
    /// log entries it covers from disk), and only then tells the node core, which lets the replica forget those slots.
    /// </summary>
    private void Compact(DataDrivenCommand command)
    {
        command.Expect(2, 2);
        var node = Node(command.PositionalInt(0));
        var slot = command.PositionalInt(1);
        var core = node.RunningCore;
        if (slot > node.AppliedIndex)
        {
            throw new InvalidOperationException($"node {node.Id} has applied only through {node.AppliedIndex}");
        }

        node.Disk.SaveSnapshot(node.SnapshotThrough(slot));
        core.SnapshotSaved(slot, keepEntries: 0);
        var replica = core.Replica;
        Write($"{node.Id} compacted through {slot}: log now holds slots {replica.FirstSlot}..{replica.LastSlot}");
    }
}
