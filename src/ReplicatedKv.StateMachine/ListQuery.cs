namespace ReplicatedKv.StateMachine;

/// <summary>
/// Which keys a listing page covers, in UTF-8 byte order: those starting with <see cref="Prefix"/> and inside
/// [<see cref="Start"/>, <see cref="End"/>), after <see cref="After"/>, at most <see cref="Limit"/> of them.
/// </summary>
public sealed record ListQuery
{
    /// <summary>Keys must start with this; empty for any key.</summary>
    public string Prefix { get; init; } = string.Empty;

    /// <summary>Inclusive lower bound; empty for no bound.</summary>
    public string Start { get; init; } = string.Empty;

    /// <summary>Exclusive upper bound; null for no bound. A range whose end is not after its start is empty.</summary>
    public string? End { get; init; }

    /// <summary>Continue after this key (the last key of the previous page), exclusive; null for the first page.</summary>
    public string? After { get; init; }

    /// <summary>Most keys in the page, at least 1.</summary>
    public int Limit { get; init; } = 1000;

    /// <summary>
    /// The page stops early, with more to come, once its values add up to this many bytes (it always holds at
    /// least one key), so a page of large values still fits a response message.
    /// </summary>
    public long MaxValueBytes { get; init; } = long.MaxValue;

    /// <summary>Leave values out of the page.</summary>
    public bool KeysOnly { get; init; }
}
