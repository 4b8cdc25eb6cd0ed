namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>process-ready ID...</c>: each node handles one Ready through <see cref="NodeCore.ReadyProcessor"/>, the one
    /// the server and the simulator use: queue Messages and routing messages, write Entries then HardState to its
    /// disk, queue MessagesAfterPersist, apply Decided and answer callers, start snapshot transfers. Messages only
    /// enter the network queue here; deliver-msgs moves them.
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
        if (node.Processor is not { } processor)
        {
            Write($"{node.Id} is down");
            return;
        }

        // The two halves let the trace show the Ready as it was handed out, between sending and persisting.
        if (processor.Begin() is not { } ready)
        {
            Write("no Ready");
            return;
        }

        foreach (var line in Describe.Ready(node.Id, ready))
        {
            Write(line);
        }

        foreach (var entry in ready.Consensus.Decided)
        {
            CheckAgreement(node, entry.Slot, entry.Value);
            node.Apply(entry);
        }

        processor.Finish(ready);
    }
}
