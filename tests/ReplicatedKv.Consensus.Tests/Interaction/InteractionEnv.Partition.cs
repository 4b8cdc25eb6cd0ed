namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    /// <summary>
    /// <c>isolate ID</c>: cuts the node off. Messages to or from it are dropped when delivered, including
    /// any already queued, so everything sent across the cut is lost rather than merely delayed.
    /// </summary>
    private void Isolate(DataDrivenCommand command)
    {
        command.Expect(1, 1);
        _isolated.Add(Node(command.PositionalInt(0)).Id);
    }

    /// <summary><c>heal</c>: reconnects every isolated node.</summary>
    private void Heal(DataDrivenCommand command)
    {
        command.Expect(0, 0);
        _isolated.Clear();
    }
}
