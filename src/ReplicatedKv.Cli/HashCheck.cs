namespace ReplicatedKv.Cli;

/// <summary>
/// The verdict of <c>rkvctl check hash</c> on one survey: replicas that applied the same slots must hold the same
/// table, so members are compared only with others at the same applied slot (etcd's <c>endpoint hashkv</c> compares
/// at one revision the same way).
/// </summary>
internal static class HashCheck
{
    public enum Outcome
    {
        /// <summary>Every member answered, all at one applied slot, all with one hash.</summary>
        Match,

        /// <summary>Two members at the same applied slot hold different tables.</summary>
        Mismatch,

        /// <summary>No mismatch seen, but not every member could be compared yet (one did not answer, or slots differ).</summary>
        Incomplete,
    }

    public sealed record Verdict(Outcome Outcome, string Message);

    public static Verdict Judge(IReadOnlyList<MemberRow> members)
    {
        var hashed = members.Where(m => m.Answered && m.Applied is not null && m.StateHash is not null).ToList();
        foreach (var atSlot in hashed.GroupBy(m => m.Applied!.Value).OrderBy(g => g.Key))
        {
            var distinct = atSlot.GroupBy(m => m.StateHash!, StringComparer.OrdinalIgnoreCase).ToList();
            if (distinct.Count > 1)
            {
                var sides = string.Join(" vs ", distinct.Select(d => $"{string.Join(",", d.Select(m => m.Id))} {d.Key}"));
                return new Verdict(Outcome.Mismatch, $"state hash mismatch at applied slot {atSlot.Key}: {sides}");
            }
        }

        var missing = members.Where(m => !hashed.Contains(m)).Select(m => m.Id == "?" ? m.ClientUrl : m.Id).ToList();
        if (missing.Count > 0)
        {
            return new Verdict(Outcome.Incomplete, $"not compared: {string.Join(", ", missing)} did not answer with a state hash");
        }

        var slots = hashed.Select(m => m.Applied!.Value).Distinct().Order().ToList();
        if (slots.Count > 1)
        {
            return new Verdict(Outcome.Incomplete, $"members are at different applied slots ({string.Join(", ", hashed.Select(m => $"{m.Id} {m.Applied}"))})");
        }

        return hashed.Count == 0
            ? new Verdict(Outcome.Incomplete, "no member answered")
            : new Verdict(Outcome.Match, $"{hashed.Count} members agree at applied slot {slots[0]}: {hashed[0].StateHash}");
    }
}
