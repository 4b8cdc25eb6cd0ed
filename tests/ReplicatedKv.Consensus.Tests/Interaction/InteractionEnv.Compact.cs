namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>compact ID SLOT</c>: the host snapshots its state machine through SLOT, stores it (dropping the
    /// log entries it covers from disk), and only then lets the replica forget those slots.
    /// </summary>
    private void Compact(DataDrivenCommand command)
    {
        command.Expect(2, 2);
        var node = Node(command.PositionalInt(0));
        var slot = command.PositionalInt(1);
        var replica = node.RunningReplica;
        if (slot > node.AppliedIndex)
        {
            throw new InvalidOperationException($"node {node.Id} has applied only through {node.AppliedIndex}");
        }

        node.Disk.SaveSnapshot(node.SnapshotThrough(slot));
        replica.Compact(slot);
        Write($"{node.Id} compacted through {slot}: log now holds slots {replica.FirstSlot}..{replica.LastSlot}");
    }
}
