using System.Diagnostics;

namespace ReplicatedKv.Chaos.Workload;

/// <summary>One monotonic clock for a whole run: the history's times and the schedule's are both nanoseconds since its start.</summary>
internal sealed class RunClock
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public long Nanos => (long)((Int128)(Stopwatch.GetTimestamp() - _start) * 1_000_000_000 / Stopwatch.Frequency);

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_start);
}
