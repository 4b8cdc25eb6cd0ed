using Google.Protobuf;
using ReplicatedKv.Consensus;
using Wire = ReplicatedKv.Protos.Peer.V1;

namespace ReplicatedKv.Transport;

/// <summary>
/// Maps consensus messages to their wire form and back. Command payloads are wrapped, not copied, on the way
/// out, and read in place on the way in. Decoding never throws: a message that does not make sense is dropped
/// (null), and the core's own input checks reject the rest.
/// </summary>
public static class PeerWireCodec
{
    public static Wire.PeerMessage ToWire(PeerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var wire = new Wire.PeerMessage { To = message.To, FromIncarnation = message.FromIncarnation, ToIncarnation = message.ToIncarnation };
        var ballot = ToWire(message.Ballot);
        switch (message)
        {
            case PrePrepare:
                wire.PrePrepare = new Wire.PrePrepare { Ballot = ballot };
                break;
            case PrePromise m:
                wire.PrePromise = new Wire.PrePromise { Ballot = ballot, Granted = m.Granted, Promised = ToWire(m.Promised) };
                break;
            case Prepare m:
                wire.Prepare = new Wire.Prepare { Ballot = ballot, FromSlot = m.FromSlot, LeaderTransfer = m.LeaderTransfer };
                AddIncarnations(wire.Prepare.Incarnations, m.Incarnations);
                break;
            case TimeoutNow:
                wire.TimeoutNow = new Wire.TimeoutNow { Ballot = ballot };
                break;
            case Promise m:
                wire.Promise = new Wire.Promise { Ballot = ballot, FromSlot = m.FromSlot, DecidedIndex = m.DecidedIndex };
                AddEntries(wire.Promise.Entries, m.Entries);
                break;
            case Accept m:
                wire.Accept = new Wire.Accept { Ballot = ballot, DecidedIndex = m.DecidedIndex };
                AddEntries(wire.Accept.Entries, m.Entries);
                AddIncarnations(wire.Accept.Incarnations, m.Incarnations);
                break;
            case Accepted m:
                wire.Accepted = new Wire.Accepted { Ballot = ballot };
                wire.Accepted.Slots.AddRange(m.Slots);
                break;
            case Nack m:
                wire.Nack = new Wire.Nack { Ballot = ballot, Promised = ToWire(m.Promised) };
                AddIncarnations(wire.Nack.Incarnations, m.Incarnations);
                break;
            case Heartbeat m:
                wire.Heartbeat = new Wire.Heartbeat { Ballot = ballot, DecidedIndex = m.DecidedIndex, ReadRound = m.ReadRound };
                break;
            case Decide m:
                wire.Decide = new Wire.Decide { Ballot = ballot, DecidedIndex = m.DecidedIndex };
                break;
            case HeartbeatAck m:
                wire.HeartbeatAck = new Wire.HeartbeatAck { Ballot = ballot, ReadRound = m.ReadRound, DecidedIndex = m.DecidedIndex };
                break;
            case CatchUpRequest m:
                wire.CatchUpRequest = new Wire.CatchUpRequest { Ballot = ballot, FromSlot = m.FromSlot };
                break;
            case CatchUp m:
                wire.CatchUp = new Wire.CatchUp { Ballot = ballot, DecidedIndex = m.DecidedIndex };
                AddEntries(wire.CatchUp.Entries, m.Entries);
                break;
            case RejoinProbe m:
                wire.RejoinProbe = new Wire.RejoinProbe { Ballot = ballot, Round = m.Round, Waiting = m.Waiting, Challenge = m.Challenge };
                break;
            case RejoinStatus m:
                wire.RejoinStatus = new Wire.RejoinStatus
                {
                    Ballot = ballot,
                    Round = m.Round,
                    State = (int)m.State,
                    DecidedIndex = m.DecidedIndex,
                    FirstSlot = m.FirstSlot,
                    LastSlot = m.LastSlot,
                    FenceSlot = m.FenceSlot,
                    Challenge = m.Challenge,
                };
                break;
            default:
                throw new ArgumentException($"no wire form for {message.GetType().Name}", nameof(message));
        }

        return wire;
    }

    /// <summary>The consensus message in <paramref name="wire"/>, sent by <paramref name="from"/>; null if it holds none or is malformed.</summary>
    public static PeerMessage? FromWire(int from, Wire.PeerMessage wire)
    {
        ArgumentNullException.ThrowIfNull(wire);
        var message = BodyFromWire(from, wire);
        return message is null || (wire.FromIncarnation == 0 && wire.ToIncarnation == 0)
            ? message
            : message with { FromIncarnation = wire.FromIncarnation, ToIncarnation = wire.ToIncarnation };
    }

