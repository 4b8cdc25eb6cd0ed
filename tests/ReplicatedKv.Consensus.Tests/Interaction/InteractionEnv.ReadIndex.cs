namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>read-index ID REQID</c>: asks the node for a linearizable read point. The answer arrives later as a
    /// ReadState in a Ready; a follower refuses at once with NotLeader.
    /// </summary>
    private void ReadIndex(DataDrivenCommand command)
    {
        command.Expect(2, 2);
        var replica = Node(command.PositionalInt(0)).RunningReplica;
        WriteOutcome(replica, replica.ReadIndex(command.PositionalInt(1)));
    }
}
