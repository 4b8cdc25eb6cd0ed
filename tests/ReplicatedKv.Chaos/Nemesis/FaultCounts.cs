namespace ReplicatedKv.Chaos.Nemesis;

/// <summary>What the nemesis actually did (not what it planned): faults by kind, and partitions by shape.</summary>
internal sealed class FaultCounts
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public void Add(string what)
    {
        lock (_lock)
        {
            _counts[what] = _counts.GetValueOrDefault(what) + 1;
        }
    }

    public int Of(FaultKind kind) => Of(Key(kind));

    public int Of(string what)
    {
        lock (_lock)
        {
            return _counts.GetValueOrDefault(what);
        }
    }

    /// <summary>Every fault, not counting the per-shape breakdown of partitions ("partition:Bridge").</summary>
    public int Total
    {
        get
        {
            lock (_lock)
            {
                return _counts.Where(c => !c.Key.Contains(':', StringComparison.Ordinal)).Sum(c => c.Value);
            }
        }
    }

    public static string Key(FaultKind kind) => kind switch
    {
        FaultKind.FsyncCrash => "fsync-crash",
        FaultKind.RestartAll => "restart-all",
        _ => kind.ToString().ToLowerInvariant(),
    };

    public override string ToString()
    {
        lock (_lock)
        {
            return _counts.Count == 0 ? "none" : string.Join(", ", _counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));
        }
    }
}
