using ReplicatedKv.Consensus;
using ReplicatedKv.NodeCore;
using ReplicatedKv.Protos.V1;
using ReplicatedKv.Transport;

namespace ReplicatedKv.Server.Node;

// Membership on the host: the member view (ClusterMembers) follows the configurations the core decides; operators'
// changes (Cluster.AddMember/PromoteMember/RemoveMember) go to the core on the loop; the leader promotes members added
// for promotion once caught up, and hands leadership over when its own removal is decided. DESIGN.md, "Membership".
public sealed partial class KvNode
{
    // Names and URLs of members whose configuration payload is empty (the bootstrap configuration), by id.
    private IReadOnlyDictionary<int, MemberInfo> _directory = new Dictionary<int, MemberInfo>();
    private ConfigurationEntry? _syncedLatest;
    private ConfigurationEntry? _syncedGoverning;
    private int _highestIdSeen;
    private long _autoPromoteCheckedAt = -1_000_000;
    private bool _autoPromotionInFlight;
    private bool _handingOverAfterRemoval;

    // Set on the loop when the latest decided configuration no longer lists this node; read by RefusalFor anywhere.
    private volatile string? _removedReason;

    /// <summary>Makes the member view the members of the governing and the latest configuration; on the loop.</summary>
    private void SyncMembers()
    {
        var latest = _core.LatestConfiguration;
        var governing = _core.GoverningConfiguration;
        if (ReferenceEquals(latest, _syncedLatest) && ReferenceEquals(governing, _syncedGoverning))
        {
            return;
        }

        _syncedLatest = latest;
        _syncedGoverning = governing;
        var byId = new Dictionary<int, MemberInfo>();
        foreach (var member in governing.Configuration.Members.Concat(latest.Configuration.Members))
        {
            _highestIdSeen = Math.Max(_highestIdSeen, member.Id);
            if (Describe(member, latest.Configuration) is { } info)
            {
                byId[member.Id] = info;
            }
        }

        RecordHighestId();

        // One name, one member: a name reused under a new id keeps the newest (the latest configuration's).
        var members = byId.Values.GroupBy(m => m.Name).Select(g => g.OrderByDescending(m => latest.Configuration.Contains(m.Id)).ThenByDescending(m => m.Id).First());
        if (_members.Update(members))
        {
            LogMembersChanged(_logger, latest.ToString(), string.Join(", ", _members.Members.Select(m => $"{m.Name}={m.Id}{(m.IsVoter ? "" : " (learner)")}")));
            TrackPeerMetrics();
        }

        NoteOwnMembership(latest);
    }

    /// <summary>A member's name and URLs: from its payload, else from the member directory; null if neither knows it.</summary>
    private MemberInfo? Describe(Member member, Configuration latest)
    {
        var voter = latest.Contains(member.Id) ? latest.IsVoter(member.Id) : member.IsVoter;
        if (MemberPayload.Decode(member.Payload) is { } decoded)
        {
            return new MemberInfo(member.Id, decoded.Name, decoded.PeerUrl, decoded.ClientUrl, voter);
        }

        return _directory.TryGetValue(member.Id, out var known) ? known with { IsVoter = voter } : null;
    }

    private void TrackPeerMetrics() =>
        _metrics.TrackPeers(_members.Members
            .Where(m => m.Id != _members.SelfId)
            .Select(m => (m.Name, (Func<bool>)(() => _transport.IsReachable(m.Id))))
            .ToArray());

    /// <summary>A node the latest configuration no longer lists stops serving writes; a leader removed hands over.</summary>
    private void NoteOwnMembership(ConfigurationEntry latest)
    {
        var removed = !latest.Configuration.Contains(_members.SelfId);
        var reason = removed ? $"this node was removed from the cluster (configuration decided at slot {latest.Slot})" : null;
        if (reason != _removedReason)
        {
            _removedReason = reason;
            if (reason is not null)
            {
                LogRemoved(_logger, latest.Slot);
            }

            RefreshView();
        }

        if (removed && _core.Replica.Role == Role.Leader && !_handingOverAfterRemoval)
        {
            // The core steps down by itself once the new configuration governs; handing over now spares clients an election.
            _handingOverAfterRemoval = true;
            if (MostUpToDateVoter() is int target)
            {
                var refusal = _core.TransferLeadership(target);
                LogRemovedLeaderHandsOver(_logger, _members.NameOf(target), refusal ?? "started");
            }
        }
    }

