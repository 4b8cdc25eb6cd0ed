namespace ReplicatedKv.Consensus;

// The learner: decisions from the leader's decided index, catch-up from any replica, snapshots.
public sealed partial class PaxosReplica
{
    private long _leaderDecidedIndex;
    private int _catchUpCooldown;

    // Members asked for decided values (a CatchUpRequest, or a Prepare, which a far-ahead acceptor answers with a
    // CatchUp or a snapshot) whose answer has not come yet. See AcceptsDecidedValuesFrom.
    private ulong _askedForDecided;

    /// <summary>
    /// Whether decided values (a CatchUp, or a snapshot the host received) from <paramref name="from"/> may be
    /// taken: only from the leader this replica follows, or in answer to a request it made. Decided values are
    /// installed without any vote, so a faulty member sending them unasked could make this replica decide
    /// anything; the leader and a member it asked are the ones it already trusts for them.
    /// </summary>
    public bool AcceptsDecidedValuesFrom(int from) =>
        from != NodeId && (from == _leaderId || (_askedForDecided & Bit(from)) != 0);

    /// <summary>
    /// Marks slots decided up to the leader's <paramref name="decidedIndex"/>, but only where this replica holds the
    /// value accepted under that same leader's ballot: one ballot proposes one value per slot, so such a value
    /// is the decided one. Older values might not be; those slots are fetched by catch-up instead.
    /// </summary>
    private void LearnDecided(Ballot ballot, long decidedIndex)
    {
        // Only the leader this replica follows speaks for the ballot's decisions; a promised candidate does not yet.
        if (ballot != _promised || _role != Role.Follower || _leaderId != ballot.NodeId)
        {
            return;
        }

        NoteLeaderDecided(ballot, decidedIndex);
        _leaderDecidedIndex = Math.Max(_leaderDecidedIndex, decidedIndex);
        while (_decidedIndex < decidedIndex && _log.TryGet(_decidedIndex + 1, out var entry) && entry.Ballot == ballot)
        {
            _decidedIndex++;
        }

        if (_decidedIndex < decidedIndex)
        {
            RequestCatchUp(ballot.NodeId, force: false);
        }
    }

    /// <summary>
    /// A leader's decided index, sent on its own the moment it advanced. It asks nothing of the acceptor, so it
    /// neither raises the promise nor draws a refusal: a Decide for a ballot other than the promised one is
    /// simply ignored, and the next Accept or Heartbeat settles the rest.
    /// </summary>
    private void HandleDecide(Decide m) => LearnDecided(m.Ballot, m.DecidedIndex);

    private void TickCatchUp()
    {
        if (_catchUpCooldown > 0)
        {
            _catchUpCooldown--;
        }

        if (_role == Role.Follower && _leaderId is int leader && _leaderDecidedIndex > _decidedIndex)
        {
            RequestCatchUp(leader, force: false);
        }
    }

    private void RequestCatchUp(int from, bool force)
    {
        if (!force && _catchUpCooldown > 0)
        {
            return;
        }

        _catchUpCooldown = 2 * _config.HeartbeatTicks;
        _askedForDecided |= Bit(from);
        Send(new CatchUpRequest(NodeId, from, _promised, _decidedIndex + 1));
    }

    private void HandleCatchUpRequest(CatchUpRequest m)
    {
        if (m.FromSlot < _log.FirstSlot)
        {
            _snapshotRequests.Add(m.From);
            return;
        }

        SendCatchUp(m.From, m.FromSlot);
    }

    private void SendCatchUp(int to, long fromSlot)
    {
        if (fromSlot > _decidedIndex)
        {
            return;
        }

        var last = Math.Min(_decidedIndex, fromSlot + _config.MaxEntriesPerMessage - 1);
        var entries = new LogEntry[last - fromSlot + 1];
        for (var slot = fromSlot; slot <= last; slot++)
        {
            entries[slot - fromSlot] = EntryAt(slot);
        }

        Send(new CatchUp(NodeId, to, _promised, _decidedIndex, entries));
    }

    private void HandleCatchUp(CatchUp m)
    {
        _askedForDecided &= ~Bit(m.From);

        // A leader's in-flight bookkeeping assumes it decides its own slots; it never needs catching up.
        if (_role == Role.Leader)
        {
            return;
        }

        var advanced = false;
        foreach (var entry in m.Entries)
        {
            if (entry.Slot <= _decidedIndex || entry.IsEmpty)
            {
                continue;
            }

            if (entry.Slot != _decidedIndex + 1)
            {
                break;
            }

            Persist(entry);
            _decidedIndex++;
            advanced = true;
        }

        if (advanced && m.DecidedIndex > _decidedIndex)
        {
            RequestCatchUp(m.From, force: true);
        }
    }

    /// <summary>
    /// Lets the log forget every slot through <paramref name="slot"/>, after the host has durably saved a
    /// snapshot of the state machine at that slot. Peers asking for those slots will get a snapshot request.
    /// </summary>
    public void Compact(long slot)
    {
        if (slot > _handedOutIndex)
        {
            throw new InvariantViolationException(
                $"cannot compact through slot {slot}: only slots through {_handedOutIndex} were handed out for applying");
        }

        _log.CompactThrough(slot);
    }

    /// <summary>
    /// True when a snapshot through <paramref name="slot"/> would move this replica forward. The host asks
    /// before restoring its state machine from a received snapshot, and discards the snapshot otherwise.
    /// A leader never wants one: it decides its own slots and only ever lags in what it re-proposes. A learner
    /// wants one once its Rejoining flag is durable (before, a crash could keep the snapshot without the flag and
    /// restart it as a voter); a probing replica never does.
    /// </summary>
    public bool WantsSnapshot(long slot) =>
        !_readyOutstanding && slot > _decidedIndex && _role != Role.Leader &&
        (IsVoter || _phase.LearnsDurably());

    /// <summary>
    /// <see cref="WantsSnapshot(long)"/> for a snapshot sent by <paramref name="from"/>: also refuses one from a
    /// member this replica neither follows nor asked (see <see cref="AcceptsDecidedValuesFrom"/>).
    /// </summary>
    public bool WantsSnapshot(int from, long slot) => AcceptsDecidedValuesFrom(from) && WantsSnapshot(slot);

    /// <summary>
    /// Continues from a snapshot of decided state through <paramref name="slot"/> that the host has durably
    /// installed (state machine restored, snapshot on disk), after <see cref="WantsSnapshot(long)"/> said yes.
    /// Accepted values above the slot are kept: an acceptor must never forget what it accepted.
    /// <paramref name="membership"/> is what the snapshot carried; null (a snapshot from before membership changes)
    /// keeps the configurations this replica knows.
    /// </summary>
    public void InstallSnapshot(long slot, MembershipSnapshot? membership = null)
    {
        if (!WantsSnapshot(slot))
        {
            throw new InvariantViolationException(
                $"snapshot at slot {slot} installed without WantsSnapshot (decided {_decidedIndex}, role {_role})");
        }

        _log.CompactThrough(slot);
        _decidedIndex = slot;
        _handedOutIndex = slot;
        if (membership is { Entries.Count: > 0 })
        {
            _history = new ConfigurationHistory(membership.Entries);
            foreach (var member in membership.Entries.SelectMany(e => e.Configuration.Members))
            {
                BitIndexOf(member.Id);
            }
        }

        _configsScannedThrough = slot;
        ScanDecidedConfigs();
        TryRegainVote();
    }
}
