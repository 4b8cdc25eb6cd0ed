using ReplicatedKv.Consensus;

namespace ReplicatedKv.NodeCore;

/// <summary>
/// The world as <see cref="ReadyProcessor"/> sees it: the server's storage and transport, or the simulator's disk
/// and network twins. Implementations carry effects out and decide nothing.
/// </summary>
public interface INodeHost
{
    /// <summary>Hands a consensus message to the network; one-way, may be lost.</summary>
    void Send(PeerMessage message);

    /// <summary>Hands a routing message to the network; one-way, may be lost.</summary>
    void Send(RoutingMessage message);

    /// <summary>Writes the Ready's entries, then its hard state, and fsyncs when it says MustSync; returns once durable.</summary>
    void Persist(Ready ready);

    /// <summary>The replica's role, leader or ballot changed (for logs and metrics).</summary>
    void OnSoftStateChanged(SoftState state);

    /// <summary>Answers callers; called after the slots that produced the answers were applied.</summary>
    void Answer(IReadOnlyList<Answer> answers);

    /// <summary>A peer needs a snapshot: it asked for slots this node compacted away.</summary>
    void SendSnapshot(int peer);
}
