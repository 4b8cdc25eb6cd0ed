using ReplicatedKv.Consensus;
using ReplicatedKv.NodeCore;

namespace ReplicatedKv.Testing.Simulation;

/// <summary>
/// The wire between simulated nodes and their clients as <see cref="TwinHost"/> uses it. Answers travel here too:
/// in the server they go back over the client's connection.
/// </summary>
public interface INetworkTwin
{
    /// <summary>Puts a consensus message on the wire.</summary>
    void Send(PeerMessage message);

    /// <summary>Puts a routing message on the wire.</summary>
    void Send(RoutingMessage message);

    /// <summary>Ships <paramref name="from"/>'s newest stored snapshot to <paramref name="to"/>, if it has one.</summary>
    void SendSnapshot(int from, int to);

    /// <summary>Carries answers back to the callers waiting at <paramref name="node"/>; consume the list at once (the core reuses it).</summary>
    void Answer(int node, IReadOnlyList<Answer> answers);
}
