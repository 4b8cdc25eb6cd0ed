using ReplicatedKv.Consensus;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Node;

// The node's own report (Cluster.Status), built on the loop so every number in it is from the same moment.
public sealed partial class KvNode
{
    // Hashing the table is a pass over every key: it runs off the loop, on a copy taken here.
    private void ReplyStatus(StatusInput input)
    {
        var status = BuildStatus();
        if (!input.IncludeStateHash)
        {
            input.Reply.TrySetResult(status);
            return;
        }

        var view = _core.StateMachine.CreateSnapshotView();
        _ = Task.Run(() =>
        {
            status.StateHash = view.ComputeStateHash();
            input.Reply.TrySetResult(status);
        });
    }

    private StatusResponse BuildStatus()
    {
        var replica = _core.Replica;
        var stateMachine = _core.StateMachine;
        var leader = replica.LeaderId;
        var status = new StatusResponse
        {
            NodeId = _members.SelfName,
            ClusterId = _members.ClusterId,
            ClientUrl = _settings.AdvertiseClientUrl,
            Role = replica.Role switch
            {
                Role.Leader => NodeRole.Leader,
                Role.Candidate => NodeRole.Candidate,
                _ => NodeRole.Follower,
            },
            LeaderId = leader is int l ? _members.NameOf(l) : "",
            LeaderClientUrl = _view.LeaderClientUrl ?? "",
            Ballot = replica.SoftState.Ballot.ToString(),
            FirstSlot = replica.FirstSlot,
            DecidedSlot = replica.DecidedIndex,
            AppliedSlot = stateMachine.AppliedSlot,
            Revision = stateMachine.Revision,
            KeyCount = stateMachine.Count,
            Voting = replica.RejoinState switch
            {
                RejoinState.Learner => VotingState.Learner,
                RejoinState.Probing => VotingState.Probing,
                _ => VotingState.Voter,
            },
            Version = BuildVersion.Current,
            NotServingReason = _view.NotServingReason ?? "",
            StorageRefused = _storageRefusal is not null,
        };

        var governing = _core.GoverningConfiguration;
        var latest = _core.LatestConfiguration;
        status.ConfigurationSlot = governing.Slot;
        status.ConfigurationEffectiveSlot = governing.EffectiveSlot;
        // A node whose removal is decided is no member any more, even before the new configuration governs here.
        status.MemberRole = latest.Configuration.Contains(_members.SelfId) && RemovedReason is null ? RoleIn(governing.Configuration, _members.SelfId) : MemberRole.None;
        status.PendingConfigurationSlot = latest.Slot > governing.Slot ? latest.Slot : 0;
        status.PeerUrl = _members.PeerUrlOf(_members.SelfId).ToString().TrimEnd('/');

        var isLeader = replica.Role == Role.Leader;
        foreach (var id in _members.Ids)
        {
            if (id == _members.SelfId)
            {
                continue;
            }

            var peerDecided = isLeader ? replica.PeerDecidedIndex(id) : -1;
            status.Peers.Add(new PeerStatus
            {
                NodeId = _members.NameOf(id),
                PeerUrl = _members.PeerUrlOf(id).ToString().TrimEnd('/'),
                ClientUrl = _members.ClientUrlOf(id) ?? "",
                Reachable = _transport.IsReachable(id),
                DecidedSlot = peerDecided,
                Lag = peerDecided >= 0 ? Math.Max(0, replica.DecidedIndex - peerDecided) : -1,
                LastHeardMs = _core.TicksSinceHeard(id) is long ticks ? (long)(ticks * _settings.TickInterval.TotalMilliseconds) : -1,
                Version = _members.VersionOf(id) ?? "",
                MemberRole = RoleIn(governing.Configuration, id),
            });
        }

        return status;
    }

    private static MemberRole RoleIn(Configuration configuration, int id) =>
        configuration.IsVoter(id) ? MemberRole.Voter : configuration.Contains(id) ? MemberRole.Learner : MemberRole.None;
}