    /// <summary>The id a new member gets: above every id this node has seen used, here or (recorded) before a restart or join.</summary>
    private int NextMemberId() =>
        1 + Math.Max(Math.Max(_highestIdSeen, _members.HighestId), Math.Max(_directory.Keys.DefaultIfEmpty(0).Max(), _members.Ids.DefaultIfEmpty(0).Max()));

    /// <summary>Keeps the highest id seen in the member view and, when it grew, in the member file for the next start.</summary>
    private void RecordHighestId()
    {
        if (_highestIdSeen <= _members.HighestId)
        {
            return;
        }

        _members.HighestId = _highestIdSeen;
        try
        {
            if (MemberDirectoryFile.Read(_settings.DataDir) is { } contents)
            {
                MemberDirectoryFile.Write(_settings.DataDir, contents with { HighestId = _highestIdSeen });
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // Only a hint for choosing ids: without it a restarted leader may pick a removed member's id, which is safe.
            LogHighestIdNotRecorded(_logger, ex.Message);
        }
    }

    /// <summary>Asks the core for a change, on the loop; the reply comes when it is applied here or refused.</summary>
    internal Task<MemberChangeOutcome> ChangeMembershipAsync(MemberChangeRequest request)
    {
        var call = new PendingMembershipChange(Interlocked.Increment(ref _nextCaller));
        _calls[call.Caller] = call;
        if (!_inputs.Writer.TryWrite(new MembershipChangeInput(call, request)))
        {
            _calls.TryRemove(call.Caller, out _);
            call.Fail(new ObjectDisposedException(nameof(KvNode), "the node is shutting down"));
        }

        return call.Result.Task;
    }

    private void StartMembershipChange(MembershipChangeInput input)
    {
        var call = input.Call;
        if (!_calls.ContainsKey(call.Caller))
        {
            return;
        }

        var replica = _core.Replica;
        if (replica.Role != Role.Leader)
        {
            var leader = replica.LeaderId is int l && l != _members.SelfId
                ? $"{_members.NameOf(l)} leads{(_members.ClientUrlOf(l) is { } url ? $" at {url}" : "")}"
                : "no leader is known";
            Refuse(call, MemberChangeOutcome.Refused(Grpc.Core.StatusCode.FailedPrecondition, $"this node is not the leader ({leader}): send the change to the leader"));
            return;
        }

        var request = input.Request;
        MembershipChange change;
        switch (request.Kind)
        {
            case MembershipChangeKind.AddNonVoter:
                if (_members.TryGetId(request.Name, out var existing))
                {
                    Refuse(call, MemberChangeOutcome.Refused(Grpc.Core.StatusCode.AlreadyExists, $"{request.Name} is already a member (id {existing})"));
                    return;
                }

                var id = NextMemberId();
                change = MembershipChange.AddNonVoter(id, MemberPayload.Encode(request.Name, request.PeerUrl!, request.ClientUrl, autoPromote: !request.Learner));
                _highestIdSeen = Math.Max(_highestIdSeen, id);
                break;
            default:
                if (!_members.TryGetId(request.Name, out var member) || !_core.LatestConfiguration.Configuration.Contains(member))
                {
                    Refuse(call, MemberChangeOutcome.Refused(Grpc.Core.StatusCode.NotFound, $"{request.Name} is not a member ({string.Join(", ", _members.Members.Select(m => m.Name))})"));
                    return;
                }

                change = request.Kind == MembershipChangeKind.Promote ? MembershipChange.Promote(member) : MembershipChange.Remove(member);
                call.Subject = (member, request.Name);
                break;
        }

        call.OnApplied = () => DescribeLatest();
        _core.SubmitMembershipChange(call.Caller, change);
    }

    private void Refuse(PendingMembershipChange call, MemberChangeOutcome outcome)
    {
        if (_calls.TryRemove(call.Caller, out _))
        {
            call.Result.TrySetResult(outcome);
        }
    }

    /// <summary>The latest configuration as the proto reports it; on the loop.</summary>
    private MemberChangeResponse DescribeLatest()
    {
        var latest = _core.LatestConfiguration;
        var response = new MemberChangeResponse { ConfigurationSlot = latest.Slot, ConfigurationEffectiveSlot = latest.EffectiveSlot };
        foreach (var member in latest.Configuration.Members)
        {
            var info = Describe(member, latest.Configuration);
            response.Members.Add(new ConfigurationMember
            {
                NodeId = info?.Name ?? $"#{member.Id}",
                PeerUrl = info is null ? "" : MemberPayload.Trim(info.PeerUrl),
                ClientUrl = info?.ClientUrl ?? "",
                Role = member.IsVoter ? MemberRole.Voter : MemberRole.Learner,
            });
        }

        return response;
    }

    /// <summary>
    /// On the leader, a few times per election timeout: promotes the first learner that was added for promotion
    /// (its payload says so) once its lag is within max-promotion-lag, one change at a time.
    /// </summary>
    private void MaybeAutoPromote()
    {
        var replica = _core.Replica;
        if (replica.Role != Role.Leader || _autoPromotionInFlight || _core.Ticks - _autoPromoteCheckedAt < _settings.HeartbeatTicks || replica.MembershipChangePending)
        {
            return;
        }

        _autoPromoteCheckedAt = _core.Ticks;
        foreach (var member in _core.LatestConfiguration.Configuration.Members)
        {
            if (member.IsVoter || MemberPayload.Decode(member.Payload) is not { AutoPromote: true } decoded)
            {
                continue;
            }

            var decided = replica.PeerDecidedIndex(member.Id);
            if (decided < 0 || replica.DecidedIndex - decided > _settings.MaxPromotionLag)
            {
                continue;
            }

            var call = new PendingMembershipChange(Interlocked.Increment(ref _nextCaller));
            call.OnApplied = () => DescribeLatest();
            _calls[call.Caller] = call;
            _autoPromotionInFlight = true;
            var name = decoded.Name;
            _ = call.Result.Task.ContinueWith(t =>
            {
                _autoPromotionInFlight = false;
                LogAutoPromotion(_logger, name, t.IsCompletedSuccessfully && t.Result.Error is null ? "promoted to voter" : t.IsCompletedSuccessfully ? t.Result.Error! : t.Exception!.GetBaseException().Message);
            }, TaskScheduler.Default);
            _core.SubmitMembershipChange(call.Caller, MembershipChange.Promote(member.Id));
            return;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record the highest member id in the member file: {Reason}")]
    private static partial void LogHighestIdNotRecorded(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Configuration now {Configuration}; members: {Members}")]
    private static partial void LogMembersChanged(ILogger logger, string configuration, string members);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This node was removed from the cluster (configuration decided at slot {Slot}): it serves no more writes; stop it once the remaining members report the change in force")]
    private static partial void LogRemoved(ILogger logger, long slot);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed as leader: handing leadership to {Target} ({Outcome})")]
    private static partial void LogRemovedLeaderHandsOver(ILogger logger, string target, string outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Automatic promotion of {Member}: {Outcome}")]
    private static partial void LogAutoPromotion(ILogger logger, string member, string outcome);
}

/// <summary>An operator's membership change: who, and for an addition, where it is and whether it stays a learner.</summary>
internal sealed record MemberChangeRequest(MembershipChangeKind Kind, string Name, Uri? PeerUrl = null, string? ClientUrl = null, bool Learner = false);

/// <summary>How a change ended: applied (the new configuration), or refused with the gRPC status the proto names.</summary>
internal sealed record MemberChangeOutcome(MemberChangeResponse? Response, Grpc.Core.StatusCode Code, string? Error)
{
    public static MemberChangeOutcome Refused(Grpc.Core.StatusCode code, string error) => new(null, code, error);
}

internal sealed record MembershipChangeInput(PendingMembershipChange Call, MemberChangeRequest Request) : NodeInput;

/// <summary>A membership change waiting for the core's answer. Completed on the loop, so the configuration it reports is that moment's.</summary>
internal sealed class PendingMembershipChange(long caller) : PendingCall(caller)
{
    public TaskCompletionSource<MemberChangeOutcome> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Describes the configuration once applied; set on the loop before the change is submitted.</summary>
    public Func<MemberChangeResponse>? OnApplied { get; set; }

    /// <summary>The member the change is about, by number and name, to name it in a refusal.</summary>
    public (int Id, string Name)? Subject { get; set; }

    public override Task Completion => Result.Task;

    public override void Complete(in Answer answer)
    {
        if (answer.Kind == AnswerKind.MembershipChanged)
        {
            Result.TrySetResult(new MemberChangeOutcome(OnApplied?.Invoke() ?? new MemberChangeResponse(), Grpc.Core.StatusCode.OK, null));
        }
        else
        {
            // The core names members by number; the operator knows them by name.
            var reason = answer.Reason ?? "refused";
            if (Subject is var (id, name))
            {
                reason = reason.Replace($"node {id} ", $"{name} ", StringComparison.Ordinal);
            }

            Result.TrySetResult(MemberChangeOutcome.Refused(Grpc.Core.StatusCode.FailedPrecondition, reason));
        }
    }

    public override void Fail(Exception reason) => Result.TrySetException(reason);
}
