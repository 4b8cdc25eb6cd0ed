namespace ReplicatedKv.Consensus.Tests.Interaction;

internal sealed partial class InteractionEnv
{
    // A cluster that keeps talking for this long without ticks is looping, not converging.
    private const int MaxStabilizeRounds = 1000;

    /// <summary>
    /// <c>stabilize [ID...]</c>: alternates process-ready on every node that has one and delivery of every
    /// queued message until nothing is left to do. With ids, only those nodes take part. No ticks happen, so
    /// it settles everything already set in motion and starts nothing new.
    /// </summary>
    private void Stabilize(DataDrivenCommand command)
    {
        command.Expect(0, int.MaxValue);
        var ids = command.PositionalInts();
        var nodes = NodesOrAll(ids).ToArray();
        var members = nodes.Select(n => n.Id).ToHashSet();
        for (var round = 0; round < MaxStabilizeRounds; round++)
        {
            var busy = false;
            foreach (var node in nodes.Where(n => n.Core is { HasReady: true }))
            {
                ProcessReadyOf(node);
                busy = true;
            }

            busy |= DeliverTo(members.Contains, []);
            if (!busy)
            {
                return;
            }
        }

        throw new InvalidOperationException($"stabilize did not settle within {MaxStabilizeRounds} rounds");
    }
}
