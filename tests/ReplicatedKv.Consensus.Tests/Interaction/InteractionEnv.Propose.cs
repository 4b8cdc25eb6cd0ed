using System.Text;

namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>propose ID cmd1 [cmd2 ...]</c>: offers the commands to the node in one call, as a host would with
    /// a batch of client requests. Prints the outcome; a refusal names the leader the client should try.
    /// </summary>
    private void Propose(DataDrivenCommand command)
    {
        command.Expect(2, int.MaxValue);
        var replica = Node(command.PositionalInt(0)).RunningReplica;
        var commands = command.Positional.Skip(1).Select(text => (ReadOnlyMemory<byte>)Encoding.ASCII.GetBytes(text)).ToArray();
        WriteOutcome(replica, replica.Propose(commands));
    }

    private void WriteOutcome(PaxosReplica replica, RequestOutcome outcome) =>
        Write(outcome == RequestOutcome.NotLeader ? $"{outcome} leader={Describe.Leader(replica.LeaderId)}" : outcome.ToString());
}
