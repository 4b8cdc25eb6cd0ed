namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>crash ID</c>: the process dies. Its disk survives; the node core (replica, state machine, callers) does not.
    /// Messages it already sent stay in flight; messages to it are dropped until it restarts.
    /// </summary>
    private void Crash(DataDrivenCommand command)
    {
        command.Expect(1, 1);
        var node = Node(command.PositionalInt(0));
        if (!node.IsUp)
        {
            throw new InvalidOperationException($"node {node.Id} is already down");
        }

        node.Crash();
    }

    /// <summary>
    /// <c>restart ID [rejoin=MODE]</c>: rebuilds the node core from its disk: the replica through
    /// <see cref="PersistentState"/>, the state machine from the disk's snapshot. The replica then hands the decided slots after the snapshot
    /// out again, so the next Ready re-applies them. <c>rejoin=</c> changes what the node is told an empty disk
    /// means (bootstrap, rejoin or probe), as an operator restarting it with another flag would.
    /// </summary>
    private void Restart(DataDrivenCommand command)
    {
        command.Expect(1, 1, "rejoin");
        var node = Node(command.PositionalInt(0));
        if (node.IsUp)
        {
            throw new InvalidOperationException($"node {node.Id} is running; crash it first");
        }

        var disk = node.Disk;
        var join = command.NamedString("rejoin", string.Empty);
        Write($"{node.Id} restarting from disk: {Describe.HardState(disk.HardState)} snapshot={disk.Snapshot.Slot} " +
              $"entries={Describe.Entries(disk.Entries)}{(join.Length == 0 ? string.Empty : $" rejoin={join}")}");
        node.Restart(this, join.Length == 0 ? null : ParseRejoinMode(join));
        Write($"{node.Id} is {Describe.SoftState(node.RunningCore.Replica.SoftState)}");
    }

    /// <summary><c>wipe ID</c>: the crashed node's data directory is lost: its disk is empty from now on.</summary>
    private void Wipe(DataDrivenCommand command)
    {
        command.Expect(1, 1);
        var node = Node(command.PositionalInt(0));
        if (node.IsUp)
        {
            throw new InvalidOperationException($"node {node.Id} is running; crash it first");
        }

        node.WipeDisk();
    }
}
