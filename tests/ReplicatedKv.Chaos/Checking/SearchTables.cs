namespace ReplicatedKv.Chaos.Checking;

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

    /// <summary>For each optional operation, the latest earlier one with the same model operation, or -1.</summary>
    public static int[] EarlierTwins(CompiledKey key)
    {
        var twins = new int[key.OptionalCount];
        var latestByEffect = new Dictionary<ModelOperation, int>();
        for (var optional = 0; optional < twins.Length; optional++)
        {
            var effect = key.Operations[key.RequiredCount + optional];
            twins[optional] = latestByEffect.TryGetValue(effect, out var twin) ? twin : -1;
            latestByEffect[effect] = optional;
        }

        return twins;
    }

    /// <summary>Zobrist keys: the hash of the linearized set changes by one XOR per lift, not by rehashing the bitset.</summary>
    public static ulong[] ZobristKeys(int count)
    {
        var keys = new ulong[count];
        var seed = 0x2545F4914F6CDD1DUL;
        for (var i = 0; i < keys.Length; i++)
        {
            seed += 0x9E3779B97F4A7C15UL;
            keys[i] = KeyState.Mix(seed);
        }

        return keys;
    }
}
