namespace ReplicatedKv.Chaos.Checking;

/// <summary>
/// Configurations (operations linearized so far, model state) from which the search already failed. A new
/// configuration is hopeless when a failed one has the same required operations linearized, the same state, and a
/// subset of its optional (unknown-outcome) operations: the failed one had every choice this one has, and more.
/// </summary>
/// <remarks>
/// Porcupine caches every configuration it visits; only failed ones are kept here (a configuration cannot be met
/// again while it is still on the stack, as the linearized set only grows along it), so a search that never turns
/// back stores nothing. Open hashing over flat arrays: adding copies the bitsets into one growing word array, and a
/// lookup allocates nothing. The hash covers only the required bits and the state, so configurations that could
/// dominate each other share a chain. The cache only saves work, so past a memory bound it stops growing.
/// </remarks>
internal sealed class FailedConfigurations
{
    /// <summary>256 MiB of bitsets; beyond that the search goes on without remembering more failures.</summary>
    private const long MaxWords = 1L << 25;

    private readonly int _requiredWords;
    private readonly int _optionalWords;
    private int[] _buckets = new int[256];
    private Entry[] _entries = new Entry[256];
    private ulong[] _words;
    private int _count;

    public FailedConfigurations(int requiredWords, int optionalWords)
    {
        _requiredWords = requiredWords;
        _optionalWords = optionalWords;
        _words = new ulong[_entries.Length * Stride];
    }

    private int Stride => _requiredWords + _optionalWords;

    public bool Dominates(ReadOnlySpan<ulong> required, ReadOnlySpan<ulong> optional, ulong requiredHash, in KeyState state)
    {
        var hash = requiredHash ^ state.Hash();
        for (var at = _buckets[(int)hash & (_buckets.Length - 1)] - 1; at >= 0; at = _entries[at].Next)
        {
            ref readonly var entry = ref _entries[at];
            if (entry.Hash != hash || entry.State != state)
            {
                continue;
            }

            var words = _words.AsSpan(at * Stride, Stride);
            if (words[.._requiredWords].SequenceEqual(required) && IsSubset(words[_requiredWords..], optional))
            {
                return true;
            }
        }

        return false;
    }

    public void Add(ReadOnlySpan<ulong> required, ReadOnlySpan<ulong> optional, ulong requiredHash, in KeyState state)
    {
        if (_count == _entries.Length)
        {
            if ((long)_entries.Length * 2 * Stride > MaxWords)
            {
                return;
            }

            Grow();
        }

        var hash = requiredHash ^ state.Hash();
        ref var bucket = ref _buckets[(int)hash & (_buckets.Length - 1)];
        _entries[_count] = new Entry(hash, state, bucket - 1);
        required.CopyTo(_words.AsSpan(_count * Stride, _requiredWords));
        optional.CopyTo(_words.AsSpan((_count * Stride) + _requiredWords, _optionalWords));
        bucket = ++_count;
    }

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
        Array.Resize(ref _words, _entries.Length * Stride);
        _buckets = new int[_entries.Length];
        for (var at = 0; at < _count; at++)
        {
            ref var bucket = ref _buckets[(int)_entries[at].Hash & (_buckets.Length - 1)];
            _entries[at] = _entries[at] with { Next = bucket - 1 };
            bucket = at + 1;
        }
    }

    /// <param name="Hash">The required bits' hash mixed with the state's.</param>
    /// <param name="State">The model state of the configuration.</param>
    /// <param name="Next">The next entry in the same bucket, or -1.</param>
    private readonly record struct Entry(ulong Hash, KeyState State, int Next);
}
