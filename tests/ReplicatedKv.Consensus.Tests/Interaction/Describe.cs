using System.Globalization;
using System.Text;
using ReplicatedKv.NodeCore;
using ReplicatedKv.StateMachine;
using ReplicatedKv.Testing.Simulation;

namespace ReplicatedKv.Consensus.Tests.Interaction;

/// <summary>
/// Renders protocol values as the short text the golden files show: one line per message, entries as
/// <c>slot@ballot:commands</c>, a client write as the key it sets (<c>key=value</c> when the value is not empty),
/// a no-op batch as <c>noop</c>.
/// </summary>
internal static class Describe
{
    public static string Message(PeerMessage message) => message switch
    {
        PrePrepare m => $"{Route(m)} PrePrepare b={m.Ballot}",
        PrePromise m => $"{Route(m)} PrePromise b={m.Ballot} granted={Bool(m.Granted)} promised={m.Promised}",
        Prepare m => $"{Route(m)} Prepare b={m.Ballot} from={m.FromSlot}{(m.LeaderTransfer ? " transfer" : string.Empty)}",
        TimeoutNow m => $"{Route(m)} TimeoutNow b={m.Ballot}",
        Promise m => $"{Route(m)} Promise b={m.Ballot} from={m.FromSlot} decided={m.DecidedIndex} entries={Entries(m.Entries)}",
        Accept m => $"{Route(m)} Accept b={m.Ballot} decided={m.DecidedIndex} {Entries(m.Entries)}",
        Accepted m => $"{Route(m)} Accepted b={m.Ballot} slots=[{string.Join(',', m.Slots)}]",
        Nack m => $"{Route(m)} Nack b={m.Ballot} promised={m.Promised}",
        Heartbeat m => $"{Route(m)} Heartbeat b={m.Ballot} decided={m.DecidedIndex} read={m.ReadRound}",
        Decide m => $"{Route(m)} Decide b={m.Ballot} decided={m.DecidedIndex}",
        HeartbeatAck m => $"{Route(m)} HeartbeatAck b={m.Ballot} read={m.ReadRound} decided={m.DecidedIndex}",
        CatchUpRequest m => $"{Route(m)} CatchUpRequest b={m.Ballot} from={m.FromSlot}",
        CatchUp m => $"{Route(m)} CatchUp b={m.Ballot} decided={m.DecidedIndex} {Entries(m.Entries)}",
        RejoinProbe m => $"{Route(m)} RejoinProbe b={m.Ballot} round={m.Round}{(m.Waiting ? " waiting" : string.Empty)}",
        RejoinStatus m => $"{Route(m)} RejoinStatus b={m.Ballot} round={m.Round} {m.State} decided={m.DecidedIndex} first={m.FirstSlot} " +
                        $"last={m.LastSlot}{(m.FenceSlot > 0 ? $" fence={m.FenceSlot}" : string.Empty)}{(m.IsEmpty ? " (empty)" : string.Empty)}",
        _ => throw new ArgumentOutOfRangeException(nameof(message), message.GetType().Name, "unknown message type"),
    };

    public static string Routing(RoutingMessage message) => message switch
    {
        ForwardWrites m => $"{m.From}->{m.To} ForwardWrites [{Commands(m.Commands)}]",
        ForwardRefused m => $"{m.From}->{m.To} ForwardRefused [{Commands(m.Commands)}]{(m.Overloaded ? " overloaded" : string.Empty)}" +
                            $"{(m.MaybeDecided ? " maybe-decided" : string.Empty)}",
        ReadIndexRequest m => $"{m.From}->{m.To} ReadIndexRequest id={m.ReadId}",
        ReadIndexReply m => $"{m.From}->{m.To} ReadIndexReply id={m.ReadId} {(m.NotLeader ? "not-leader" : $"index={m.Index}")}",
        _ => throw new ArgumentOutOfRangeException(nameof(message), message.GetType().Name, "unknown routing message"),
    };

    public static string Envelope(Envelope envelope) => envelope switch
    {
        MessageEnvelope e => Message(e.Message),
        RoutingEnvelope e => Routing(e.Message),
        SnapshotEnvelope e => $"{e.From}->{e.To} Snapshot slot={e.Snapshot.Slot} applied=[{AppliedSlots(e.Snapshot.Values)}]",
        _ => throw new ArgumentOutOfRangeException(nameof(envelope), envelope.GetType().Name, "unknown envelope"),
    };

