using ReplicatedKv.Consensus;

namespace ReplicatedKv.Transport.Tests;

/// <summary>The wire codec keeps every field of a consensus message, both ways.</summary>
public sealed class PeerWireCodecTests
{
    [Fact]
    public void A_decide_survives_the_round_trip()
    {
        var decide = new Decide(1, 2, new Ballot(7, 1), 42);

        var wire = PeerWireCodec.ToWire(decide);

        wire.BodyCase.Should().Be(Protos.Peer.V1.PeerMessage.BodyOneofCase.Decide);
        PeerWireCodec.FromWire(1, wire).Should().Be(decide);
    }
}
