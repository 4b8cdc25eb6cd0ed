namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>status [ID...]</c>: one line per node with what the replica itself reports: role, leader, promised
    /// ballot, decided index, the last slot handed out for applying, and the slots its log still holds; for a
    /// replica that does not vote, its rejoin state too.
    /// </summary>
    private void Status(DataDrivenCommand command)
    {
        command.Expect(0, int.MaxValue);
        foreach (var node in NodesOrAll(command.PositionalInts()))
        {
            if (node.Core?.Replica is not { } r)
            {
                Write($"{node.Id}: down");
                continue;
            }

            Write($"{node.Id}: {r.Role} leader={Describe.Leader(r.LeaderId)} promised={r.Promised} decided={r.DecidedIndex} " +
                  $"handed-out={r.HandedOutIndex} first={r.FirstSlot} last={r.LastSlot}{(r.IsVoter ? string.Empty : $" {r.RejoinState}")}");
        }
    }
}
