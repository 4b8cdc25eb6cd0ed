namespace ReplicatedKv.Testing.Checking;

/// <summary>What an operation requires of the key and does to it, reduced to what the model needs.</summary>
internal enum ModelOperationKind
{
    /// <summary>A get that found the value of <see cref="ModelOperation.Write"/>.</summary>
    Read,

    /// <summary>A get that found nothing.</summary>
    ReadAbsent,

    /// <summary>A set: the key then holds <see cref="ModelOperation.Write"/>.</summary>
    Set,

    /// <summary>A remove that deleted something (or, for an unknown outcome, would have).</summary>
    Remove,

    /// <summary>A remove that found nothing to delete: no revision used.</summary>
    RemoveNothing,

    /// <summary>A compare-and-set whose guard did not hold; <see cref="ModelOperation.Version"/> is the version it reported.</summary>
    Mismatch,
}

/// <param name="Kind">What it does.</param>
/// <param name="Write">For a read or set: the write (index in the key's write table), or <see cref="KeyState.Unobserved"/>.</param>
/// <param name="Version">The version the history tells for it; 0 when unknown.</param>
/// <param name="Guard">For a compare-and-set that took effect: the version the key had to have (0 = absent).</param>
internal readonly record struct ModelOperation(ModelOperationKind Kind, int Write, ulong Version, ulong? Guard);
