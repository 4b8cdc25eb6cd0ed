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

    [Fact]
    public void A_timeout_now_survives_the_round_trip()
    {
        var timeoutNow = new TimeoutNow(1, 3, new Ballot(5, 1));

        var wire = PeerWireCodec.ToWire(timeoutNow);

        wire.BodyCase.Should().Be(Protos.Peer.V1.PeerMessage.BodyOneofCase.TimeoutNow);
        PeerWireCodec.FromWire(1, wire).Should().Be(timeoutNow);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_prepare_keeps_its_leader_transfer_flag(bool leaderTransfer)
    {
        var prepare = new Prepare(2, 3, new Ballot(9, 2), 17, leaderTransfer);

        var wire = PeerWireCodec.ToWire(prepare);

        PeerWireCodec.FromWire(2, wire).Should().Be(prepare);
    }
}
