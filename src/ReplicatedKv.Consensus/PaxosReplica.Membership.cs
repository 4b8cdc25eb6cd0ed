namespace ReplicatedKv.Consensus;

// Membership changes: which configuration governs which slot, whose votes count where, and the leader's rules for
// proposing a change. The method (a change decided in slot c governs from c + Delay on) and why it is safe are in
// DESIGN.md beside this file ("Membership changes").
public sealed partial class PaxosReplica
{
    private ConfigurationHistory _history = null!;
    private long _configsScannedThrough;

    // Bit positions for quorum masks, by node id; grows as ids appear (a restart starts afresh).
    private readonly Dictionary<int, int> _bitIndex = [];

    // The leader's configurations proposed in slots not yet decided, by slot; and a change waiting for a slot.
    private readonly SortedDictionary<long, Configuration> _proposedConfigs = [];

    // Bumped on every change to _proposedConfigs; with the history's own version it tells when the leader horizon is stale.
    private int _proposedConfigsVersion;
    private (ConfigurationHistory?, int, int, long) _leaderHorizonKey;
    private List<Configuration> _leaderHorizon = [];
    private List<int> _leaderHorizonMembers = [];
    private Configuration? _queuedConfig;

    // The leader's last tick on which each peer acknowledged it (Accepted or HeartbeatAck): who could run a new configuration.
    private readonly Dictionary<int, long> _lastAckAt = [];

    /// <summary>The most recently decided configuration, the slot that decided it and the first slot it governs.</summary>
    public ConfigurationEntry LatestConfiguration => _history.Latest;

    /// <summary>The configuration governing the next undecided slot: whose votes count now.</summary>
    public ConfigurationEntry GoverningConfiguration => _history.EntryFor(_decidedIndex + 1);

    /// <summary>
    /// True when this replica is a voter of the latest decided configuration. Only such a replica campaigns. Not to be
    /// confused with <see cref="IsVoter"/>, which says whether a replica rejoining after a lost disk has its vote back.
    /// </summary>
    public bool IsVotingMember => _history.Latest.Configuration.IsVoter(NodeId);

    /// <summary>True while a membership change is queued, in flight, or decided but not yet governing (the leader's view).</summary>
    public bool MembershipChangePending =>
#if RKV_FAULT_INJECTION
        _config.Faults.ConfigurationAtOnce ? _queuedConfig is not null :
#endif
        _queuedConfig is not null || _proposedConfigs.Count > 0 || _history.Latest.EffectiveSlot > _decidedIndex + 1;

    /// <summary>
    /// The configurations a snapshot through <paramref name="slot"/> must carry (see <see cref="MembershipSnapshot"/>).
    /// The host asks when it takes a snapshot of the state machine, for the slot the state machine applied through;
    /// any decided slot from one before <see cref="FirstSlot"/> on is answerable.
    /// </summary>
    public MembershipSnapshot MembershipAt(long slot)
    {
        if (slot > _decidedIndex || slot < 0 || _history.Entries[0].EffectiveSlot > slot + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(slot), $"slot {slot} is outside the decided slots whose configuration is still known");
        }

