using ReplicatedKv.Consensus;
namespace ReplicatedKv.Testing.Simulation;

/// <summary>The core's seeded generator, plus the helpers the simulator needs; a seed means the same run forever.</summary>
internal sealed class SimRandom(ulong seed)
{
    private DeterministicRandom _source = new(seed);

    public ulong NextUInt64() => _source.NextUInt64();

    /// <summary>A value in [min, max).</summary>
    public int Next(int min, int max) => _source.Next(min, max);

    public bool Chance(double probability) => (NextUInt64() >> 11) * (1.0 / (1UL << 53)) < probability;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(0, items.Count)];
}
