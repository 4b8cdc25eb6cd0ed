using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Server.Node;

// Whether this node votes. A node that lost its data directory rejoins as a learner (see the consensus core).
public sealed partial class KvNode
{
    private static bool IsVoter => true;

    private static VotingState VotingState => VotingState.Voter;
}
