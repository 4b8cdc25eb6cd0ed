using ReplicatedKv.Protos.V1;

namespace ReplicatedKv.Client;

/// <summary>Which keys to list: by <see cref="Prefix"/>, or by range [<see cref="Start"/>, <see cref="End"/>), in UTF-8 byte order.</summary>
public sealed record KvListOptions
{
    /// <summary>Keys starting with this; empty for no prefix condition. Cannot be combined with a range.</summary>
    public string Prefix { get; init; } = string.Empty;

    /// <summary>Inclusive lower bound; empty for the first key.</summary>
    public string Start { get; init; } = string.Empty;

    /// <summary>Exclusive upper bound; empty for no bound.</summary>
    public string End { get; init; } = string.Empty;

    /// <summary>Keys per page, 1 to 10,000; 0 lets the server choose (1,000).</summary>
    public int PageSize { get; init; }

    /// <summary>Leave values out.</summary>
    public bool KeysOnly { get; init; }

    /// <summary>Linearizable (the default) sees every write acknowledged before the page was asked for.</summary>
    public ReadConsistency Consistency { get; init; } = ReadConsistency.Linearizable;
}

/// <summary>One listed key with its value (empty when keys only) and numbers, as <see cref="KvValue"/> has them.</summary>
public readonly record struct KvEntry(string Key, ReadOnlyMemory<byte> Value, ulong Revision, ulong CreateRevision, ulong Version);

/// <summary>One page of a listing.</summary>
/// <param name="Entries">Keys in UTF-8 byte order.</param>
/// <param name="ContinuationToken">Pass to the next <see cref="KvClient.ListAsync"/> call; null when this was the last page.</param>
/// <param name="Revision">The cluster revision the page reflects (each page is a consistent view at one revision).</param>
public sealed record KvListPage(IReadOnlyList<KvEntry> Entries, string? ContinuationToken, ulong Revision);
