namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>process-ready ID...</c>: each node handles one Ready exactly as the host contract says: queue
    /// Messages, write Entries then HardState to its disk, queue MessagesAfterPersist, apply Decided, start
    /// snapshot transfers, then Advance. Messages only enter the network queue here; deliver-msgs moves them.
    /// </summary>
    private void ProcessReady(DataDrivenCommand command)
    {
        command.Expect(1, int.MaxValue);
        foreach (var id in command.PositionalInts())
        {
            ProcessReadyOf(Node(id));
        }
    }

    private void ProcessReadyOf(InteractionNode node)
    {
        Write($"> {node.Id} handling Ready");
        using var _ = Indent();
        if (node.Replica is not { } replica)
        {
            Write($"{node.Id} is down");
            return;
        }

        if (!replica.HasReady)
        {
            Write("no Ready");
            return;
        }

        var ready = replica.GetReady();
        foreach (var line in Describe.Ready(node.Id, ready))
        {
            Write(line);
        }

        _network.AddRange(ready.Messages.Select(m => new MessageEnvelope(m)));
        node.Disk.Write(ready.Entries, ready.HardState);
        _network.AddRange(ready.MessagesAfterPersist.Select(m => new MessageEnvelope(m)));
        foreach (var entry in ready.Decided)
        {
            Apply(node, new AppliedSlot(entry.Slot, entry.Value.Commands.Select(Describe.Command).ToArray()));
        }

        foreach (var peer in ready.SnapshotRequests)
        {
            StartSnapshotTransfer(node, peer);
        }

        replica.Advance();
    }
}
