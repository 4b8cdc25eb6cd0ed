namespace ReplicatedKv.Chaos.Cluster;

/// <summary>Packets from node <see cref="From"/> to node <see cref="To"/> (0-based indexes) are dropped.</summary>
internal readonly record struct LinkCut(int From, int To)
{
    /// <summary>Both directions between every node of <paramref name="side"/> and every node of <paramref name="other"/>.</summary>
    public static IEnumerable<LinkCut> Between(IEnumerable<int> side, IEnumerable<int> other)
    {
        var others = other.ToArray();
        foreach (var a in side)
        {
            foreach (var b in others)
            {
                yield return new LinkCut(a, b);
                yield return new LinkCut(b, a);
            }
        }
    }
}
