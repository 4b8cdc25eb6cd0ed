namespace ReplicatedKv.Consensus;

/// <summary>
/// A one-way message between replicas. Nothing here is a request/response call: a reply travels as its
/// own message, so the transport only delivers and the core never waits on the network.
/// <see cref="Ballot"/> is the ballot the message is about (for requests, the sender's; for replies, the
/// one being answered), except where a type says otherwise.
/// </summary>
public abstract record PeerMessage(int From, int To, Ballot Ballot)
{
    /// <summary>The sender's incarnation (<see cref="HardState.Incarnation"/>); set by the sending replica.</summary>
    public ulong FromIncarnation { get; init; }

    /// <summary>
    /// For a reply (PrePromise, Promise, Accepted, Nack, HeartbeatAck, RejoinStatus): the incarnation of the request it
    /// answers. A replica refuses a reply addressed to another incarnation of itself: it answers a request the
    /// replica's lost former self sent. 0 otherwise.
    /// </summary>
    public ulong ToIncarnation { get; init; }
}

/// <summary>
/// "Would you promise <see cref="PeerMessage.Ballot"/>?" Changes nothing at the receiver. A replica that
/// lost contact cannot raise ballots and depose a healthy leader when it returns (Raft thesis §9.6, pre-vote).
/// </summary>
public sealed record PrePrepare(int From, int To, Ballot Ballot) : PeerMessage(From, To, Ballot);

/// <summary>The answer to <see cref="PrePrepare"/>; <see cref="Promised"/> lets a refused sender pick a higher round.</summary>
public sealed record PrePromise(int From, int To, Ballot Ballot, bool Granted, Ballot Promised)
    : PeerMessage(From, To, Ballot);

/// <summary>
/// Phase 1a for every slot from <see cref="FromSlot"/> on (Paxos Made Simple, §3: one prepare for all instances).
/// <see cref="LeaderTransfer"/>: the candidate was asked by the leader to take over (<see cref="TimeoutNow"/>), so an
/// acceptor promises although it still hears that leader (Raft thesis §3.10's disregard-the-lease flag).
/// </summary>
public sealed record Prepare(int From, int To, Ballot Ballot, long FromSlot, bool LeaderTransfer = false) : PeerMessage(From, To, Ballot)
{
    /// <summary>The sender's incarnation records (DESIGN.md, "Incarnations"); the receiver merges them.</summary>
    public IReadOnlyList<IncarnationRecord> Incarnations { get; init; } = [];
}

/// <summary>
/// "Start your ballot now", from the leader of <see cref="PeerMessage.Ballot"/> to the member it hands leadership to,
/// once that member has every slot the leader proposed. The receiver runs phase 1 at once, without a pre-vote or an
/// election timeout. One-way; a lost one only means the transfer times out.
/// </summary>
public sealed record TimeoutNow(int From, int To, Ballot Ballot) : PeerMessage(From, To, Ballot);

/// <summary>
/// Phase 1b: the acceptor will accept nothing below <see cref="PeerMessage.Ballot"/> and reports every value it
/// holds from <see cref="FromSlot"/> on. Entries at or below <see cref="DecidedIndex"/> are decided values.
/// Leaves only after the promise is durable.
/// </summary>
public sealed record Promise(int From, int To, Ballot Ballot, long FromSlot, long DecidedIndex, IReadOnlyList<LogEntry> Entries)
    : PeerMessage(From, To, Ballot);

/// <summary>
/// Phase 2a for a batch of slots (each entry carries this ballot), plus the leader's decided index so
/// followers learn decisions without a separate message.
/// </summary>
public sealed record Accept(int From, int To, Ballot Ballot, long DecidedIndex, IReadOnlyList<LogEntry> Entries)
    : PeerMessage(From, To, Ballot)
{
    /// <summary>The sender's incarnation records (DESIGN.md, "Incarnations"); the receiver merges them.</summary>
    public IReadOnlyList<IncarnationRecord> Incarnations { get; init; } = [];
}

/// <summary>Phase 2b for <see cref="Slots"/> under the ballot. Leaves only after the entries are durable.</summary>
public sealed record Accepted(int From, int To, Ballot Ballot, IReadOnlyList<long> Slots) : PeerMessage(From, To, Ballot);

/// <summary>"I promised <see cref="Promised"/>, which is above your <see cref="PeerMessage.Ballot"/>": the sender is deposed.</summary>
public sealed record Nack(int From, int To, Ballot Ballot, Ballot Promised) : PeerMessage(From, To, Ballot)
{
    /// <summary>The sender's incarnation records (DESIGN.md, "Incarnations"); the receiver merges them.</summary>
    public IReadOnlyList<IncarnationRecord> Incarnations { get; init; } = [];
}