        return _history.SnapshotAt(slot);
    }

    /// <summary>True when <paramref name="id"/> is a member (voting or not) of a configuration this replica still knows.</summary>
    public bool IsKnownMember(int id)
    {
        foreach (var entry in _history.Entries)
        {
            if (entry.Configuration.Contains(id))
            {
                return true;
            }
        }

        foreach (var configuration in _proposedConfigs.Values)
        {
            if (configuration.Contains(id))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Asks the leader to change the membership. Refused (with the reason) on a replica that does not lead, while
    /// another change is pending, when the new configuration would have fewer voters able to run (this leader, and
    /// voters it heard from within an election timeout) than its quorum, and when promoting a member whose lag is
    /// unknown or above <see cref="ReplicaConfig.MaxPromotionLag"/>. Otherwise the new configuration is proposed in a
    /// slot of its own; it is decided (or dropped) like any value, and governs from its slot + Delay on.
    /// </summary>
    public MembershipProposal ProposeMembershipChange(MembershipChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (_role != Role.Leader)
        {
            return MembershipProposal.Refused("this node is not the leader");
        }

        if (MembershipChangePending)
        {
            return MembershipProposal.Refused("another membership change is pending: one change at a time");
        }

        var current = _history.Latest.Configuration;
        var id = change.NodeId;
        Configuration next;
        switch (change.Kind)
        {
            case MembershipChangeKind.AddNonVoter:
                if (id < 1)
                {
                    return MembershipProposal.Refused($"node id {id} is not valid: ids start at 1");
                }

                if (current.Contains(id))
                {
                    return MembershipProposal.Refused($"node {id} is already a member");
                }

                if (current.Members.Count >= Configuration.MaxMembers || (!_bitIndex.ContainsKey(id) && _bitIndex.Count >= 64))
                {
                    return MembershipProposal.Refused($"no room for another member (at most {Configuration.MaxMembers}, and 64 ids per leader run)");
                }

                next = current.With(new Member(id, IsVoter: false, change.Payload ?? ""));
                break;
            case MembershipChangeKind.Promote:
                if (current.Find(id) is not { } member)
                {
                    return MembershipProposal.Refused($"node {id} is not a member");
                }

                if (member.IsVoter)
                {
                    return MembershipProposal.Refused($"node {id} is already a voter");
                }

                if (!_peerDecided.TryGetValue(id, out var peerDecided) || peerDecided < 0)
                {
                    return MembershipProposal.Refused($"node {id} has not reported its progress to this leader yet: its lag is unknown");
                }

                var lag = Math.Max(0, _decidedIndex - peerDecided);
                if (lag > _config.MaxPromotionLag)
                {
                    return MembershipProposal.Refused($"node {id} lags {lag} slots behind the leader, more than the {_config.MaxPromotionLag} allowed for a promotion");
                }

                next = current.With(member with { IsVoter = true });
                break;
            case MembershipChangeKind.Remove:
                if (!current.Contains(id))
                {
                    return MembershipProposal.Refused($"node {id} is not a member");
                }

                if (current.Members.Count == 1 || (current.Voters.Count == 1 && current.IsVoter(id)))
                {
                    return MembershipProposal.Refused($"removing node {id} would leave no voter");
                }

                next = current.Without(id);
                break;
            default:
                return MembershipProposal.Refused($"unknown membership change {change.Kind}");
        }

        var able = next.Voters.Count(IsAbleToRun);
        if (able < next.Majority)
        {
            return MembershipProposal.Refused(
                $"the new configuration would have {able} of {next.Voters.Count} voters able to run, fewer than its quorum of {next.Majority}");
        }

        _queuedConfig = next;
        FlushProposals();
        return new MembershipProposal(true, next, null);
    }

    /// <summary>This leader, or a voter that acknowledged it within an election timeout.</summary>
    private bool IsAbleToRun(int id) =>
        id == NodeId || (_lastAckAt.TryGetValue(id, out var at) && _now - at <= _config.ElectionTicks);

    private void InitMembership(PersistentState state)
    {
        var bootstrap = new ConfigurationEntry(0, 1, Configuration.Bootstrap(_config.Members, _config.EffectiveConfigurationDelay));
        var fromSnapshot = state.SnapshotSlot > 0 ? state.Membership?.Entries : null;
        _history = new ConfigurationHistory(fromSnapshot is { Count: > 0 } entries ? entries : [bootstrap]);
        _configsScannedThrough = state.SnapshotSlot;
        ScanDecidedConfigs();
    }

    /// <summary>Takes every configuration decided since the last scan into the history. Called wherever the decided index may have moved.</summary>
    private void ScanDecidedConfigs()
    {
        for (var slot = Math.Max(_configsScannedThrough + 1, _log.FirstSlot); slot <= _decidedIndex; slot++)
        {
            if (_log.TryGet(slot, out var entry) && Configuration.TryFrom(entry.Value, out var configuration))
            {
#if RKV_FAULT_INJECTION
                _history.Add(slot, configuration, _config.Faults.ConfigurationAtOnce);
#else
                _history.Add(slot, configuration);
#endif
                if (_proposedConfigs.Remove(slot))
                {
                    _proposedConfigsVersion++;
                }
                foreach (var member in configuration.Members)
                {
                    BitIndexOf(member.Id);
                }
            }
        }

        _configsScannedThrough = Math.Max(_configsScannedThrough, _decidedIndex);

        // Kept back to the log's first slot, not the decided one: the host may snapshot any applied slot the log still
        // holds (MembershipAt), and configurations are few.
        _history.ForgetBefore(_log.FirstSlot);
    }

    /// <summary>The configurations whose quorums must all agree for this leader's work to stand: those governing its undecided slots.</summary>
    private List<Configuration> LeaderHorizon()
    {
        RefreshLeaderHorizon();
        return _leaderHorizon;
    }

    /// <summary>Every member of <see cref="LeaderHorizon"/>, voting or not, in id order, this replica included.</summary>
    private List<int> LeaderHorizonMembers()
    {
        RefreshLeaderHorizon();
        return _leaderHorizonMembers;
    }

    // The leader asks for its horizon on every accept, decision and heartbeat, and it changes only when a configuration
    // is decided, proposed or forgotten, or the decided index passes where one takes effect: rebuilt then, into new
    // lists, so a caller still walking the old ones is not disturbed (a hot path must not allocate per slot).
    private void RefreshLeaderHorizon()
    {
        var key = (_history, _history.Version, _proposedConfigsVersion, _history.EntryFor(_decidedIndex + 1).Slot);
        if (key == _leaderHorizonKey)
        {
            return;
        }

        var configurations = new List<Configuration>();
        foreach (var entry in _history.From(_decidedIndex + 1))
        {
            configurations.Add(entry.Configuration);
        }

        configurations.AddRange(_proposedConfigs.Values);
        _leaderHorizon = configurations;
        _leaderHorizonMembers = MembersOf(configurations);
        _leaderHorizonKey = key;
    }

    /// <summary>The decided configurations governing slots from the next undecided one on: what a candidate must win.</summary>
    private List<Configuration> KnownHorizon() => [.. _history.From(_decidedIndex + 1).Select(e => e.Configuration)];

    /// <summary>True when the members in <paramref name="mask"/> include a majority of the voters of every configuration.</summary>
    private bool IsQuorumOfEach(List<Configuration> configurations, ulong mask)
    {
        foreach (var configuration in configurations)
        {
            if (!IsQuorumOf(configuration, mask))
            {
                return false;
            }
        }

        return true;
    }

    private bool IsQuorumOf(Configuration configuration, ulong mask)
    {
        var count = 0;
#if RKV_FAULT_INJECTION
        foreach (var voter in _config.Faults.NonVoterCounts ? configuration.Members.Select(m => m.Id) : configuration.Voters)
        {
            if ((mask & Bit(voter)) != 0)
            {
                count++;
            }
        }
#else
        // Indexed, not foreach: an interface enumerator would be allocated for every decided slot.
        var voters = configuration.Voters;
        for (var i = 0; i < voters.Count; i++)
        {
            if ((mask & Bit(voters[i])) != 0)
            {
                count++;
            }
        }
#endif

        return count >= configuration.Majority;
    }

    /// <summary>Every member of the configurations, voting or not, in id order, once each (this replica included).</summary>
    private static List<int> MembersOf(List<Configuration> configurations)
    {
        var ids = new SortedSet<int>();
        foreach (var configuration in configurations)
        {
            foreach (var member in configuration.Members)
            {
                ids.Add(member.Id);
            }
        }

        return [.. ids];
    }

    /// <summary>
    /// The mask bit of a node id. Ids get positions as they appear; past 64 distinct ids in one run a newcomer gets
    /// no bit (0) and so counts in no quorum: a liveness limit, never a safety one. A restart renumbers.
    /// </summary>
    private ulong Bit(int nodeId) => BitIndexOf(nodeId) is int index ? 1UL << index : 0;

    private int? BitIndexOf(int nodeId)
    {
        if (_bitIndex.TryGetValue(nodeId, out var index))
        {
            return index;
        }

        if (_bitIndex.Count >= 64)
        {
            return null;
        }

        index = _bitIndex.Count;
        _bitIndex[nodeId] = index;
        return index;
    }

    /// <summary>The leader proposed a configuration in <paramref name="slot"/>: it fills the slots up to where it governs, so it takes effect without client traffic.</summary>
    private void NoteProposedConfiguration(long slot, SlotValue value)
    {
        if (Configuration.TryFrom(value, out var configuration))
        {
            _proposedConfigs[slot] = configuration;
            _proposedConfigsVersion++;
            _owedFenceSlot = Math.Max(_owedFenceSlot, slot + configuration.Delay - 1);
        }
    }

    /// <summary>A leader that is no voter of the configuration governing its next slot has finished its part: it steps down.</summary>
    private void StepDownIfRemoved()
    {
        if (_role == Role.Leader && !GoverningConfiguration.Configuration.IsVoter(NodeId))
        {
            // Tell the remaining members what it decided first: they must learn that the new configuration governs,
            // or their next candidate would still need the old configuration's quorum, this node included.
            AnnounceDecided();

            // And hand over at once, as a transfer would: the voter known to have decided the most campaigns now
            // instead of after an election timeout. Liveness only: its candidacy runs phase 1 like any other.
            var successor = MostUpToDateVoter();
            var ballot = _ballot;
            StepDown(null);
            if (successor is int target)
            {
                Send(new TimeoutNow(NodeId, target, ballot));
            }
        }
    }

    /// <summary>The governing configuration's voter (not this node) that reported the highest decided index; null if none reported.</summary>
    private int? MostUpToDateVoter()
    {
        int? best = null;
        var bestDecided = -1L;
        foreach (var voter in GoverningConfiguration.Configuration.Voters)
        {
            if (voter != NodeId && _peerDecided.TryGetValue(voter, out var decided) && decided > bestDecided)
            {
                best = voter;
                bestDecided = decided;
            }
        }

        return best;
    }

    /// <summary>The leader's proposal bookkeeping, for a simulator's failure report.</summary>
    internal string DescribeProposer() =>
        $"next {_nextSlot}, recovery end {_recoveryEnd}, in flight [{string.Join(",", _inFlight.OrderBy(p => p.Key).Select(p => $"{p.Key}:{p.Value.AckMask:x}@{p.Value.SentAt}"))}], now {_now}, bits [{string.Join(",", _bitIndex.Select(p => $"{p.Key}={p.Value}"))}], queued {_queue.Count}, owed {_owedFenceSlot}, " +
        $"proposed configs [{string.Join(",", _proposedConfigs.Keys)}], queued config {_queuedConfig is not null}, promised {_promised}, ballot {_ballot}";
}
