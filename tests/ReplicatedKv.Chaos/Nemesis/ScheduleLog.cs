using System.Globalization;
using ReplicatedKv.Chaos.Workload;

namespace ReplicatedKv.Chaos.Nemesis;

/// <summary>schedule.txt: the seed and plan first, then every nemesis action as it happens, with its run time.</summary>
internal sealed class ScheduleLog : IDisposable
{
    private readonly StreamWriter _file;
    private readonly RunClock _clock;
    private readonly Lock _lock = new();

    public ScheduleLog(string path, RunClock clock)
    {
        _file = new StreamWriter(path, append: false) { AutoFlush = true };
        _clock = clock;
    }

    /// <summary>A line without a time (headers, the plan).</summary>
    public void Note(string line)
    {
        lock (_lock)
        {
            _file.WriteLine(line);
        }
    }

    /// <summary>A line stamped with the run time, as the history's times are.</summary>
    public void Event(string line)
    {
        var at = _clock.Elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
        Note($"[{at,9}s] {line}");
    }

    /// <summary>The run clock now, in the history's nanoseconds (fault windows are measured against it).</summary>
    public long Nanos => _clock.Nanos;

    public void Dispose() => _file.Dispose();
}
