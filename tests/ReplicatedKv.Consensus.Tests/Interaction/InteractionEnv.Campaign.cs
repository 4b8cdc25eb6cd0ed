namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary><c>campaign ID</c>: the node starts an election now (pre-vote first) instead of waiting for its timeout.</summary>
    private void Campaign(DataDrivenCommand command)
    {
        command.Expect(1, 1);
        Node(command.PositionalInt(0)).RunningReplica.Campaign();
    }
}
