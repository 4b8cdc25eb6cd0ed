namespace ReplicatedKv.Testing.History;

/// <summary>What a client asked for. A set or remove with an <see cref="Operation.IfVersion"/> is a compare-and-set.</summary>
public enum OperationKind
{
    /// <summary>A linearizable read.</summary>
    Get,
    Set,
    Remove,
}
