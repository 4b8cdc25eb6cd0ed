using System.Globalization;

namespace ReplicatedKv.Chaos.Scenarios;

/// <summary>
/// The write stall per fault kind, split by whether the fault hit the leader: the longest gap between acknowledged
/// writes around any fault of that kind (<see cref="WriteGaps"/> measures each fault's window). It is what failover
/// costs, to read next to the election timeout.
/// </summary>
internal static class WriteStalls
{
    public static IReadOnlyList<KindStall> ByKind(IEnumerable<FaultGap> gaps)
    {
        ArgumentNullException.ThrowIfNull(gaps);
        return [.. gaps
            .GroupBy(g => (g.Window.Kind, g.Window.AtLeader))
            .OrderBy(g => g.Key.Kind, StringComparer.Ordinal).ThenByDescending(g => g.Key.AtLeader)
            .Select(g => new KindStall(g.Key.Kind, g.Key.AtLeader, g.Count(), g.Max(x => x.Longest)))];
    }
}

/// <summary>The longest write stall among <see cref="Faults"/> faults of one kind at the leader or elsewhere.</summary>
internal sealed record KindStall(string Kind, bool AtLeader, int Faults, TimeSpan Longest)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Kind} at {(AtLeader ? "leader" : "follower")} {Longest.TotalSeconds:0.00} s (worst of {Faults})");
}
