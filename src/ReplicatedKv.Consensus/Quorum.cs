using System.Numerics;

namespace ReplicatedKv.Consensus;

/// <summary>Majority arithmetic over members numbered 0..n-1 and sets of them held as bit masks.</summary>
public static class Quorum
{
    /// <summary>The smallest number of members that intersects every other majority: ⌊n/2⌋+1.</summary>
    public static int Majority(int memberCount) => (memberCount / 2) + 1;

    /// <summary>True when the members in <paramref name="mask"/> form a majority of <paramref name="memberCount"/>.</summary>
    public static bool IsMajority(ulong mask, int memberCount) => BitOperations.PopCount(mask) >= Majority(memberCount);
}
