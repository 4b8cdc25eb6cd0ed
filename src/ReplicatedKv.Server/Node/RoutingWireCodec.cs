using Google.Protobuf;
using ReplicatedKv.NodeCore;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Server.Node;

/// <summary>Maps the node core's routing messages to and from their protobuf form on the peer link.</summary>
internal static class RoutingWireCodec
{
    /// <summary>True for the wire message kinds that carry routing rather than consensus.</summary>
    public static bool IsRouting(Wire.PeerMessage message) => message.BodyCase is
        Wire.PeerMessage.BodyOneofCase.Forward or Wire.PeerMessage.BodyOneofCase.ForwardRejected or
        Wire.PeerMessage.BodyOneofCase.ReadIndexRequest or Wire.PeerMessage.BodyOneofCase.ReadIndexReply;

    public static Wire.PeerMessage ToWire(RoutingMessage message)
    {
        var wire = new Wire.PeerMessage { To = message.To };
        switch (message)
        {
            case ForwardWrites m:
                var forward = new Wire.ForwardedProposal();
                AddCommands(forward.Commands, m.Commands);
                wire.Forward = forward;
                break;
            case ForwardRefused m:
                var refused = new Wire.ForwardRejected { Overloaded = m.Overloaded, MaybeDecided = m.MaybeDecided, Reason = m.Reason ?? "" };
                AddCommands(refused.Commands, m.Commands);
                wire.ForwardRejected = refused;
                break;
            case ReadIndexRequest m:
                wire.ReadIndexRequest = new Wire.ReadIndexRequest { ReadId = m.ReadId };
                break;
            case ReadIndexReply m:
                wire.ReadIndexReply = new Wire.ReadIndexReply { ReadId = m.ReadId, Index = m.Index, NotLeader = m.NotLeader };
                break;
            default:
                throw new ArgumentException($"unknown routing message {message.GetType().Name}", nameof(message));
        }

        return wire;
    }

    /// <summary>The routing message in <paramref name="wire"/> from <paramref name="from"/>; null for any other kind.</summary>
    public static RoutingMessage? FromWire(int from, Wire.PeerMessage wire) => wire.BodyCase switch
    {
        Wire.PeerMessage.BodyOneofCase.Forward => new ForwardWrites(from, wire.To, Commands(wire.Forward.Commands)),
        Wire.PeerMessage.BodyOneofCase.ForwardRejected => new ForwardRefused(from, wire.To, Commands(wire.ForwardRejected.Commands),
            wire.ForwardRejected.Overloaded, wire.ForwardRejected.MaybeDecided, wire.ForwardRejected.Reason.Length > 0 ? wire.ForwardRejected.Reason : null),
        Wire.PeerMessage.BodyOneofCase.ReadIndexRequest => new ReadIndexRequest(from, wire.To, wire.ReadIndexRequest.ReadId),
        Wire.PeerMessage.BodyOneofCase.ReadIndexReply => new ReadIndexReply(from, wire.To, wire.ReadIndexReply.ReadId,
            wire.ReadIndexReply.Index, wire.ReadIndexReply.NotLeader),
        _ => null,
    };

    private static void AddCommands(Google.Protobuf.Collections.RepeatedField<ByteString> target, IReadOnlyList<ReadOnlyMemory<byte>> commands)
    {
        for (var i = 0; i < commands.Count; i++)
        {
            target.Add(UnsafeByteOperations.UnsafeWrap(commands[i]));
        }
    }

    private static ReadOnlyMemory<byte>[] Commands(Google.Protobuf.Collections.RepeatedField<ByteString> commands)
    {
        var result = new ReadOnlyMemory<byte>[commands.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = commands[i].Memory;
        }

        return result;
    }
}