/// <summary>
/// The leader is alive; carries its decided index, and the read round a read-index check waits on.
/// </summary>
public sealed record Heartbeat(int From, int To, Ballot Ballot, long DecidedIndex, long ReadRound) : PeerMessage(From, To, Ballot);

/// <summary>
/// "Every slot through <see cref="DecidedIndex"/> is decided", from the leader of the ballot to its followers,
/// sent in the same Ready in which the leader's decided index advanced so a follower need not wait for the next
/// Accept or Heartbeat to learn it. One-way: nothing answers it. At most one per follower per Ready, and none to a
/// follower that an Accept or Heartbeat in that Ready already tells as much. A follower learns from it exactly as
/// from a heartbeat's decided index: only slots holding the value accepted under that same ballot.
/// </summary>
public sealed record Decide(int From, int To, Ballot Ballot, long DecidedIndex) : PeerMessage(From, To, Ballot);

/// <summary>"You are still my leader as of <see cref="ReadRound"/>"; also reports how far the follower has decided.</summary>
public sealed record HeartbeatAck(int From, int To, Ballot Ballot, long ReadRound, long DecidedIndex)
    : PeerMessage(From, To, Ballot);

/// <summary>"Send me decided values from <see cref="FromSlot"/> on." Any replica may answer. Ballot: the sender's promise.</summary>
public sealed record CatchUpRequest(int From, int To, Ballot Ballot, long FromSlot) : PeerMessage(From, To, Ballot);

/// <summary>Decided values, contiguous from the first entry's slot. Ballot: the sender's promise.</summary>
public sealed record CatchUp(int From, int To, Ballot Ballot, long DecidedIndex, IReadOnlyList<LogEntry> Entries)
    : PeerMessage(From, To, Ballot);

/// <summary>
/// "What state do you hold?", from a replica that started without trustworthy state (a probing replica or a
/// learner). Ballot: the sender's promise (Ballot.Zero when it has none). <see cref="Round"/> is echoed in the
/// answer, so the sender can tell answers to probes sent after its quarantine from older ones.
/// <see cref="Waiting"/>: the sender is a learner past its quarantine (if it has one) asking the leader for a fence; a
/// leader answers with a <see cref="RejoinStatus.FenceSlot"/> and proposes that slot (a no-op if it has no commands),
/// or, to a learner with an incarnation, first with a <see cref="RejoinStatus.Challenge"/> it must answer.
/// </summary>
public sealed record RejoinProbe(int From, int To, Ballot Ballot, long Round, bool Waiting) : PeerMessage(From, To, Ballot)
{
    /// <summary>
    /// On a waiting probe: 0 for a request; otherwise the number of the leader's challenge
    /// (<see cref="RejoinStatus.Challenge"/>) this learner answers, sent at once by the incarnation that received it.
    /// </summary>
    public long Challenge { get; init; }
}

/// <summary>
/// The answer to <see cref="RejoinProbe"/>: the sender's state. Ballot: the sender's promise (a leader's is its
/// own ballot). <see cref="FirstSlot"/> is one past its snapshot; <see cref="LastSlot"/> its highest accepted
/// slot (FirstSlot-1 when none). The state is empty when the promise is zero, nothing is decided or held, there
/// is no snapshot and the sender is not a <see cref="RejoinState.Learner"/>. <see cref="FenceSlot"/> is 0 except
/// from the leader of Ballot answering a waiting probe: then it is the first slot that leader proposes after
/// receiving the probe.
/// </summary>
public sealed record RejoinStatus(
    int From, int To, Ballot Ballot, long Round, RejoinState State, long DecidedIndex, long FirstSlot, long LastSlot, long FenceSlot)
    : PeerMessage(From, To, Ballot)
{
    /// <summary>
    /// 0 except from the leader of Ballot answering a waiting probe of a learner with an incarnation: before it records
    /// the incarnation and gives it a fence, the leader asks it to answer with this number (DESIGN.md, "Ordering fences").
    /// </summary>
    public long Challenge { get; init; }

    /// <summary>True when the sender reports no state at all: no promise, nothing decided or held, no snapshot, not a learner.</summary>
    public bool IsEmpty => Ballot == Ballot.Zero && DecidedIndex == 0 && FirstSlot == 1 && LastSlot == 0 && State != RejoinState.Learner;
}
