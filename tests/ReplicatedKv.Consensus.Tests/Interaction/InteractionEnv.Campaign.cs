namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>campaign ID</c>: the node starts an election now (pre-vote first) instead of waiting for its timeout. The
    /// node core has no such input (a server only campaigns on its timer), so the test reaches its replica directly.
    /// </summary>
    private void Campaign(DataDrivenCommand command)
    {
        command.Expect(1, 1);
        Node(command.PositionalInt(0)).RunningCore.Replica.Campaign();
    }
}
