namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>log ID</c>: what the node's disk holds (hard state, snapshot, accepted entries) and what its
    /// state machine has applied. Works on a crashed node too: the disk is what a restart will read.
    /// </summary>
    private void Log(DataDrivenCommand command)
    {
        command.Expect(1, 1);
        var node = Node(command.PositionalInt(0));
        var disk = node.Disk;
        Write(Describe.HardState(disk.HardState));
        Write($"snapshot through {disk.Snapshot.Slot}: [{Describe.AppliedSlots(disk.Snapshot.Values)}]");
        Write($"entries: {Describe.Entries(disk.Entries)}");
        Write(node.IsUp
            ? $"applied through {node.AppliedIndex}: [{Describe.AppliedSlots(node.Applied)}]"
            : "applied: (down)");
    }
}
