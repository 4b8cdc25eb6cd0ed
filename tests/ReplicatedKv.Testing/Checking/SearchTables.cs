namespace ReplicatedKv.Testing.Checking;

/// <summary>What the search works out once per key before it starts.</summary>
internal static class SearchTables
{
    /// <summary>
    /// For each required write whose version the history tells, its place in version order; -1 for other operations.
    /// Ties (a version told twice) are ranked by index, and the model then refuses the second.
    /// </summary>
    public static int[] RankByVersion(CompiledKey key)
    {
        var ranks = new int[key.RequiredCount];
        Array.Fill(ranks, -1);
        var versioned = Enumerable.Range(0, key.RequiredCount)
            .Where(o => key.Operations[o] is { Kind: ModelOperationKind.Set or ModelOperationKind.Remove, Version: not 0 })
            .OrderBy(o => key.Operations[o].Version)
            .ThenBy(o => o)
            .ToList();
        for (var rank = 0; rank < versioned.Count; rank++)
        {
            ranks[versioned[rank]] = rank;
        }

        return ranks;
    }

    /// <summary>
    /// Zobrist keys: the fingerprint of the linearized set changes by one XOR per lift, not by rehashing a bitset.
    /// Fixed seeds, so a check is repeatable.
    /// </summary>
    public static UInt128[] ZobristKeys(int count)
    {
        var keys = new UInt128[count];
        var seed = 0x2545F4914F6CDD1DUL;
        for (var i = 0; i < keys.Length; i++)
        {
            seed += 0x9E3779B97F4A7C15UL;
            var high = KeyState.Mix(seed);
            seed += 0x9E3779B97F4A7C15UL;
            keys[i] = new UInt128(high, KeyState.Mix(seed));
        }

        return keys;
    }
}
