namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    // Single links cut in both directions, each stored as (lower id, higher id).
    private readonly HashSet<(int, int)> _cutLinks = [];

    /// <summary>
    /// <c>isolate ID</c>: cuts the node off. Messages to or from it are dropped when delivered, including
    /// any already queued, so everything sent across the cut is lost rather than merely delayed.
    /// </summary>
    private void Isolate(DataDrivenCommand command)
    {
        command.Expect(1, 1);
        _isolated.Add(Node(command.PositionalInt(0)).Id);
    }

    /// <summary>
    /// <c>cut A B</c>: cuts the single link between two nodes, both directions, while every other link stays up
    /// (partial connectivity). Like <c>isolate</c>, messages already queued across it are dropped when delivered.
    /// </summary>
    private void Cut(DataDrivenCommand command)
    {
        command.Expect(2, 2);
        var a = Node(command.PositionalInt(0)).Id;
        var b = Node(command.PositionalInt(1)).Id;
        if (a == b)
        {
            throw new FormatException("cut needs two different nodes");
        }

        _cutLinks.Add((Math.Min(a, b), Math.Max(a, b)));
    }

    /// <summary><c>heal [ID...]</c>: reconnects the given isolated nodes, keeping cut links; without ids, reconnects everything.</summary>
    private void Heal(DataDrivenCommand command)
    {
        command.Expect(0, int.MaxValue);
        var ids = command.PositionalInts();
        if (ids.Count > 0)
        {
            _isolated.ExceptWith(ids);
            return;
        }

        _isolated.Clear();
        _cutLinks.Clear();
    }

    private bool IsCut(int from, int to) => _cutLinks.Contains((Math.Min(from, to), Math.Max(from, to)));
}