    /// <summary>
    /// The Ready of <paramref name="nodeId"/>, in the order <see cref="ReadyProcessor"/> handles it: messages to send
    /// at once (consensus, then routing), writes, messages that wait for the writes, slots to apply, then what the
    /// replica tells the node core about reads and dropped proposals.
    /// </summary>
    public static IEnumerable<string> Ready(int nodeId, NodeReady nodeReady)
    {
        var ready = nodeReady.Consensus;
        yield return $"Ready MustSync={Bool(ready.MustSync)}:";
        if (ready.SoftState is { } soft)
        {
            yield return $"State: {SoftState(soft)}";
        }

        foreach (var line in Section("Messages:", ready.Messages.Select(Message)))
        {
            yield return line;
        }

        foreach (var line in Section("Routing:", nodeReady.RoutingMessages.Select(Routing)))
        {
            yield return line;
        }

        if (ready.Entries.Count > 0)
        {
            yield return $"Entries: {Entries(ready.Entries)}";
        }

        if (ready.HardState is { } hard)
        {
            yield return HardState(hard);
        }

        foreach (var line in Section("MessagesAfterPersist:", ready.MessagesAfterPersist.Select(Message)))
        {
            yield return line;
        }

        foreach (var entry in ready.Decided)
        {
            yield return $"{nodeId} applied {entry.Slot}: {Value(entry.Value)}";
        }

        foreach (var read in ready.ReadStates)
        {
            yield return $"ReadState index={read.Index} requests=[{string.Join(',', read.RequestIds)}]";
        }

        foreach (var dropped in ready.DroppedProposals)
        {
            yield return $"DroppedProposals [{Commands(dropped.Commands)}] leader={Leader(dropped.LeaderHint)}";
        }

        foreach (var dropped in ready.DroppedReads)
        {
            yield return $"DroppedReads [{string.Join(',', dropped.RequestIds)}] leader={Leader(dropped.LeaderHint)}";
        }

        if (ready.SnapshotRequests.Count > 0)
        {
            yield return $"SnapshotRequests: {string.Join(',', ready.SnapshotRequests)}";
        }
    }

    /// <summary>The rejoin state is shown only when the replica does not vote, so traces of voters read as before.</summary>
    public static string SoftState(SoftState soft) =>
        $"{soft.Role} leader={Leader(soft.LeaderId)} ballot={soft.Ballot}{(soft.RejoinState == RejoinState.Voter ? string.Empty : $" {soft.RejoinState}")}";

    /// <summary>The rejoin flags are shown only when set, so traces without them read as before.</summary>
    public static string HardState(HardState hard) =>
        $"HardState promised={hard.Promised} decided={hard.DecidedIndex}{(hard.Rejoining ? " rejoining" : string.Empty)}" +
        $"{(hard.Bootstrapped ? " bootstrapped" : string.Empty)}";

    public static string RejoinMode(RejoinMode mode) => mode.ToString().ToLowerInvariant();

    public static string Entries(IEnumerable<LogEntry> entries) => $"[{string.Join(' ', entries.Select(Entry))}]";

    public static string Entry(LogEntry entry) => $"{entry.Slot}@{entry.Ballot}:{(entry.IsEmpty ? "<empty>" : Value(entry.Value))}";

    public static string Value(SlotValue value) =>
        value.IsNoOp ? "noop" : Configuration.TryFrom(value, out var configuration) ? $"config({configuration})" : Commands(value.Commands);

    public static string Commands(IEnumerable<ReadOnlyMemory<byte>> commands) => string.Join(',', commands.Select(Command));

    /// <summary>A logged client command: a set as its key (and value when there is one), a remove as <c>-key</c>.</summary>
    public static string Command(ReadOnlyMemory<byte> envelope)
    {
        if (!EnvelopedCommands.TryDecode(envelope, out var command))
        {
            return "undecodable";
        }

        if (command.Kind == CommandKind.Remove)
        {
            return "-" + command.Key;
        }

        return command.Value.IsEmpty ? command.Key : $"{command.Key}={Encoding.UTF8.GetString(command.Value.Span)}";
    }

    /// <summary>Applied slots (index 0 is slot 1) as <c>1:a,b 2:noop</c>, so a no-op slot stays visible.</summary>
    public static string AppliedSlots(IEnumerable<SlotValue> slots) =>
        string.Join(' ', slots.Select((value, i) => $"{i + 1}:{Value(value)}"));

    /// <summary>How a caller's request ended, as the node that took it answers.</summary>
    public static string Answer(int nodeId, Answer answer) => $"{nodeId} answers caller {answer.Caller}: " + answer.Kind switch
    {
        AnswerKind.WriteApplied => $"write {answer.Write.Status} version={answer.Write.Version}",
        AnswerKind.ReadServed when answer.Read.Found => $"read found version={answer.Read.Version}",
        AnswerKind.ReadServed => "read not found",
        _ => $"{answer.Kind} ({answer.Reason})",
    };

    public static string Leader(int? leaderId) => leaderId?.ToString(CultureInfo.InvariantCulture) ?? "none";

    private static string Route(PeerMessage m) => $"{m.From}->{m.To}";

    private static string Bool(bool value) => value ? "true" : "false";

    private static IEnumerable<string> Section(string title, IEnumerable<string> lines)
    {
        var first = true;
        foreach (var line in lines)
        {
            if (first)
            {
                yield return title;
                first = false;
            }

            yield return line;
        }
    }
}