    private static PeerMessage? BodyFromWire(int from, Wire.PeerMessage wire)
    {
        var to = wire.To;
        return wire.BodyCase switch
        {
            Wire.PeerMessage.BodyOneofCase.PrePrepare => new PrePrepare(from, to, FromWire(wire.PrePrepare.Ballot)),
            Wire.PeerMessage.BodyOneofCase.PrePromise => new PrePromise(from, to, FromWire(wire.PrePromise.Ballot), wire.PrePromise.Granted, FromWire(wire.PrePromise.Promised)),
            Wire.PeerMessage.BodyOneofCase.Prepare => new Prepare(from, to, FromWire(wire.Prepare.Ballot), wire.Prepare.FromSlot, wire.Prepare.LeaderTransfer)
            {
                Incarnations = FromWire(wire.Prepare.Incarnations),
            },
            Wire.PeerMessage.BodyOneofCase.TimeoutNow => new TimeoutNow(from, to, FromWire(wire.TimeoutNow.Ballot)),
            Wire.PeerMessage.BodyOneofCase.Promise => new Promise(from, to, FromWire(wire.Promise.Ballot), wire.Promise.FromSlot, wire.Promise.DecidedIndex, FromWire(wire.Promise.Entries)),
            Wire.PeerMessage.BodyOneofCase.Accept => new Accept(from, to, FromWire(wire.Accept.Ballot), wire.Accept.DecidedIndex, FromWire(wire.Accept.Entries))
            {
                Incarnations = FromWire(wire.Accept.Incarnations),
            },
            Wire.PeerMessage.BodyOneofCase.Accepted => new Accepted(from, to, FromWire(wire.Accepted.Ballot), wire.Accepted.Slots.ToArray()),
            Wire.PeerMessage.BodyOneofCase.Nack => new Nack(from, to, FromWire(wire.Nack.Ballot), FromWire(wire.Nack.Promised))
            {
                Incarnations = FromWire(wire.Nack.Incarnations),
            },
            Wire.PeerMessage.BodyOneofCase.Heartbeat => new Heartbeat(from, to, FromWire(wire.Heartbeat.Ballot), wire.Heartbeat.DecidedIndex, wire.Heartbeat.ReadRound),
            Wire.PeerMessage.BodyOneofCase.Decide => new Decide(from, to, FromWire(wire.Decide.Ballot), wire.Decide.DecidedIndex),
            Wire.PeerMessage.BodyOneofCase.HeartbeatAck => new HeartbeatAck(from, to, FromWire(wire.HeartbeatAck.Ballot), wire.HeartbeatAck.ReadRound, wire.HeartbeatAck.DecidedIndex),
            Wire.PeerMessage.BodyOneofCase.CatchUpRequest => new CatchUpRequest(from, to, FromWire(wire.CatchUpRequest.Ballot), wire.CatchUpRequest.FromSlot),
            Wire.PeerMessage.BodyOneofCase.CatchUp => new CatchUp(from, to, FromWire(wire.CatchUp.Ballot), wire.CatchUp.DecidedIndex, FromWire(wire.CatchUp.Entries)),
            Wire.PeerMessage.BodyOneofCase.RejoinProbe => new RejoinProbe(from, to, FromWire(wire.RejoinProbe.Ballot), wire.RejoinProbe.Round, wire.RejoinProbe.Waiting)
            {
                Challenge = wire.RejoinProbe.Challenge,
            },
            Wire.PeerMessage.BodyOneofCase.RejoinStatus when Enum.IsDefined((RejoinState)wire.RejoinStatus.State) => new RejoinStatus(
                from, to, FromWire(wire.RejoinStatus.Ballot), wire.RejoinStatus.Round, (RejoinState)wire.RejoinStatus.State, wire.RejoinStatus.DecidedIndex,
                wire.RejoinStatus.FirstSlot, wire.RejoinStatus.LastSlot, wire.RejoinStatus.FenceSlot)
            {
                Challenge = wire.RejoinStatus.Challenge,
            },
            _ => null,
        };
    }

    private static Wire.Ballot ToWire(Ballot ballot) => new() { Round = ballot.Round, Node = ballot.NodeId };

    // A missing ballot field decodes as Ballot.Zero, which the core treats as "none".
    private static Ballot FromWire(Wire.Ballot? ballot) => ballot is null ? Ballot.Zero : new Ballot(ballot.Round, ballot.Node);

    private static void AddIncarnations(Google.Protobuf.Collections.RepeatedField<Wire.IncarnationRecord> target, IReadOnlyList<IncarnationRecord> records)
    {
        foreach (var record in records)
        {
            target.Add(new Wire.IncarnationRecord
            {
                Member = record.Member,
                FenceBallot = ToWire(record.Stamp.FenceBallot),
                FenceSlot = record.Stamp.FenceSlot,
                ProbeGeneration = record.Stamp.ProbeGeneration,
                Id = record.Id,
            });
        }
    }

    // Decoded as sent; a record no replica may hold makes the core refuse the whole message as malformed.
    private static IncarnationRecord[] FromWire(Google.Protobuf.Collections.RepeatedField<Wire.IncarnationRecord> records) =>
        records.Count == 0 ? [] : records.Select(r => new IncarnationRecord(
            r.Member, new IncarnationStamp(FromWire(r.FenceBallot), r.FenceSlot, r.ProbeGeneration), r.Id)).ToArray();

    private static void AddEntries(Google.Protobuf.Collections.RepeatedField<Wire.Entry> target, IReadOnlyList<LogEntry> entries)
    {
        foreach (var entry in entries)
        {
            var wire = new Wire.Entry { Slot = entry.Slot, Ballot = ToWire(entry.Ballot), HasValue = !entry.IsEmpty };
            if (!entry.IsEmpty)
            {
                foreach (var command in entry.Value.Commands)
                {
                    wire.Commands.Add(UnsafeByteOperations.UnsafeWrap(command));
                }
            }

            target.Add(wire);
        }
    }

    private static LogEntry[] FromWire(Google.Protobuf.Collections.RepeatedField<Wire.Entry> entries)
    {
        var result = new LogEntry[entries.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var wire = entries[i];
            SlotValue value = null!;
            if (wire.HasValue)
            {
                if (wire.Commands.Count == 0)
                {
                    value = SlotValue.NoOp;
                }
                else
                {
                    var commands = new ReadOnlyMemory<byte>[wire.Commands.Count];
                    for (var c = 0; c < commands.Length; c++)
                    {
                        commands[c] = wire.Commands[c].Memory;
                    }

                    value = new SlotValue(commands);
                }
            }

            result[i] = new LogEntry(wire.Slot, FromWire(wire.Ballot), value);
        }

        return result;
    }
}
