using ReplicatedKv.NodeCore;
using ReplicatedKv.Testing.Simulation;

namespace ReplicatedKv.Consensus.Tests.Interaction;

// The env's message queue is every node's network twin: what a Ready sends waits here until deliver-msgs moves
// it, and answers are printed as the node gives them.
internal sealed partial class InteractionEnv : INetworkTwin
{
    void INetworkTwin.Send(PeerMessage message) => _network.Add(new MessageEnvelope(message));

    void INetworkTwin.Send(RoutingMessage message) => _network.Add(new RoutingEnvelope(message));

    void INetworkTwin.SendSnapshot(int from, int to) => StartSnapshotTransfer(Node(from), to);

    void INetworkTwin.Answer(int node, IReadOnlyList<Answer> answers)
    {
        foreach (var answer in answers)
        {
            Write(Describe.Answer(node, answer));
        }
    }
}
