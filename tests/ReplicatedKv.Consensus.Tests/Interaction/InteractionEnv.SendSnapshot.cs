using ReplicatedKv.Testing.Simulation;

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
    /// The receiving host installs the snapshot as a real host does: it asks the node core whether the snapshot
    /// is ahead of what it decided, stores it on disk, then hands the core the state machine restored from it.
    /// </summary>
    private void InstallSnapshot(InteractionNode node, SnapshotEnvelope envelope)
    {
        var core = node.RunningCore;
        var replica = core.Replica;
        var snapshot = envelope.Snapshot;
        if (!core.WantsSnapshot(snapshot.Slot))
        {
            Write($"  {node.Id} ignored the snapshot: decided={replica.DecidedIndex} role={replica.Role}");
            return;
        }

        for (var slot = node.AppliedIndex + 1; slot <= snapshot.Slot; slot++)
        {
            CheckAgreement(node, slot, snapshot.Values[(int)slot - 1]);
        }

        node.Disk.SaveSnapshot(snapshot);
        node.RestoreApplied(snapshot);
        core.InstallSnapshot(snapshot.Slot, EnvelopedCommands.RestoreTable(snapshot.Values));
        Write($"  {node.Id} installed the snapshot: decided={replica.DecidedIndex} first={replica.FirstSlot} last={replica.LastSlot}");
    }
}
