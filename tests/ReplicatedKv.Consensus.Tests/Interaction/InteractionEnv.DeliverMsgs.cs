namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    private readonly HashSet<int> _isolated = [];

    /// <summary>
    /// <c>deliver-msgs [ID...] [drop=ID,...]</c>: delivers the queued messages addressed to the given nodes
    /// (to every node when none are given), each recipient in id order and each one's messages in the order
    /// they were sent. Messages to a <c>drop=</c> node are thrown away instead, as are messages to or from an
    /// isolated node and messages to a crashed one. Replies produced now stay in the node cores until their
    /// next process-ready.
    /// </summary>
    private void DeliverMsgs(DataDrivenCommand command)
    {
        command.Expect(0, int.MaxValue, "drop");
        var recipients = command.PositionalInts();
        var dropped = command.NamedInts("drop");
        if (recipients.Intersect(dropped).Any())
        {
            throw new FormatException("a node cannot be both delivered to and dropped");
        }

        DeliverTo(to => dropped.Contains(to) || recipients.Count == 0 || recipients.Contains(to), dropped);
    }

    /// <summary>Delivers (or drops) every queued envelope whose recipient passes <paramref name="selected"/>.</summary>
    private bool DeliverTo(Func<int, bool> selected, IReadOnlyCollection<int> dropOnRequest)
    {
        var taken = _network.Where(e => selected(e.To)).ToList();
        _network.RemoveAll(e => selected(e.To));
        foreach (var envelope in taken)
        {
            if (DropReason(envelope, dropOnRequest) is { } reason)
            {
                Write($"dropped ({reason}): {Describe.Envelope(envelope)}");
            }
        }

        foreach (var group in taken.Where(e => DropReason(e, dropOnRequest) is null).GroupBy(e => e.To).OrderBy(g => g.Key))
        {
            Write($"> {group.Key} receiving messages");
            using var _ = Indent();
            foreach (var envelope in group)
            {
                Receive(Node(group.Key), envelope);
            }
        }

        return taken.Count > 0;
    }

    private string? DropReason(Envelope envelope, IReadOnlyCollection<int> dropOnRequest)
    {
        if (dropOnRequest.Contains(envelope.To))
        {
            return "drop requested";
        }

        if (_isolated.Contains(envelope.From) || _isolated.Contains(envelope.To))
        {
            return "isolated";
        }

        if (IsCut(envelope.From, envelope.To))
        {
            return "cut";
        }

        return Node(envelope.To).IsUp ? null : $"{envelope.To} is down";
    }

    private void Receive(InteractionNode node, Envelope envelope)
    {
        Write(Describe.Envelope(envelope));
        switch (envelope)
        {
            case MessageEnvelope { Message: var message }:
                WriteIgnored(node.RunningCore.Step(message));
                break;
            case RoutingEnvelope { Message: var routing }:
                WriteIgnored(node.RunningCore.Step(routing));
                break;
            case SnapshotEnvelope snapshot:
                InstallSnapshot(node, snapshot);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(envelope), envelope.GetType().Name, "unknown envelope");
        }
    }

    private void WriteIgnored(PaxosReplica.StepResult result)
    {
        if (result != PaxosReplica.StepResult.Handled)
        {
            Write($"  ignored: {result}");
        }
    }
}
