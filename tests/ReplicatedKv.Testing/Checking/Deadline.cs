using System.Diagnostics;

namespace ReplicatedKv.Testing.Checking;

/// <summary>When the whole check must give up; <see cref="None"/> never expires.</summary>
internal readonly struct Deadline
{
    private readonly long _endTimestamp;

    private Deadline(long endTimestamp) => _endTimestamp = endTimestamp;

    public static Deadline None => new(long.MaxValue);

    public bool IsExpired => Stopwatch.GetTimestamp() >= _endTimestamp;

    public static Deadline After(TimeSpan? budget)
    {
        if (budget is not { } span)
        {
            return None;
        }

        var ticks = span <= TimeSpan.Zero ? 0 : span.TotalSeconds * Stopwatch.Frequency;
        var now = Stopwatch.GetTimestamp();
        return new Deadline(ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks);
    }
}
