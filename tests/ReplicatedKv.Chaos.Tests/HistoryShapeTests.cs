using ReplicatedKv.Chaos.History;

namespace ReplicatedKv.Chaos.Tests;

public sealed class HistoryShapeTests
{
    [Fact]
    public void An_unknown_outcome_has_no_completion_time()
    {
        var op = new Operation(1, 0, "k", OperationKind.Set, "v1", null, 10, null, OperationOutcome.Unknown);
        op.CompleteNanos.Should().BeNull();
    }
}
