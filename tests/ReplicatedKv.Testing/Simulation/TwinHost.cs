using ReplicatedKv.Consensus;
using ReplicatedKv.NodeCore;

namespace ReplicatedKv.Testing.Simulation;

/// <summary>
/// The <see cref="INodeHost"/> of every in-memory node: the seeded simulator's and the golden interaction tests'.
/// They differ only in the twins they plug in, so both run exactly the Ready handling the server runs.
/// </summary>
public sealed class TwinHost(int nodeId, IDiskTwin disk, INetworkTwin network) : INodeHost
{
    public void Send(PeerMessage message) => network.Send(message);

    public void Send(RoutingMessage message) => network.Send(message);

    public void Persist(Ready ready) => disk.Persist(ready);

    /// <summary>Twins keep no logs or metrics; a driver that counts elections reads them off the Ready.</summary>
    public void OnSoftStateChanged(SoftState state)
    {
    }

    public void Answer(IReadOnlyList<Answer> answers) => network.Answer(nodeId, answers);

    public void SendSnapshot(int peer) => network.SendSnapshot(nodeId, peer);
}
