namespace ReplicatedKv.StateMachine;

/// <summary>Reads that return whole entries: one key with all its numbers, and listing pages.</summary>
public sealed partial class KeyValueStateMachine
{
    /// <summary>A state machine without the sorted key index, so benchmarks can measure what the index costs. It cannot list.</summary>
    internal static KeyValueStateMachine WithoutSortedIndex(StateMachineOptions? options = null) =>
        new(options) { _listing = null };

    /// <summary>The key with its value, modification revision, create revision and version.</summary>
    public bool TryGetEntry(string key, out KeyValueEntry entry)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_entries.TryGetValue(key, out var stored))
        {
            entry = new KeyValueEntry(key, stored.Value, stored.Version, stored.CreateRevision, stored.KeyVersion);
            return true;
        }

        entry = default;
        return false;
    }

    /// <summary>
    /// One page of keys in UTF-8 byte order, as of now (the applied slot and revision are in the page). Costs a
    /// seek in the sorted keys plus one hash lookup per key returned, after sorting in the keys created since the
    /// last listing (see <see cref="ListingIndex"/>).
    /// </summary>
    public ListPage List(ListQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query));
        var index = (_listing ?? throw new InvalidOperationException("this state machine keeps no sorted index")).Current();
        var lower = Later(query.Prefix, query.Start);
        var after = query.After;
        if (after is not null)
        {
            lower = Later(lower, after);
        }

        var entries = new List<KeyValueEntry>(Math.Min(query.Limit, Math.Max(index.Count, 1)));
        long valueBytes = 0;
        var hasMore = false;
        var keys = index.From(lower);
        while (keys.MoveNext())
        {
            var key = keys.Current;
            if (after is not null && Utf8KeyOrder.Compare(key, after) <= 0)
            {
                continue;
            }

            if (!key.StartsWith(query.Prefix, StringComparison.Ordinal) || (query.End is { } end && Utf8KeyOrder.Compare(key, end) >= 0))
            {
                break;
            }

            if (entries.Count == query.Limit || (entries.Count > 0 && valueBytes >= query.MaxValueBytes))
            {
                hasMore = true;
                break;
            }

            var stored = _entries[key];
            var value = query.KeysOnly ? ReadOnlyMemory<byte>.Empty : stored.Value;
            valueBytes += value.Length;
            entries.Add(new KeyValueEntry(key, value, stored.Version, stored.CreateRevision, stored.KeyVersion));
        }

        return new ListPage(entries, hasMore, Revision, AppliedSlot);
    }

    private static string Later(string x, string y) => Utf8KeyOrder.Compare(x, y) >= 0 ? x : y;
}
