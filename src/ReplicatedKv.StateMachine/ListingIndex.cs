namespace ReplicatedKv.StateMachine;

/// <summary>
/// The ordered view of the table's keys that listing needs, brought up to date only when a listing asks.
/// </summary>
/// <remarks>
/// Measured (ApplyAndListBenchmark): inserting every new key into a sorted structure as it is applied costs about
/// a microsecond per key at a million keys, more than the whole rest of applying a set, so sets of new keys ran
/// at a third of their speed. Here a new key costs an append to <see cref="_pending"/>; the next listing sorts the
/// pending keys and inserts them (or rebuilds when they are many). A removal takes the key out of the sorted
/// keys at once, so the sorted keys never hold a removed key and a page never skips dead ones; a pending key that
/// was removed again is dropped when merged. Derived state only: it is not in snapshots or the state hash.
/// </remarks>
internal sealed class ListingIndex(Dictionary<string, VersionedValue> entries, SortedKeyIndex sorted)
{
    /// <summary>Pending keys kept before they are filtered for removed and repeated ones, when nobody lists.</summary>
    private const int MinimumCompactionPoint = 1 << 16;

    private readonly List<string> _pending = [];
    private SortedKeyIndex _sorted = sorted;
    private int _compactionPoint = MinimumCompactionPoint;

    /// <summary>New keys not yet in the sorted keys.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>A key the table just created.</summary>
    public void Added(string key)
    {
        _pending.Add(key);
        if (_pending.Count >= _compactionPoint)
        {
            Compact();
        }
    }

    /// <summary>A key the table just removed.</summary>
    public void Removed(string key) => _sorted.Remove(key);

    /// <summary>The sorted keys, every key of the table and no other, after merging the pending ones.</summary>
    public SortedKeyIndex Current()
    {
        if (_pending.Count == 0)
        {
            return _sorted;
        }

        if (_pending.Count > _sorted.Count / 4)
        {
            _sorted = Rebuild(entries);
        }
        else
        {
            var live = _pending.Where(entries.ContainsKey).ToArray();
            Array.Sort(live, Utf8KeyOrder.Compare);
            foreach (var key in live)
            {
                _sorted.Add(key);
            }
        }

        _pending.Clear();
        _compactionPoint = MinimumCompactionPoint;
        return _sorted;
    }

    /// <summary>
    /// Nobody listed for a long time. Live pending keys number at most the keys not yet sorted; beyond twice that,
    /// at least half the pending ones are removed keys or repeats: drop them, so a workload that creates and
    /// removes keys without listing does not grow this forever. Each check or filtering pass costs no more than
    /// the appends since the last one.
    /// </summary>
    private void Compact()
    {
        if (_pending.Count > 2 * (entries.Count - _sorted.Count))
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            _pending.RemoveAll(k => !entries.ContainsKey(k) || !seen.Add(k));
        }

        _compactionPoint = Math.Max(MinimumCompactionPoint, 2 * _pending.Count);
    }

    /// <summary>The sorted keys built from scratch: a sort of all keys, then chunks filled in one pass.</summary>
    public static SortedKeyIndex Rebuild(Dictionary<string, VersionedValue> entries)
    {
        var keys = entries.Keys.ToArray();
        Array.Sort(keys, Utf8KeyOrder.Compare);
        return SortedKeyIndex.FromSorted(keys);
    }
}
