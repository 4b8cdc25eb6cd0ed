using Google.Protobuf;
using ReplicatedKv.Consensus;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Transport.Tests.Fuzzing;

/// <summary>Valid peer batches, as the transport receives them: one carrying every message kind, and one per kind to splice from.</summary>
internal static class PeerBatchCorpus
{
    public const string ClusterId = "fuzz-cluster";

    public static string Peers => "n1=http://127.0.0.1:1,n2=http://127.0.0.1:2,n3=http://127.0.0.1:3";

    /// <summary>Every kind of message node 2 may send node 1.</summary>
    public static IReadOnlyList<Wire.PeerMessage> Messages()
    {
        var ballot = new Ballot(7, 2);
        var value = new SlotValue([new byte[] { 0xE1, 1, 2, 3 }, Array.Empty<byte>(), new byte[40]]);
        LogEntry[] entries = [new(5, ballot, value), new(6, new Ballot(3, 1), SlotValue.NoOp), new(7, ballot, null!)];
        var forward = new Wire.ForwardedProposal();
        forward.Commands.Add(ByteString.CopyFrom(0xE1, 2, 0, 0, 0, 9));
        var refused = new Wire.ForwardRejected { Overloaded = true, MaybeDecided = true, Reason = "no leader" };
        refused.Commands.Add(ByteString.CopyFrom(7, 7));
        return
        [
            PeerWireCodec.ToWire(new PrePrepare(2, 1, ballot)),
            PeerWireCodec.ToWire(new PrePromise(2, 1, ballot, true, new Ballot(6, 3))),
            PeerWireCodec.ToWire(new Prepare(2, 1, ballot, 4)),
            PeerWireCodec.ToWire(new Promise(2, 1, ballot, 4, 4, entries)),
            PeerWireCodec.ToWire(new Accept(2, 1, ballot, 4, entries)),
            PeerWireCodec.ToWire(new Accepted(2, 1, ballot, [5, 6, long.MaxValue])),
            PeerWireCodec.ToWire(new Nack(2, 1, ballot, new Ballot(9, 3))),
            PeerWireCodec.ToWire(new Heartbeat(2, 1, ballot, 6, 11)),
            PeerWireCodec.ToWire(new Decide(2, 1, ballot, 6)),
            PeerWireCodec.ToWire(new HeartbeatAck(2, 1, ballot, 11, 6)),
            PeerWireCodec.ToWire(new CatchUpRequest(2, 1, ballot, 2)),
            PeerWireCodec.ToWire(new CatchUp(2, 1, ballot, 6, entries)),
            PeerWireCodec.ToWire(new RejoinProbe(2, 1, ballot, 3, true)),
            PeerWireCodec.ToWire(new RejoinStatus(2, 1, ballot, 3, RejoinState.Learner, 6, 1, 7, 5)),
            new Wire.PeerMessage { To = 1, Forward = forward },
            new Wire.PeerMessage { To = 1, ForwardRejected = refused },
            new Wire.PeerMessage { To = 1, ReadIndexRequest = new Wire.ReadIndexRequest { ReadId = 12 } },
            new Wire.PeerMessage { To = 1, ReadIndexReply = new Wire.ReadIndexReply { ReadId = 12, Index = 6, NotLeader = true } },
        ];
    }

    public static Wire.PeerBatch Batch(IEnumerable<Wire.PeerMessage> messages, long sentUnixMs)
    {
        var batch = new Wire.PeerBatch { ClusterId = ClusterId, From = "n2", FromClientUrl = "http://127.0.0.1:9", FromVersion = "1.0.0", SentUnixMs = sentUnixMs };
        batch.Messages.Add(messages);
        return batch;
    }

    /// <summary>The whole batch first, then one batch per message kind: the inputs mutated and spliced.</summary>
    public static List<byte[]> Encoded(long sentUnixMs)
    {
        var messages = Messages();
        var corpus = new List<byte[]> { Batch(messages, sentUnixMs).ToByteArray() };
        corpus.AddRange(messages.Select(m => Batch([m], sentUnixMs).ToByteArray()));
        return corpus;
    }
}
