using System.Globalization;
using ReplicatedKv.Chaos.Nemesis;
using ReplicatedKv.Testing.History;

namespace ReplicatedKv.Chaos.Scenarios;

/// <summary>
/// Per fault, the longest stretch without an acknowledged write while it was in force (its start and end count as
/// edges). A fault that leaves a node linked to a majority must not pause writes longer than <see cref="Limit"/>:
/// that node can lead (issue 21), and an election takes a few election timeouts, not seconds on end.
/// </summary>
internal static class WriteGaps
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    public static IReadOnlyList<FaultGap> Measure(IEnumerable<Operation> history, IEnumerable<FaultWindow> windows)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(windows);
        var acks = history
            .Where(o => o is { Outcome: OperationOutcome.Ok, Kind: not OperationKind.Get, CompleteNanos: not null })
            .Select(o => o.CompleteNanos!.Value)
            .Order()
            .ToArray();
        return [.. windows.Select(w => new FaultGap(w, Longest(acks, w.StartNanos, w.EndNanos)))];
    }

    private static TimeSpan Longest(long[] acks, long start, long end)
    {
        var longest = 0L;
        var previous = start;
        foreach (var ack in acks.Where(a => a > start && a < end).Append(end))
        {
            longest = Math.Max(longest, ack - previous);
            previous = ack;
        }

        return TimeSpan.FromTicks(longest / 100);
    }
}

/// <summary>The longest write gap under one fault, and whether it broke the bound.</summary>
internal sealed record FaultGap(FaultWindow Window, TimeSpan Longest)
{
    public bool TooLong => Window.BoundsWritePause && Longest > WriteGaps.Limit;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"#{Window.Number} {Window.Fault} {Longest.TotalSeconds:0.00} s{(TooLong ? $" (OVER {WriteGaps.Limit.TotalSeconds:0} s)" : string.Empty)}");
}
