namespace ReplicatedKv.NodeCore;

/// <summary>
/// The one place that carries out a <see cref="NodeReady"/>, in the order that makes it safe: send what may leave
/// at once, persist, send what vouches for the persisted state, apply and answer, start snapshot transfers. The
/// server, the simulator and the tests all use it; they differ only in their <see cref="INodeHost"/>.
/// </summary>
/// <remarks>
/// The two halves (<see cref="Begin"/>, <see cref="Finish"/>) exist for the simulator, which lets a crash land
/// between them (losing writes nobody vouched for) and lets a pipelined host keep stepping the core meanwhile.
/// </remarks>
public sealed class ReadyProcessor(NodeCore core, INodeHost host)
{
    /// <summary>Takes the next Ready, if any, and sends what may leave before it is durable.</summary>
    public NodeReady? Begin()
    {
        if (!core.HasReady)
        {
            return null;
        }

        var ready = core.GetReady();
        var messages = ready.Consensus.Messages;
        for (var i = 0; i < messages.Count; i++)
        {
            host.Send(messages[i]);
        }

        var routing = ready.RoutingMessages;
        for (var i = 0; i < routing.Count; i++)
        {
            host.Send(routing[i]);
        }

        return ready;
    }

    /// <summary>Makes <paramref name="ready"/> durable, sends what depended on it, applies, answers.</summary>
    public void Finish(NodeReady ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        var consensus = ready.Consensus;
        host.Persist(consensus);
        var afterPersist = consensus.MessagesAfterPersist;
        for (var i = 0; i < afterPersist.Count; i++)
        {
            host.Send(afterPersist[i]);
        }

        if (consensus.SoftState is { } soft)
        {
            host.OnSoftStateChanged(soft);
        }

        var answers = core.Advance();
        if (answers.Count > 0)
        {
            host.Answer(answers);
        }

        foreach (var peer in consensus.SnapshotRequests)
        {
            host.SendSnapshot(peer);
        }
    }

    /// <summary>Processes Readys until the core has nothing more to hand out.</summary>
    public void ProcessAll()
    {
        while (Begin() is { } ready)
        {
            Finish(ready);
        }
    }
}
