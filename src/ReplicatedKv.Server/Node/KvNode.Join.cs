using ReplicatedKv.Consensus;
using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Node;

// Whether this node votes. A node whose data directory was lost rejoins as a learner and votes again only when
// that is safe; the rule and its proof are in the consensus core (PaxosReplica.Join.cs).
public sealed partial class KvNode
{
    private bool IsVoter => _replica.IsVoter;

    private VotingState VotingState => _replica.RejoinState switch
    {
        RejoinState.Learner => VotingState.Learner,
        RejoinState.Probing => VotingState.Probing,
        _ => VotingState.Voter,
    };
}
