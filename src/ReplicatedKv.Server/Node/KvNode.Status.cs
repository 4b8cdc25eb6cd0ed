using ReplicatedKv.Consensus;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Node;

// The node's own report (Cluster.Status), built on the loop so every number in it is from the same moment.
public sealed partial class KvNode
{
    private static readonly string Version =
        typeof(KvNode).Assembly.GetName().Version?.ToString() ?? "unknown";

    // Hashing the table is a pass over every key: it runs off the loop, on a copy taken here.
    private void ReplyStatus(StatusInput input)
    {
        var status = BuildStatus();
        if (!input.IncludeStateHash)
        {
            input.Reply.TrySetResult(status);
            return;
        }

        var view = _stateMachine.CreateSnapshotView();
        _ = Task.Run(() =>
        {
            status.StateHash = view.ComputeStateHash();
            input.Reply.TrySetResult(status);
        });
    }

    private StatusResponse BuildStatus()
    {
        var leader = _replica.LeaderId;
        var status = new StatusResponse
        {
            NodeId = _members.SelfName,
            ClusterId = _members.ClusterId,
            ClientUrl = _settings.AdvertiseClientUrl,
            Role = _replica.Role switch
            {
                Role.Leader => NodeRole.Leader,
                Role.Candidate => NodeRole.Candidate,
                _ => NodeRole.Follower,
            },
            LeaderId = leader is int l ? _members.NameOf(l) : "",
            LeaderClientUrl = _view.LeaderClientUrl ?? "",
            Ballot = _replica.SoftState.Ballot.ToString(),
            FirstSlot = _replica.FirstSlot,
            DecidedSlot = _replica.DecidedIndex,
            AppliedSlot = _stateMachine.AppliedSlot,
            Revision = _stateMachine.Revision,
            KeyCount = _stateMachine.Count,
            Voting = VotingState,
            Version = Version,
        };

        var decidedByPeer = _replica.PeerDecidedIndexes;
        var isLeader = _replica.Role == Role.Leader;
        foreach (var id in _members.Ids)
        {
            if (id == _members.SelfId)
            {
                continue;
            }

            var peerDecided = isLeader && decidedByPeer.Count >= id ? decidedByPeer[id - 1] : -1;
            status.Peers.Add(new PeerStatus
            {
                NodeId = _members.NameOf(id),
                PeerUrl = _members.PeerUrlOf(id).ToString().TrimEnd('/'),
                ClientUrl = _members.ClientUrlOf(id) ?? "",
                Reachable = _links[id].Reachable,
                DecidedSlot = peerDecided,
                Lag = peerDecided >= 0 ? Math.Max(0, _replica.DecidedIndex - peerDecided) : -1,
                LastHeardMs = _lastHeard[id] == long.MinValue ? -1 : (long)((_ticks - _lastHeard[id]) * _settings.TickInterval.TotalMilliseconds),
            });
        }

        return status;
    }
}
