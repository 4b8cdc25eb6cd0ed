namespace ReplicatedKv.Testing.Checking;

internal enum SearchVerdict
{
    Linearizable,
    NotLinearizable,
    TimedOut,
}

/// <summary>The deepest point the search reached on a key that is not linearizable, in model operation indices.</summary>
/// <param name="Prefix">The longest linearizable prefix found, in linearization order.</param>
/// <param name="State">The model state after it.</param>
/// <param name="Stuck">The required operation that had to come next (earliest return) and could not.</param>
/// <param name="Concurrent">Other operations that were candidates there.</param>
/// <param name="RequiredLinearized">How many required operations the prefix holds.</param>
internal sealed record SearchFailure(IReadOnlyList<int> Prefix, KeyState State, int Stuck, IReadOnlyList<int> Concurrent, int RequiredLinearized);
