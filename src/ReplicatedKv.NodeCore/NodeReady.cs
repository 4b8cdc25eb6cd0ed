using ReplicatedKv.Consensus;

namespace ReplicatedKv.NodeCore;

/// <summary>
/// Everything one round of inputs asks the host to do. The host acts on it in this order (<see cref="ReadyProcessor"/>
/// is the one place that does), then calls <see cref="NodeCore.Advance"/>:
/// <list type="number">
/// <item>Send <see cref="Consensus"/>'s <c>Messages</c> and <see cref="RoutingMessages"/>: none depends on this round's writes.</item>
/// <item>Persist <see cref="Consensus"/> as <see cref="Ready"/> says (entries, hard state, fsync when MustSync).</item>
/// <item>Send <see cref="Consensus"/>'s <c>MessagesAfterPersist</c>.</item>
/// <item>Call <see cref="NodeCore.Advance"/>, which applies the decided slots and returns the answers for callers.</item>
/// <item>Start snapshot transfers for the consensus Ready's <c>SnapshotRequests</c>.</item>
/// </list>
/// </summary>
public sealed class NodeReady
{
    internal NodeReady(Ready consensus, IReadOnlyList<RoutingMessage> routingMessages)
    {
        Consensus = consensus;
        RoutingMessages = routingMessages;
    }

    /// <summary>The consensus replica's Ready: what to persist and which consensus messages to send when.</summary>
    public Ready Consensus { get; }

    /// <summary>Forwarded writes and read-index traffic; may leave at once.</summary>
    public IReadOnlyList<RoutingMessage> RoutingMessages { get; }
}
