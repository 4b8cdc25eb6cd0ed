using Google.Protobuf;
using ReplicatedKv.Consensus;
using ReplicatedKv.NodeCore;
using ReplicatedKv.StateMachine;
using ReplicatedKv.Transport;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Testing.Fuzzing;

/// <summary>
/// Valid peer batches, the seeds the peer fuzz targets mutate: one batch carrying every message kind, and one per
/// kind to splice from, from member <see cref="FromName"/> (id <see cref="FromId"/>) to member <see cref="ToId"/>.
/// Ballots start at <see cref="Round"/> and slots just past <see cref="Slot"/>, so against a live cluster they are
/// messages it would take from that member.
/// </summary>
public sealed record PeerBatchCorpus(string ClusterId, string FromName, int FromId, int ToId, long Round = 7, long Slot = 4)
{
    /// <summary>Every kind of message one member may send another.</summary>
    public IReadOnlyList<Wire.PeerMessage> Messages()
    {
        var (from, to) = (FromId, ToId);
        var ballot = new Ballot(Round, from);
        var value = new SlotValue([Command("fuzz", "set by a peer"u8.ToArray()), Array.Empty<byte>(), new byte[40]]);
        LogEntry[] entries = [new(Slot + 1, ballot, value), new(Slot + 2, new Ballot(Round - 1, to), SlotValue.NoOp), new(Slot + 3, ballot, null!)];
        var forward = new Wire.ForwardedProposal();
        forward.Commands.Add(ByteString.CopyFrom(Command("forwarded", [1, 2, 3])));
        var refused = new Wire.ForwardRejected { Overloaded = true, MaybeDecided = true, Reason = "no leader" };
        refused.Commands.Add(ByteString.CopyFrom(Command("refused", [7])));
        return
        [
            PeerWireCodec.ToWire(new PrePrepare(from, to, ballot)),
            PeerWireCodec.ToWire(new PrePromise(from, to, ballot, true, new Ballot(Round - 1, to))),
            PeerWireCodec.ToWire(new Prepare(from, to, ballot, Slot)),
            PeerWireCodec.ToWire(new Promise(from, to, ballot, Slot, Slot, entries)),
            PeerWireCodec.ToWire(new Accept(from, to, ballot, Slot, entries)),
            PeerWireCodec.ToWire(new Accepted(from, to, ballot, [Slot + 1, Slot + 2, long.MaxValue])),
            PeerWireCodec.ToWire(new Nack(from, to, ballot, new Ballot(Round + 2, to))),
            PeerWireCodec.ToWire(new Heartbeat(from, to, ballot, Slot + 2, 11)),
            PeerWireCodec.ToWire(new Decide(from, to, ballot, Slot + 2)),
            PeerWireCodec.ToWire(new HeartbeatAck(from, to, ballot, 11, Slot + 2)),
            PeerWireCodec.ToWire(new CatchUpRequest(from, to, ballot, 2)),
            PeerWireCodec.ToWire(new CatchUp(from, to, ballot, Slot + 2, entries)),
            PeerWireCodec.ToWire(new RejoinProbe(from, to, ballot, 3, true)),
            PeerWireCodec.ToWire(new RejoinStatus(from, to, ballot, 3, RejoinState.Learner, Slot + 2, 1, Slot + 3, Slot + 1)),
            new Wire.PeerMessage { To = to, Forward = forward },
            new Wire.PeerMessage { To = to, ForwardRejected = refused },
            new Wire.PeerMessage { To = to, ReadIndexRequest = new Wire.ReadIndexRequest { ReadId = 12 } },
            new Wire.PeerMessage { To = to, ReadIndexReply = new Wire.ReadIndexReply { ReadId = 12, Index = Slot + 2, NotLeader = true } },
        ];
    }

    public Wire.PeerBatch Batch(IEnumerable<Wire.PeerMessage> messages, long sentUnixMs)
    {
        var batch = new Wire.PeerBatch { ClusterId = ClusterId, From = FromName, FromClientUrl = "http://127.0.0.1:9", FromVersion = "1.0.0", SentUnixMs = sentUnixMs };
        batch.Messages.Add(messages);
        return batch;
    }

    /// <summary>The whole batch first, then one batch per message kind: the inputs mutated and spliced.</summary>
    public List<byte[]> Encoded(long sentUnixMs)
    {
        var messages = Messages();
        var corpus = new List<byte[]> { Batch(messages, sentUnixMs).ToByteArray() };
        corpus.AddRange(messages.Select(m => Batch([m], sentUnixMs).ToByteArray()));
        return corpus;
    }

    /// <summary>A client command as the node core wraps it for the log (<see cref="CommandEnvelope"/>), from the sending member.</summary>
    private byte[] Command(string key, byte[] value)
    {
        var set = KvCommand.Set(key, value);
        var envelope = CommandEnvelope.Wrap(FromId, 42, 1, CommandCodec.GetEncodedLength(set), out var body);
        CommandCodec.Encode(set, body.Span);
        return envelope;
    }
}
