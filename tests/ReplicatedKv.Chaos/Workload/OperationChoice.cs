using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos.Workload;

/// <summary>What one client call will be: a get, or a (compare-and-)set or remove.</summary>
internal readonly record struct OperationChoice(OperationKind Kind, bool CompareAndSet)
{
    /// <summary>40 % gets, 25 % sets, 15 % compare-and-sets, 10 % removes, 10 % compare-and-removes.</summary>
    public static OperationChoice Pick(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return random.NextDouble() switch
        {
            < 0.40 => new(OperationKind.Get, false),
            < 0.65 => new(OperationKind.Set, false),
            < 0.80 => new(OperationKind.Set, true),
            < 0.90 => new(OperationKind.Remove, false),
            _ => new(OperationKind.Remove, true),
        };
    }
}
