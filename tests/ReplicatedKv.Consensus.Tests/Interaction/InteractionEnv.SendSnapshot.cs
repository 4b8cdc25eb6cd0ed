namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>send-snapshot FROM TO</c>: queues FROM's newest stored snapshot for TO, as process-ready does by
    /// itself when a Ready lists TO in SnapshotRequests.
    /// </summary>
    private void SendSnapshot(DataDrivenCommand command)
    {
        command.Expect(2, 2);
        var from = Node(command.PositionalInt(0));
        if (!from.IsUp)
        {
            throw new InvalidOperationException($"node {from.Id} is down and cannot send a snapshot");
        }

        StartSnapshotTransfer(from, Node(command.PositionalInt(1)).Id);
    }

    /// <summary>Sends the newest stored snapshot; a transfer already on its way to the peer is enough.</summary>
    private void StartSnapshotTransfer(InteractionNode from, int to)
    {
        if (_network.Any(e => e is SnapshotEnvelope && e.From == from.Id && e.To == to))
        {
            Write($"{from.Id} is already sending a snapshot to {to}");
            return;
        }

        var snapshot = from.Disk.Snapshot;
        Write($"{from.Id} sends snapshot through slot {snapshot.Slot} to {to}");
        _network.Add(new SnapshotEnvelope(from.Id, to, snapshot));
    }

    /// <summary>
    /// The receiving host installs the snapshot as a real host does: it asks the replica whether the snapshot
    /// is ahead of what it decided, restores its state machine and disk, then tells the replica.
    /// </summary>
    private void InstallSnapshot(InteractionNode node, SnapshotEnvelope envelope)
    {
        var replica = node.RunningReplica;
        var snapshot = envelope.Snapshot;
        if (!replica.WantsSnapshot(snapshot.Slot))
        {
            Write($"  {node.Id} ignored the snapshot: decided={replica.DecidedIndex} role={replica.Role}");
            return;
        }

        foreach (var slot in snapshot.AppliedSlots.Where(s => s.Slot > node.AppliedIndex))
        {
            CheckAgreement(node, slot);
        }

        node.Disk.SaveSnapshot(snapshot);
        node.RestoreStateMachine(snapshot);
        replica.InstallSnapshot(snapshot.Slot);
        Write($"  {node.Id} installed the snapshot: decided={replica.DecidedIndex} first={replica.FirstSlot} last={replica.LastSlot}");
    }
}
