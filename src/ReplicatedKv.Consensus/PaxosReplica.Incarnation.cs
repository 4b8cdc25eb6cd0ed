namespace ReplicatedKv.Consensus;

// Incarnations: refusing, by id, the votes and the answers of a member's lost former self (DESIGN.md, "Incarnations",
// rules I1 to I3). Every outgoing message carries this replica's incarnation, every reply the incarnation of the
// request it answers; Prepare, Accept and Nack carry the incarnation records, which every receiver merges.
public sealed partial class PaxosReplica
{
    private ulong _incarnation;
    private IncarnationTable _incarnations = IncarnationTable.Empty;
    private bool _incarnationsUnpersisted;

    // The table the current candidacy sent with its prepares: only promises from the incarnations it names count (I2).
    private IncarnationTable _candidacyIncarnations = IncarnationTable.Empty;

    // The message being handled, so a reply can echo the incarnation of the request it answers.
    private PeerMessage? _answering;

    /// <summary>This replica's incarnation (<see cref="HardState.Incarnation"/>).</summary>
    public ulong Incarnation => _incarnation;

    /// <summary>The newest incarnation this replica knows of for each member that ever rejoined.</summary>
    public IncarnationTable Incarnations => _incarnations;

    // ReplicaFaults.IgnoreIncarnation (test builds only; always false in Release).
    private bool _ignoresIncarnations;

    private void InitIncarnation(PersistentState state)
    {
        _incarnation = state.HardState.Incarnation;
        _incarnations = state.Incarnations ?? IncarnationTable.Empty;
#if RKV_FAULT_INJECTION
        _ignoresIncarnations = _config.Faults.IgnoreIncarnation;
        _fencesWithoutChallenge = _config.Faults.FenceWithoutChallenge;
#else
        _ignoresIncarnations = false;
        _fencesWithoutChallenge = false;
#endif
    }

    private static bool IsReply(PeerMessage message) => message is PrePromise or Promise or Accepted or Nack or HeartbeatAck or RejoinStatus;

    /// <summary>Sets the sender's incarnation and, on a reply to the message being handled, the incarnation it answers.</summary>
    private PeerMessage StampIncarnation(PeerMessage message)
    {
        var answers = IsReply(message) && _answering is { } request && request.From == message.To ? request.FromIncarnation : 0;
        return message.FromIncarnation == _incarnation && message.ToIncarnation == answers
            ? message
            : message with { FromIncarnation = _incarnation, ToIncarnation = answers };
    }

    private bool AnswersAnotherIncarnation(PeerMessage message) =>
        IsReply(message) && message.ToIncarnation != _incarnation && !_ignoresIncarnations;

    private static IReadOnlyList<IncarnationRecord> CarriedIncarnations(PeerMessage message) => message switch
    {
        Prepare m => m.Incarnations,
        Accept m => m.Incarnations,
        Nack m => m.Incarnations,
        _ => [],
    };

    /// <summary>False when a carried record is one no replica may hold (a member below 1, the original stamp, id 0).</summary>
    private static bool CarriesValidIncarnations(PeerMessage message)
    {
        // By index: this runs for every message, and an interface enumerator would be an allocation each time.
        var carried = CarriedIncarnations(message);
        for (var i = 0; i < carried.Count; i++)
        {
            var record = carried[i];
            if (record.Member < 1 || record.Stamp == IncarnationStamp.Original || record.Id == 0 ||
                record.Stamp.FenceSlot < 0 || record.Stamp.ProbeGeneration < 0 || record.Stamp.FenceBallot.Round < 0)
            {
                return false;
            }
        }

        return true;
    }

    private void MergeCarriedIncarnations(PeerMessage message)
    {
        var carried = CarriedIncarnations(message);
        if (carried.Count > 0)
        {
            LearnIncarnations(carried);
        }
    }

    /// <summary>Merges records into the table; a change is persisted (fsynced) and ends a candidacy that started without it (I2).</summary>
    private void LearnIncarnations(IEnumerable<IncarnationRecord> records)
    {
        var merged = _incarnations.Merge(records);
        if (ReferenceEquals(merged, _incarnations))
        {
            return;
        }

        _incarnations = merged;
        _incarnationsUnpersisted = true;
        if (_role == Role.Candidate && !_ignoresIncarnations)
        {
            // Its prepares carried an older table; the next candidacy, with a higher ballot, carries this one.
            StepDown(null);
        }
    }

    private void TakeIncarnationsForReady(Ready ready)
    {
        if (_incarnationsUnpersisted)
        {
            ready.Incarnations = _incarnations;
            _incarnationsUnpersisted = false;
            _mustSync = true;
        }
    }

    /// <summary>I3: an acceptor knowing a newer incarnation of some member than a Prepare carries must not promise.</summary>
    private bool RefusesStaleCandidacy(Prepare m) =>
        m.From != NodeId && !_ignoresIncarnations && _incarnations.IsNewerThan(IncarnationTable.From(m.Incarnations));

    /// <summary>I2: a promise counts only from the incarnation the candidacy's table names for its sender.</summary>
    private bool CountsForCandidacy(Promise m) => _ignoresIncarnations || _candidacyIncarnations.Admits(m.From, m.FromIncarnation);

    /// <summary>I1: the leader answering a fence request records the learner's incarnation, stamped by that fence.</summary>
    private void RecordFencedIncarnation(int learner, ulong incarnation, long fenceSlot)
    {
        if (incarnation != 0)
        {
            LearnIncarnations([new IncarnationRecord(learner, IncarnationStamp.Fence(_ballot, fenceSlot), incarnation)]);
        }
    }
}
