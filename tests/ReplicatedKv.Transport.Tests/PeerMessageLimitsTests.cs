using Google.Protobuf;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Transport.Tests;

/// <summary>Entries bigger than a log record are dropped from a received batch with their message, and nothing else is.</summary>
public sealed class PeerMessageLimitsTests
{
    [Fact]
    public void An_entrys_size_is_its_log_record_payload()
    {
        var entry = Entry(100, 50);

        PeerMessageLimits.EntryPayloadBytes(entry).Should().Be(24 + (2 * 4) + 150);
    }

    [Fact]
    public void Accept_catch_up_and_promise_messages_with_an_entry_over_the_limit_are_dropped_and_the_rest_kept()
    {
        var batch = new Wire.PeerBatch();
        batch.Messages.Add(new Wire.PeerMessage { Accept = new Wire.Accept { Entries = { Entry(10), Entry(1000) } } });
        batch.Messages.Add(new Wire.PeerMessage { CatchUp = new Wire.CatchUp { Entries = { Entry(1000) } } });
        batch.Messages.Add(new Wire.PeerMessage { Promise = new Wire.Promise { Entries = { Entry(1000) } } });
        batch.Messages.Add(new Wire.PeerMessage { Accept = new Wire.Accept { Entries = { Entry(10) } } });
        batch.Messages.Add(new Wire.PeerMessage { Forward = new Wire.ForwardedProposal { Commands = { ByteString.CopyFrom(new byte[1000]) } } });

        var dropped = PeerMessageLimits.DropOverLimit(batch, maxEntryPayloadBytes: 500);

        dropped.Should().Be(3);
        batch.Messages.Select(m => m.BodyCase).Should().Equal(Wire.PeerMessage.BodyOneofCase.Accept, Wire.PeerMessage.BodyOneofCase.Forward);
    }

    private static Wire.Entry Entry(params int[] commandSizes)
    {
        var entry = new Wire.Entry { HasValue = true };
        foreach (var size in commandSizes)
        {
            entry.Commands.Add(ByteString.CopyFrom(new byte[size]));
        }

        return entry;
    }
}
