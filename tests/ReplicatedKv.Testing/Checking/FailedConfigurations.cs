namespace ReplicatedKv.Testing.Checking;

/// <summary>
/// Configurations (operations linearized so far, model state) from which the search already failed. A new
/// configuration is hopeless when a failed one has the same required operations linearized, the same state, and a
/// subset of its optional (unknown-outcome) operations: the failed one had every choice this one has, and more.
/// </summary>
/// <remarks>
/// <para>
/// Porcupine caches every configuration it visits, with a copy of its bitset; only failed ones are kept here (a
/// configuration cannot be met again while it is still on the stack, as the linearized set only grows along it), so
/// a search that never turns back stores nothing. The set of required operations is kept as a 128-bit Zobrist
/// fingerprint rather than a bitset, so adding and finding cost the same for a key with fifty operations or fifty
/// thousand. Two different sets with one fingerprint would let one stand for the other; with random keys the chance
/// is about (entries × lookups) / 2^128, which is nothing next to the machine's own error rate.
/// </para>
/// <para>
/// Open hashing over flat arrays; a lookup allocates nothing. The optional set, usually a word or two, is kept in
/// full for the subset test. The cache only saves work, so past a memory bound it stops growing.
/// </para>
/// </remarks>
internal sealed class FailedConfigurations
{
    /// <summary>Entries beyond which the search goes on without remembering more failures.</summary>
    private const int MaxEntries = 1 << 24;

    private readonly int _optionalWords;
    private int[] _buckets = new int[256];
    private Entry[] _entries = new Entry[256];
    private ulong[] _optional;
    private int _count;

    public FailedConfigurations(int optionalWords)
    {
        _optionalWords = optionalWords;
        _optional = new ulong[_entries.Length * optionalWords];
    }

    public bool Dominates(UInt128 required, ReadOnlySpan<ulong> optional, in KeyState state)
    {
        var hash = Hash(required, state);
        for (var at = _buckets[hash & (_buckets.Length - 1)] - 1; at >= 0; at = _entries[at].Next)
        {
            ref readonly var entry = ref _entries[at];
            if (entry.Required == required
                && entry.State == state
                && IsSubset(_optional.AsSpan(at * _optionalWords, _optionalWords), optional))
            {
                return true;
            }
        }

        return false;
    }

    public void Add(UInt128 required, ReadOnlySpan<ulong> optional, in KeyState state)
    {
        if (_count == _entries.Length)
        {
            if (_count >= MaxEntries)
            {
                return;
            }

            Grow();
        }

        ref var bucket = ref _buckets[Hash(required, state) & (_buckets.Length - 1)];
        _entries[_count] = new Entry(required, state, bucket - 1);
        optional.CopyTo(_optional.AsSpan(_count * _optionalWords, _optionalWords));
        bucket = ++_count;
    }

    private static int Hash(UInt128 required, in KeyState state) => (int)((ulong)required ^ state.Hash());

    private static bool IsSubset(ReadOnlySpan<ulong> subset, ReadOnlySpan<ulong> of)
    {
        for (var i = 0; i < subset.Length; i++)
        {
            if ((subset[i] & ~of[i]) != 0)
            {
                return false;
            }
        }

        return true;
    }

    private void Grow()
    {
        Array.Resize(ref _entries, _entries.Length * 2);
        Array.Resize(ref _optional, _entries.Length * _optionalWords);
        _buckets = new int[_entries.Length];
        for (var at = 0; at < _count; at++)
        {
            ref var bucket = ref _buckets[Hash(_entries[at].Required, _entries[at].State) & (_buckets.Length - 1)];
            _entries[at] = _entries[at] with { Next = bucket - 1 };
            bucket = at + 1;
        }
    }

    /// <param name="Required">The fingerprint of the required operations linearized.</param>
    /// <param name="State">The model state of the configuration.</param>
    /// <param name="Next">The next entry in the same bucket, or -1.</param>
    private readonly record struct Entry(UInt128 Required, KeyState State, int Next);
}
